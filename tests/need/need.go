// Package need finds the host commands a test needs, one way for every test
// package. A missing command skips the test when a developer runs go test by
// hand, and fails it in CI and in the end-to-end runs (CI set, as .ci/run
// sets it, or NOVA_E2E=1), where make has installed every apt package first.
package need

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Command returns the path of name, which Debian's package pkg installs.
func Command(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install %s (make test and bash .ci/run do)", name, pkg)
	if Strict() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Strict: a missing command fails instead of skipping.
func Strict() bool { return os.Getenv("CI") != "" || os.Getenv("NOVA_E2E") == "1" }
