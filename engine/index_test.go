package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
	"github.com/organizer-dev/organizer/rules"
)

// TestRegexpGroups checks the indexed evaluation against evaluating every
// rule when patterns are shared, combined with &&, case-insensitive, and
// more numerous than a bucket runs as groups.
func TestRegexpGroups(t *testing.T) {
	for _, patterns := range []int{3, fastpath.MaxRegexpGroups + 10} {
		var b strings.Builder
		b.WriteString("version: 1\nrules:\n")
		for i := range 3 * patterns {
			p := i % patterns
			when := fmt.Sprintf(`title matches "Part %d of"`, p)
			switch i % 3 {
			case 1:
				when = fmt.Sprintf(`title matches "(?i)part %d\\b" && metadata.lang == "en"`, p)
			case 2:
				when = fmt.Sprintf(`lower(title) matches "^(?P<show>.+) part %d"`, p)
			}
			fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    actions:\n      tags: [\"t{{ len(title) > 0 ? \\\"x\\\" : \\\"y\\\" }}\", t%d]\n", i, when, i)
		}
		set := &rules.Set{}
		require.Empty(t, set.Add("regexps.yaml", []byte(b.String())))
		rs, errs := compileSet(set)
		require.Empty(t, errs)
		matched := 0
		for _, title := range []string{"Night Shift Part 2 of 5", "PART 1 OF 3", "part 1", "nothing", "Part 70 of 80"} {
			for _, lang := range []any{"en", "fr", nil} {
				ev := Event{Type: "content.uploaded", Content: Content{Title: title, Metadata: map[string]any{"lang": lang}}}
				fast := rs.Evaluate(context.Background(), ev)
				full := rs.Evaluate(context.Background(), ev, FullTrace())
				require.Equal(t, full.Matched, fast.Matched, "%d patterns, %q %v", patterns, title, lang)
				require.Equal(t, full.Plan, fast.Plan)
				matched += len(fast.Matched)
			}
		}
		require.Greater(t, matched, 10, "the titles must match some patterns")
	}
}
