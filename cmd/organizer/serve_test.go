package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A second serve on the same SQLite store exits at once, saying which
// store is taken and what to do; the first keeps serving.
func TestServeSecondOnSameStoreRefused(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var firstOut syncBuffer
	firstDone := make(chan int, 1)
	go func() {
		firstDone <- run(ctx, []string{"serve", "--rules", examplesRules, "--data", data, "--addr", "127.0.0.1:0"}, &firstOut, &firstOut)
	}()
	defer func() {
		cancel()
		require.Equal(t, 0, <-firstDone, "the first serve stops cleanly: %s", firstOut.String())
	}()
	require.Eventually(t, func() bool { return strings.Contains(firstOut.String(), "organizer is serving") },
		10*time.Second, 10*time.Millisecond, "the first serve did not start: %s", firstOut.String())

	start := time.Now()
	second := organizer(t, "serve", "--rules", examplesRules, "--data", data, "--addr", "127.0.0.1:0")
	require.Equal(t, 1, second.code, second.String())
	require.Less(t, time.Since(start), 5*time.Second, "the second serve gave up at once")
	require.Contains(t, second.stderr, filepath.Join(data, "organizer.db"))
	require.Contains(t, second.stderr, "in use by another organizer serve")
	require.Contains(t, second.stderr, "--data")
}

// serve without --rules says what to pass, rather than guessing a
// directory (at the repository's root ./rules is Go code).
func TestServeWithoutRulesSaysWhatToPass(t *testing.T) {
	r := organizer(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	require.Equal(t, 1, r.code, r.String())
	require.Contains(t, r.stderr, "--rules PATH")
}
