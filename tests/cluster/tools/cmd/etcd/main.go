// Command etcd builds the upstream etcd server at the version pinned in
// go.mod, for the Kubernetes proving ground (tests/cluster).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
