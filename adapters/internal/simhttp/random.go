package simhttp

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// RandomFaults are a simulator's faults not scripted request by request: a
// fraction of requests failing at random, and a rate limit (a token bucket
// of Limit tokens, full at first and refilled at Limit a second). The
// simulator holds its own lock around every call.
type RandomFaults struct {
	failRate float64
	rand     *rand.Rand // draws which requests fail; nil while failRate is 0

	limit  int       // requests a second; 0 for no limit
	tokens float64   // the bucket's tokens, at most limit
	at     time.Time // when tokens was reckoned
}

// SetFailRate makes a fraction f, 0 to 1, of the requests fail, each drawn
// independently from src (a nil src is seeded at random).
func (rf *RandomFaults) SetFailRate(f float64, src rand.Source) error {
	if !(f >= 0 && f <= 1) { // NaN too
		return fmt.Errorf("fail rate %v is not within 0 and 1", f)
	}
	if src == nil {
		src = rand.NewPCG(rand.Uint64(), rand.Uint64())
	}
	rf.failRate, rf.rand = f, rand.New(src)
	if f == 0 {
		rf.rand = nil
	}
	return nil
}

// SetRateLimit lets at most n requests a second through (0 for no limit).
func (rf *RandomFaults) SetRateLimit(n int, now time.Time) error {
	if n < 0 {
		return fmt.Errorf("rate limit %d: want 0 (none) or more requests a second", n)
	}
	rf.limit, rf.tokens, rf.at = n, float64(n), now
	return nil
}

// Clear turns both off.
func (rf *RandomFaults) Clear() { *rf = RandomFaults{} }

// FailRate is the fail rate set.
func (rf *RandomFaults) FailRate() float64 { return rf.failRate }

// Limit is the rate limit set.
func (rf *RandomFaults) Limit() int { return rf.limit }

// Draw decides a request's fate: limited (wait is how long until the next
// token; the request takes none), failed (at the fail rate; it took a
// token), or neither.
func (rf *RandomFaults) Draw(now time.Time) (limited bool, wait time.Duration, failed bool) {
	if rf.limit > 0 {
		rate := float64(rf.limit)
		rf.tokens = min(rate, rf.tokens+now.Sub(rf.at).Seconds()*rate)
		rf.at = now
		if rf.tokens < 1 {
			return true, max(time.Duration((1-rf.tokens)/rate*float64(time.Second)), time.Nanosecond), false
		}
		rf.tokens--
	}
	return false, 0, rf.failRate > 0 && rf.rand.Float64() < rf.failRate
}
