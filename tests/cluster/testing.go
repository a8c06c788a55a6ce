package cluster

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// E2EEnv, set to 1 (as `make test` does), turns missing cluster binaries
// into a test failure instead of a skip.
const E2EEnv = "NOVA_E2E"

// RepoRoot is the checkout this package sits in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// BinDir holds the cluster binaries, helm and nova-installer: $NOVA_BIN or ./bin.
func BinDir() string {
	if b := os.Getenv("NOVA_BIN"); b != "" {
		return b
	}
	return filepath.Join(RepoRoot(), "bin")
}

// ForTest starts a cluster of nodes simulated nodes for t and stops it when
// t ends. When t fails, the end of every component's log is logged.
func ForTest(t testing.TB, nodes int) *Cluster {
	t.Helper()
	if err := MissingBinaries(BinDir()); err != nil {
		if os.Getenv(E2EEnv) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v (set %s=1 to make this a failure)", err, E2EEnv)
	}
	return upForTest(t, 2*time.Minute, Config{Dir: t.TempDir(), Bin: BinDir(), Nodes: nodes})
}

// ForRealTest starts a cluster with one real node for t and stops it (and
// checks that nothing of it is left on the machine) when t ends.
func ForRealTest(t testing.TB) *Cluster {
	t.Helper()
	err := MissingBinaries(BinDir())
	if err == nil {
		err = MissingRealPrograms(BinDir())
	}
	if err != nil {
		if os.Getenv(E2EEnv) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v (set %s=1 to make this a failure)", err, E2EEnv)
	}
	// Cold, the images take minutes to build (each build step and each
	// start-up phase has a bound of its own); warm, Up takes about a minute.
	return upForTest(t, 30*time.Minute, Config{Dir: t.TempDir(), Bin: BinDir(), Real: true, Log: testLog{t}})
}

// upForTest starts a cluster within timeout and stops it when t ends,
// showing the components' last log lines when t failed.
func upForTest(t testing.TB, timeout time.Duration, cfg Config) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := Up(ctx, cfg)
	if c != nil {
		t.Cleanup(func() {
			if t.Failed() {
				for _, p := range c.Procs {
					t.Logf("--- %s log (last lines) ---\n%s", p.Name, p.tail(20))
				}
			}
			if err := c.Down(io.Discard); err != nil {
				t.Errorf("stopping the cluster: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
