// Command coredns builds CoreDNS, pinned by go.mod, with only the plugins the
// real-node proving ground needs: the cluster domain from the Kubernetes API
// and reverse zones, health and readiness, a cache and logs. There is no
// forward plugin in the binary at all, so no name is ever resolved outside
// the machine: everything but the cluster's names gets NXDOMAIN (template).
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver" // the DNS server type
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/template"
)

func main() {
	coremain.Run()
}
