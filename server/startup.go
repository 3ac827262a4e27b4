package server

import (
	"time"
)

// startup times the phases of a start, for the "ready" log line and the
// organizer_startup_seconds gauge: how long a restart takes to serve, and
// where the time went (opening the store, which on SQLite includes
// replaying the write-ahead log a crash left; the migration; taking up
// interrupted attempts; loading the rules; starting the queue's workers).
type startup struct {
	began  time.Time
	last   time.Time
	phases []startupPhase
}

type startupPhase struct {
	name string
	took time.Duration
}

func newStartup() *startup {
	now := time.Now()
	return &startup{began: now, last: now}
}

// done ends the phase called name, begun where the previous one ended.
func (s *startup) done(name string) {
	if s == nil {
		return
	}
	now := time.Now()
	s.phases = append(s.phases, startupPhase{name: name, took: now.Sub(s.last)})
	s.last = now
}

// total is the time from the start until the last phase ended.
func (s *startup) total() time.Duration { return s.last.Sub(s.began) }

// attrs are the log attributes: startup_ms, then <phase>_ms for each.
func (s *startup) attrs() []any {
	out := []any{"startup_ms", ms(s.total())}
	for _, p := range s.phases {
		out = append(out, p.name+"_ms", ms(p.took))
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
