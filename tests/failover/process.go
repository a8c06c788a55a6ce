// Package failover runs the charts' own Redis/Sentinel/HAProxy configuration
// and scripts, extracted from a helm render, as real processes on loopback
// addresses, and checks how they fail over.
package failover

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// process is one server started by a test, by PID, in its own process group.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs a command with the given environment (added to a minimal one),
// logging to dir/name.log. The test's cleanup kills it if it still runs.
func start(t *testing.T, dir, name string, env []string, argv ...string) *process {
	t.Helper()
	logFile, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// signal sends sig to the process group the process leads.
func (p *process) signal(sig syscall.Signal) {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// kill sends SIGKILL and waits (bounded) until the process is gone.
func (p *process) kill() { p.signal(syscall.SIGKILL); p.wait(5 * time.Second) }

// stop sends SIGTERM and waits up to timeout, then kills.
func (p *process) stop(timeout time.Duration) {
	p.signal(syscall.SIGTERM)
	if !p.wait(timeout) {
		p.kill()
	}
}

func (p *process) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// eventually polls cond every interval until it returns nil or timeout passes.
func eventually(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(interval)
	}
}
