package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/engine/internal/strfuncs"
	"github.com/organizer-dev/organizer/rules"
)

// The scale mix: generated rules scoped over 12 event types (10% unscoped)
// whose conditions are 40% equality on a metadata field, 30% keyword
// containment in the lowered title, 20% numeric comparisons on payload
// fields and 10% regular expressions, tuned so that 1-2% of the rules match
// a typical event.

var (
	scaleWords   = vocabulary(50)
	scaleGenres  = vocabulary(60)[50:]
	scaleRegions = []string{"emea", "apac", "latam", "na", "anz", "dach", "nordics", "india"}
)

// vocabulary returns n distinct pronounceable lower-case words.
func vocabulary(n int) []string {
	syllables := strings.Fields("ka lo mi re su ta ne vo ri ha bel dor fin gar lum mor pel quin ros tev")
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		a, b, c := syllables[i%len(syllables)], syllables[(i/len(syllables))%len(syllables)], syllables[(i*7+3)%len(syllables)]
		out = append(out, a+b+c)
	}
	return out
}

// scaleRuleText generates n rules as one rule file.
func scaleRuleText(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: r%d\n", i)
		if rng.IntN(10) > 0 {
			fmt.Fprintf(&b, "    on: [%s]\n", eventTypes[rng.IntN(len(eventTypes))])
		}
		fmt.Fprintf(&b, "    when: %s\n", scaleCondition(rng))
		if rng.IntN(4) == 0 {
			fmt.Fprintf(&b, "    actions:\n      folder: Folder %d\n", rng.IntN(50))
		} else {
			fmt.Fprintf(&b, "    actions:\n      tags: [%s]\n", scaleWords[rng.IntN(len(scaleWords))])
		}
	}
	return b.String()
}

func scaleCondition(rng *rand.Rand) string {
	word := func() string { return scaleWords[rng.IntN(len(scaleWords))] }
	switch k := rng.IntN(100); {
	case k < 40: // equality on a metadata field
		switch rng.IntN(3) {
		case 0:
			return fmt.Sprintf("metadata.region == %q", scaleRegions[rng.IntN(len(scaleRegions))])
		case 1:
			return fmt.Sprintf("metadata.genre == %q", scaleGenres[rng.IntN(len(scaleGenres))])
		}
		return fmt.Sprintf("metadata.department == %q", departments[rng.IntN(len(departments))])
	case k < 70: // keyword containment in the lowered title
		if rng.IntN(3) == 0 {
			return fmt.Sprintf("containsAny(lower(title), [%q, %q])", word(), word())
		}
		return fmt.Sprintf("lower(title) contains %q", word())
	case k < 90: // numeric comparison on a payload field
		switch rng.IntN(3) {
		case 0:
			return fmt.Sprintf("data.duration_seconds > %d", 6500+rng.IntN(200))
		case 1:
			return fmt.Sprintf("data.duration_seconds < %d", 30+rng.IntN(1000))
		}
		return fmt.Sprintf("data.bitrate >= %d", 17000+rng.IntN(1000))
	default: // regular expression
		return fmt.Sprintf(`title matches "Season %d Episode [0-9]+$"`, 1+rng.IntN(9))
	}
}

// scaleEvents returns n events over the 12 types with realistic titles
// (words of the vocabulary, some with an episode marker) and metadata.
func scaleEvents(n int, seed uint64) []Event {
	rng := rand.New(rand.NewPCG(seed, 11))
	out := make([]Event, n)
	for i := range out {
		words := make([]string, 3+rng.IntN(4))
		for j := range words {
			words[j] = scaleWords[rng.IntN(len(scaleWords))]
		}
		title := strfuncs.TitleCase(strings.Join(words, " "))
		if rng.IntN(10) < 3 {
			title += fmt.Sprintf(" Season %d Episode %d", 1+rng.IntN(9), 1+rng.IntN(20))
		}
		meta := map[string]any{"region": scaleRegions[rng.IntN(len(scaleRegions))], "genre": scaleGenres[rng.IntN(len(scaleGenres))]}
		if rng.IntN(100) < 85 {
			meta["department"] = departments[rng.IntN(len(departments))]
		}
		out[i] = Event{ID: fmt.Sprintf("evt_%d", i), Provider: "vaultstream", Type: eventTypes[rng.IntN(len(eventTypes))],
			ReceivedAt: time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC),
			Content:    Content{ID: fmt.Sprintf("c_%d", i), Title: title, Metadata: meta},
			Data: map[string]any{"duration_seconds": float64(30 + rng.IntN(7170)), "bitrate": float64(1000 + rng.IntN(19000)),
				"size_bytes": float64(rng.IntN(1 << 30))}}
	}
	return out
}

func scaleRules(tb testing.TB, n int) *Ruleset {
	tb.Helper()
	set := &rules.Set{}
	require.Empty(tb, set.Add(fmt.Sprintf("scale-%d.yaml", n), []byte(scaleRuleText(n, 1))))
	rs, errs := compileSet(set)
	require.Empty(tb, errs)
	return rs
}

// TestScaleIndexAgrees checks that the indexed evaluation decides exactly
// what evaluating every rule decides, on every event, and reports the match
// rate the benchmark runs at.
func TestScaleIndexAgrees(t *testing.T) {
	for _, n := range []int{100, 2000} {
		rs := scaleRules(t, n)
		events := scaleEvents(1000, 2)
		matches := 0
		for _, ev := range events {
			fast := rs.Evaluate(context.Background(), ev)
			full := rs.Evaluate(context.Background(), ev, FullTrace())
			require.Equal(t, full.Matched, fast.Matched, "event %s %q", ev.ID, ev.Content.Title)
			require.Equal(t, full.Plan, fast.Plan, "event %s", ev.ID)
			matches += len(fast.Matched)
		}
		rate := float64(matches) / float64(len(events)) / float64(n) * 100
		t.Logf("rules=%d: %.1f matches per event, %.2f%% of the rules", n, float64(matches)/float64(len(events)), rate)
		require.InDelta(t, 1.5, rate, 1, "the mix should have 1-2%% of rules match a typical event")
	}
}

// BenchmarkScale measures one event against 100 and 10,000 generated rules.
func BenchmarkScale(b *testing.B) { benchmarkScale(b) }

// BenchmarkScaleTraced is the same with FullTrace, as dry-runs and rule
// tests evaluate: every rule of the event's type runs and is recorded.
func BenchmarkScaleTraced(b *testing.B) { benchmarkScale(b, FullTrace()) }

func benchmarkScale(b *testing.B, opts ...EvalOption) {
	events := scaleEvents(1000, 2)
	ctx := context.Background()
	for _, n := range []int{100, 10000} {
		rs := scaleRules(b, n)
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_ = rs.Evaluate(ctx, events[i%len(events)], opts...)
			}
		})
	}
}

// BenchmarkCompile measures loading and compiling 1,000 generated rules.
func BenchmarkCompile(b *testing.B) {
	text := []byte(scaleRuleText(1000, 1))
	b.ReportAllocs()
	for b.Loop() {
		set := &rules.Set{}
		if errs := set.Add("scale.yaml", text); len(errs) > 0 {
			b.Fatal(errs)
		}
		if _, errs := compileSet(set); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
