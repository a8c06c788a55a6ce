package need

import (
	"testing"
)

// recorder is a testing.TB that records how Command gave up.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any) { r.failed = args[0].(string) }

func TestCommand(t *testing.T) {
	if got := Command(t, "sh", "dash"); got == "" {
		t.Fatal("sh not found")
	}
	for _, tc := range []struct {
		ci, e2e string
		fails   bool
	}{{"", "", false}, {"true", "", true}, {"", "1", true}} {
		t.Setenv("CI", tc.ci)
		t.Setenv("NOVA_E2E", tc.e2e)
		r := &recorder{TB: t}
		Command(r, "nova-no-such-command", "nova-pkg")
		want := "nova-no-such-command is not installed: apt-get install nova-pkg (make test and bash .ci/run do)"
		if got := map[bool]string{true: r.failed, false: r.skipped}[tc.fails]; got != want {
			t.Errorf("CI=%q NOVA_E2E=%q: got skip %q fail %q, want the message as a %s", tc.ci, tc.e2e, r.skipped, r.failed,
				map[bool]string{true: "failure", false: "skip"}[tc.fails])
		}
	}
}
