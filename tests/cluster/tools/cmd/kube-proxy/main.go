// Command kube-proxy builds the upstream kube-proxy at the version pinned in
// go.mod, for the real node of the Kubernetes proving ground (tests/cluster).
package main

import (
	"os"
	_ "time/tzdata" // time zone data, as upstream embeds it

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-proxy/app"
)

func main() {
	os.Exit(cli.Run(app.NewProxyCommand()))
}
