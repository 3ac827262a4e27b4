package fastpath

import (
	"testing"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/stretchr/testify/require"
)

// node parses an expression as the engine's compiler would before type
// checking (lower and upper, which the engine replaces, are left out).
func node(t *testing.T, src string) ast.Node {
	t.Helper()
	tree, err := parser.Parse(src)
	require.NoError(t, err, src)
	return tree.Node
}

// TestKeyProves: a hit proves a condition only when the key decides its
// test (not a prefilter such as startsWith) and that test is the whole
// condition (not the first operand of an &&).
func TestKeyProves(t *testing.T) {
	for _, c := range []struct {
		cond   string
		keyed  bool
		proves bool
	}{
		{`metadata.department == "HR"`, true, true},
		{`metadata.region in ["emea", "apac"]`, true, true},
		{`title contains "Town Hall"`, true, true},
		{`containsAny(title, ["CEO", "All-Hands"])`, true, true},
		{`data.duration_seconds > 600`, true, true},
		{`title matches "^Q[0-9]"`, true, true},
		{`title startsWith "Q3"`, true, false},
		{`title endsWith "cut"`, true, false},
		{`metadata.department == "HR" && data.duration_seconds > 600`, true, false},
		{`metadata.department == "HR" and title contains "x"`, true, false},
		{`metadata.department == "HR" || title contains "x"`, false, false},
		{`title == content.title`, false, false},
		{`!(metadata.department == "HR")`, false, false},
	} {
		k := KeyOf(node(t, c.cond))
		require.Equal(t, c.keyed, k != nil, "%s: keyed", c.cond)
		if k != nil {
			require.Equal(t, c.proves, k.proves, "%s: proves", c.cond)
		}
	}
}

// TestBucketCollect: the bucket marks the rules whose key the event hits,
// asks to run those the hit does not prove, and always runs the rules
// without a key.
func TestBucketCollect(t *testing.T) {
	conds := []string{
		`metadata.department == "HR"`,                          // 0: hit, proven
		`metadata.department == "Sales"`,                       // 1: missed
		`title startsWith "Q3"`,                                // 2: hit, must run
		`data.duration_seconds > 600 && title contains "Town"`, // 3: hit, must run
		`data.duration_seconds < 60`,                           // 4: missed
		`title == content.title`,                               // 5: no key: always runs
		`title matches "Hall$"`,                                // 6: hit, proven
		`metadata.region in ["emea", "apac"]`,                  // 7: not a string: runs
	}
	keys := make([]*Key, len(conds))
	ids := make([]int32, len(conds))
	for i, c := range conds {
		keys[i], ids[i] = KeyOf(node(t, c)), int32(i)
	}
	b := NewBucket(keys, ids)
	require.Equal(t, ids, b.Rules())

	var st State
	st.Size(len(conds))
	st.Event = Event{Title: "Q3 Town Hall", Metadata: map[string]any{"department": "HR", "region": 7.0},
		Data: map[string]any{"duration_seconds": 900.0}}
	b.Collect(&st)
	bit := func(bits []uint64, i int) bool { return bits[0]&(1<<i) != 0 }
	for i, want := range []struct{ hit, eval bool }{
		{true, false}, {false, false}, {true, true}, {true, true}, {false, false}, {true, true}, {true, false}, {true, true},
	} {
		require.Equal(t, want.hit, bit(st.Hits, i), "rule %d (%s): hit", i, conds[i])
		require.Equal(t, want.eval, bit(st.Evals, i), "rule %d (%s): must run", i, conds[i])
	}

	st.Reset()
	require.Zero(t, st.Hits[0]|st.Evals[0], "Reset clears the bitmaps")
}
