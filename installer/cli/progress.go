package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/installer/diagnose"
	"github.com/nova-platform/nova/installer/status"
)

// progressInterval is how often the workloads are polled while waiting.
var progressInterval = 2 * time.Second

// watchProgress prints one line per readiness change, tier by tier, until
// stop is closed.
func watchProgress(client kubernetes.Interface, release string, out io.Writer, stop <-chan struct{}) {
	seen := map[string]string{}
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		ws, err := status.Workloads(context.Background(), client, release)
		if err == nil {
			for _, w := range ws {
				state := fmt.Sprintf("%d/%d ready", w.Ready, w.Desired)
				if seen[w.Name] != state {
					seen[w.Name] = state
					fmt.Fprintf(out, "[%s] %s %s: %s\n", w.Tier, w.Kind, w.Name, state)
				}
			}
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// explain adds the reasons the release is not ready to a failed deploy.
func explain(env *Env, name string) string {
	client, err := env.KubeClient()
	if err != nil {
		return ""
	}
	problems, err := diagnose.Release(context.Background(), client, name)
	if err != nil || len(problems) == 0 {
		return ""
	}
	s := "\nWhy:"
	for _, p := range problems {
		s += "\n  " + p.String()
	}
	return s
}
