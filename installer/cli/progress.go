package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/installer/diagnose"
	"github.com/nova-platform/nova/installer/status"
)

// progressInterval is how often the workloads are polled while waiting.
var progressInterval = 2 * time.Second

// deployNamespaces are the namespaces of the release being deployed: helm
// stores the pending revision before it creates anything, so the newest
// revision in cfg names them (tier namespaces included); before that, or
// when it cannot be read, the deploy namespace.
func deployNamespaces(cfg *action.Configuration, name, namespace string) []string {
	namespaces, _, err := releaseNamespaces(cfg, name, namespace)
	if err != nil {
		return []string{namespace}
	}
	return namespaces
}

// watchProgress prints one line per readiness change, tier by tier, until
// stop is closed. It looks at the release's namespaces only (re-read every
// tick from the release record in cfg; namespace until there is one).
func watchProgress(client kubernetes.Interface, cfg *action.Configuration, release, namespace string, out io.Writer, stop <-chan struct{}) {
	seen := map[string]string{}
	report := func() {
		ws, err := status.Workloads(context.Background(), client, release, deployNamespaces(cfg, release, namespace))
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
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		report()
		select {
		case <-stop:
			// The state the deploy ended in, so the last line of a rolling
			// workload is not "2/3 ready" on a successful deploy.
			report()
			return
		case <-tick.C:
		}
	}
}

// explain adds the reasons the release is not ready to a failed deploy,
// looking at the release's namespaces only.
func explain(env *Env, cfg *action.Configuration, name, namespace string) string {
	client, err := env.KubeClient()
	if err != nil {
		return ""
	}
	problems, err := diagnose.Release(context.Background(), client, name, deployNamespaces(cfg, name, namespace))
	if err != nil || len(problems) == 0 {
		return ""
	}
	s := "\nWhy:"
	for _, p := range problems {
		s += "\n  " + p.String()
	}
	return s
}
