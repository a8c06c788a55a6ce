package status

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/kubernetes"
)

// Watch prints one line per readiness change of the release's workloads,
// tier by tier ("[redis] StatefulSet nova-redis-sentinel-redis: 2/3 ready"),
// every interval until stop is closed, and once more then, so the last line
// of a workload is the state the deploy ended in. namespaces is asked on
// every poll: the release's namespaces may become known while it deploys.
func Watch(c kubernetes.Interface, release string, namespaces func() []string, out io.Writer, interval time.Duration, stop <-chan struct{}) {
	seen := map[string]string{}
	report := func() {
		ws, err := Workloads(context.Background(), c, release, namespaces())
		if err != nil {
			return
		}
		for _, w := range ws {
			state := fmt.Sprintf("%d/%d ready", w.Ready, w.Desired)
			key := w.Namespace + "/" + w.Kind + "/" + w.Name
			if seen[key] != state {
				seen[key] = state
				fmt.Fprintf(out, "[%s] %s %s: %s\n", w.Tier, w.Kind, w.Name, state)
			}
		}
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		report()
		select {
		case <-stop:
			report()
			return
		case <-tick.C:
		}
	}
}
