// Package ports finds free TCP ports on loopback for the test programs the
// suites start (one way, shared by the chart, stand-in and cluster tests).
package ports

import (
	"net"
	"testing"
)

// Free asks the kernel for n distinct free ports on 127.0.0.1. They are
// free when it returns; a program started later may still lose one to
// another process, so callers that can retry on "address in use" should.
func Free(n int) ([]int, error) {
	var out []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// One is one free port; an error fails the test.
func One(t testing.TB) int {
	t.Helper()
	p, err := Free(1)
	if err != nil {
		t.Fatal(err)
	}
	return p[0]
}
