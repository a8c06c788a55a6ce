package cli

import (
	"context"
	"io"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/installer/diagnose"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/status"
)

// progressInterval is how often the workloads are polled while waiting.
var progressInterval = 2 * time.Second

// deployNamespaces are the namespaces of the release being deployed
// (release.NamespacesOf), or the deploy namespace when they cannot be read.
func deployNamespaces(cfg *action.Configuration, name, namespace string) []string {
	namespaces, _, err := release.NamespacesOf(cfg, name, namespace)
	if err != nil {
		return []string{namespace}
	}
	return namespaces
}

// watchProgress runs status.Watch on the namespaces of the release being
// deployed until stop is closed.
func watchProgress(client kubernetes.Interface, cfg *action.Configuration, name, namespace string, out io.Writer, stop <-chan struct{}) {
	status.Watch(client, name, func() []string { return deployNamespaces(cfg, name, namespace) }, out, progressInterval, stop)
}

// explain is diagnose.Explain on the namespaces of the release being deployed.
func explain(env *Env, cfg *action.Configuration, name, namespace string) string {
	client, err := env.KubeClient()
	if err != nil {
		return ""
	}
	return diagnose.Explain(context.Background(), client, name, deployNamespaces(cfg, name, namespace))
}
