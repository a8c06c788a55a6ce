package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// waitFor polls cond every 200 ms until it holds, ctx ends, or proc (the
// component being waited on) exits. Errors from cond are retried; the last
// one is reported with proc's log tail when the wait fails.
func waitFor(ctx context.Context, what string, proc *Proc, cond func() (bool, error)) error {
	var last error
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if proc != nil && !proc.alive() {
			return fmt.Errorf("%s exited while waiting for %s; last log lines:\n%s", proc.Name, what, proc.tail(20))
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("timed out waiting for %s", what)
			if last != nil {
				msg += " (last error: " + last.Error() + ")"
			}
			if proc != nil {
				msg += fmt.Sprintf("; %s log %s ends with:\n%s", proc.Name, proc.Log, proc.tail(20))
			}
			return fmt.Errorf("%s", msg)
		case <-tick.C:
		}
	}
}

// waitHTTP waits until url answers 200 with a body containing want.
func waitHTTP(ctx context.Context, proc *Proc, url, want string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return waitFor(ctx, url, proc, func() (bool, error) {
		resp, err := client.Get(url)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), want), nil
	})
}

// waitReadyz waits until the API server's /readyz says ok.
func waitReadyz(ctx context.Context, proc *Proc, client kubernetes.Interface) error {
	return waitFor(ctx, "kube-apiserver /readyz", proc, func() (bool, error) {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return false, err
		}
		return strings.TrimSpace(string(body)) == "ok", nil
	})
}
