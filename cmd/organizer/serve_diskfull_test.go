package main

// A process-level test of `organizer serve` on a full disk: the data
// directory is a small tmpfs, filled with a ballast file while the service
// takes webhooks. Needs root to mount (skipped otherwise) and is skipped
// under -short.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A full disk: webhooks that cannot be stored are answered 503 and are
// not in the store, before or after a restart; every one answered 2xx is;
// /readyz says the store refuses writes. Once space is freed, webhooks are
// taken again and /readyz is 200, without a restart.
func TestServeDiskFull(t *testing.T) {
	t.Parallel()
	pt := newProcTest(t, killConfig, 0, "")
	data := smallDisk(t, 16<<20)
	for i, a := range pt.args {
		if a == "--data" {
			pt.args[i+1] = data
		}
	}
	ds := pt.deliveries(t, "f", 4000)
	p := pt.start(t, "organizer #1")

	before := pt.send(ds[:100], to(p))
	var acked, refused []string
	record := func(part []*delivery, results []sendResult) {
		for i, r := range results {
			switch {
			case r.acked():
				acked = append(acked, part[i].eventID)
			case r.status == http.StatusServiceUnavailable:
				refused = append(refused, part[i].eventID)
			default:
				t.Fatalf("delivery of %s: %d %v", part[i].eventID, r.status, r.err)
			}
		}
	}
	record(ds[:100], before)
	require.Len(t, acked, 100, "the disk is not full yet")

	// The disk fills while webhooks arrive: commits fail at every step.
	filled := make(chan string)
	go func() { filled <- fillDisk(t, data) }()
	next := 100
	var ballast string
	for ballast == "" || len(refused) < 50 && next < 3000 {
		select {
		case ballast = <-filled:
		default:
		}
		part := ds[next : next+100]
		record(part, pt.send(part, to(p)))
		next += 100
	}
	t.Logf("disk full: %d of %d webhooks answered 503 (the rest 2xx)", len(refused), next-100)
	require.NotEmpty(t, refused, "no webhook was refused on a full disk")
	code, problems := readyz(t, pt.client, p.url)
	require.Equal(t, http.StatusServiceUnavailable, code, "readyz on a full disk: %v", problems)
	require.Contains(t, fmt.Sprint(problems), "store refuses writes")
	requireStored(t, pt.client, p.url, acked, refused)

	require.NoError(t, os.Remove(ballast))
	require.Eventually(t, func() bool { c, _ := readyz(t, pt.client, p.url); return c == http.StatusOK },
		10*time.Second, 100*time.Millisecond, "readyz after space was freed")
	after := ds[next : next+100]
	for i, r := range pt.send(after, to(p)) {
		require.True(t, r.acked(), "delivery of %s once space was freed: %v", after[i].eventID, r.err)
		acked = append(acked, after[i].eventID)
	}
	requireStored(t, pt.client, p.url, acked, refused)

	// What SQLite recovers at start (its write-ahead log) holds no refused
	// event either.
	p.kill()
	p = pt.start(t, "organizer #2")
	requireStored(t, pt.client, p.url, acked, refused)
}

// smallDisk mounts a tmpfs of size bytes for the test and returns its path.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	require.NoError(t, os.Mkdir(dir, 0o750))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { // after the processes are killed: cleanups run last first
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a ballast file into dir until the file system is full
// and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ballast")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	for _, size := range []int{1 << 20, 4 << 10, 512} {
		chunk := make([]byte, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				require.True(t, errors.Is(err, syscall.ENOSPC), "writing the ballast: %v", err)
				break
			}
		}
	}
	return path
}

// readyz answers GET /readyz's status and problems.
func readyz(t *testing.T, client *http.Client, base string) (int, []string) {
	t.Helper()
	resp, err := client.Get(base + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body struct {
		Problems []string `json:"problems"`
	}
	require.NoError(t, json.Unmarshal(raw, &body), "%s", raw)
	return resp.StatusCode, body.Problems
}

// requireStored checks that every stored id is in the store and no
// refused one is.
func requireStored(t *testing.T, client *http.Client, base string, stored, refused []string) {
	t.Helper()
	requirePresent(t, client, base, stored, "acknowledged")
	var found []string
	for _, id := range refused {
		_, ok, err := getEvent(client, base, id)
		require.NoError(t, err)
		if ok {
			found = append(found, id)
		}
	}
	require.Empty(t, found, "%d of %d events answered 503 are in the store", len(found), len(refused))
}
