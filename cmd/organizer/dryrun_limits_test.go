package main

// Process-level tests of `organizer dry-run` with hostile rules: the real
// binary, its time and peak memory (the kernel's rusage), and SIGINT while
// it renders. Skipped under -short.

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostileCase is a rule that would build huge values, and the event it
// sees.
type hostileCase struct {
	name, folder, event, limit string
}

func hostileCases(t *testing.T) []hostileCase {
	deep := "{}"
	for range 4000 {
		deep = `{"a":[` + deep + `]}`
	}
	return []hostileCase{
		{"repeat", strings.Repeat("{{ repeat('x', 1000000) }}", 3000),
			`{"id":"e1","provider":"vaultstream","type":"content.uploaded","content":{"id":"c1","title":"t"}}`,
			"repeat would build 1000000 bytes, more than the 64 KiB a value may hold"},
		{"toJSON", strings.Repeat("{{ toJSON(data) }}", 3000),
			`{"id":"e2","provider":"vaultstream","type":"content.uploaded","content":{"id":"c2","title":"t"},"data":` + deep + `}`,
			"more than the 64 KiB a value may hold"},
	}
}

// rules is the hostile rule file.
func (c hostileCase) rules() string {
	return fmt.Sprintf(`version: 1
rules:
  - name: hostile
    on: [content.uploaded]
    when: "true"
    actions:
      folder: %q
`, c.folder)
}

func (c hostileCase) files(t *testing.T) (rules, event string) {
	dir := t.TempDir()
	rules = writeFile(t, dir, "rules/hostile.yaml", c.rules())
	return filepath.Dir(rules), writeFile(t, dir, "event.json", c.event)
}

// A hostile rule ends as an error in the trace naming the limit, within
// 10 s and 512 MB.
func TestDryRunHostileRulesStayBounded(t *testing.T) {
	bin := organizerBinary(t)
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			rules, event := c.files(t)
			cmd := exec.Command(bin, "dry-run", "--rules", rules, "--event", event)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			start := time.Now()
			require.NoError(t, cmd.Run(), "%s", errOut.String())
			took := time.Since(start)
			peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
			t.Logf("%s: %v, peak RSS %d MiB", c.name, took.Round(time.Millisecond), peak>>10)
			require.Less(t, took, 10*time.Second)
			require.Less(t, peak, int64(512<<10), "peak RSS in KiB")
			require.Contains(t, out.String(), "! hostile")
			require.Contains(t, out.String(), c.limit)
		})
	}
}

// SIGINT while a hostile rule renders stops dry-run promptly with a
// message and a non-zero status, and no decision.
func TestDryRunSIGINTWhileRendering(t *testing.T) {
	bin := organizerBinary(t)
	c := hostileCases(t)[1]
	rules, event := c.files(t)
	cmd := exec.Command(bin, "dry-run", "--rules", rules, "--event", event)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(150 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	signalled := time.Now()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("dry-run still running 5 s after SIGINT")
	}
	t.Logf("exited %v after SIGINT: %s", time.Since(signalled).Round(time.Millisecond), strings.TrimSpace(errOut.String()))
	require.Less(t, time.Since(signalled), 3*time.Second)
	require.Equal(t, exitFailure, cmd.ProcessState.ExitCode(), "stdout: %s", out.String())
	require.Contains(t, errOut.String(), "interrupted")
	require.Empty(t, out.String())
}
