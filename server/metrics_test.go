package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The gauge of the events dead now is organizer_dead_letters_current: under
// its old name, organizer_dead_letters, it clashed in OpenMetrics with the
// counter organizer_dead_letters_total, whose family is named
// organizer_dead_letters there.
func TestMetricsDeadLettersGaugeName(t *testing.T) {
	h := startHarness(t)
	res, err := http.Get(h.url + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	text := string(raw)
	require.Contains(t, text, "# TYPE organizer_dead_letters_current gauge\n")
	require.Contains(t, text, "\norganizer_dead_letters_current 0\n")
	require.NotContains(t, text, "# TYPE organizer_dead_letters gauge")
	require.NotContains(t, text, "\norganizer_dead_letters ")

	// None of organizer's series clashes with a counter's OpenMetrics
	// family: for every counter X_total, no other metric is named X.
	families, err := h.svc.metrics.reg.Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, f := range families {
		// The Go collector's go_memstats_alloc_bytes{,_total} are upstream's.
		if f.GetType().String() != "COUNTER" || !strings.HasPrefix(f.GetName(), "organizer_") {
			continue
		}
		base, ok := strings.CutSuffix(f.GetName(), "_total")
		require.True(t, ok, "counter %s ends in _total", f.GetName())
		require.False(t, names[base], "metric %s clashes with the counter %s in OpenMetrics", base, f.GetName())
	}
}
