package strfuncs

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCasingMatchesPython compares TitleCase, Lower and Upper with CPython's
// answers for the same inputs (testdata/titlecase.json, from gen_casing.py).
func TestCasingMatchesPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/titlecase.json")
	require.NoError(t, err)
	var cases []struct{ In, Title, Lower, Upper string }
	require.NoError(t, json.Unmarshal(raw, &cases))
	require.NotEmpty(t, cases)
	for _, c := range cases {
		require.Equal(t, c.Title, TitleCase(c.In), "title of %q", c.In)
		require.Equal(t, c.Lower, Lower(c.In), "lower of %q", c.In)
		require.Equal(t, c.Upper, Upper(c.In), "upper of %q", c.In)
	}
}
