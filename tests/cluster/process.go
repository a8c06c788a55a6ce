package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Proc is one control-plane process, recorded in the state file so that a
// later `cluster-down` stops exactly the processes `cluster-up` started.
type Proc struct {
	Name   string `json:"name"`
	PID    int    `json:"pid"`
	Binary string `json:"binary"`
	Log    string `json:"log"`

	done chan struct{} // closed when the process is reaped (this process started it)
}

// start runs binary with args in its own session (it outlives `cluster-up`),
// output appended to dir/NAME.log.
func start(dir, name, binary string, args ...string) (*Proc, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, PID: cmd.Process.Pid, Binary: binary, Log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// alive reports whether the recorded process still runs the recorded binary,
// so a reused PID is never signalled.
func (p *Proc) alive() bool {
	if p.done != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.PID))
	if err != nil {
		return false
	}
	return strings.TrimSuffix(exe, " (deleted)") == p.Binary
}

// stop sends SIGTERM, waits up to grace for the process to exit, then sends
// SIGKILL and waits again.
func (p *Proc) stop(grace time.Duration) error {
	if !p.alive() {
		return nil
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if err := syscall.Kill(p.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal %s (pid %d): %w", p.Name, p.PID, err)
		}
		deadline := time.Now().Add(grace)
		for time.Now().Before(deadline) {
			if !p.alive() {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.PID)
}

// tail is the end of the process's log, for error messages.
func (p *Proc) tail(lines int) string {
	data, err := os.ReadFile(p.Log)
	if err != nil {
		return ""
	}
	all := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}
