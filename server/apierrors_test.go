package server

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every API error code has a status, and the service documentation lists
// each code with that status.
func TestAPIErrorCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/service.md")
	require.NoError(t, err)
	for code, status := range apiStatus {
		require.NotZero(t, status, code)
		row := "| `" + string(code) + "` | " + strconv.Itoa(status) + " |"
		require.True(t, strings.Contains(string(doc), row), "docs/service.md has no row %q", row)
	}
}
