// Command nova-cluster starts and stops the Kubernetes proving ground that
// `make cluster-up`, `make cluster-down` and `make demo` use.
//
//	nova-cluster up   [--dir DIR] [--bin DIR] [--nodes N] [--reuse]
//	nova-cluster down [--dir DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nova-platform/nova/tests/cluster"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: nova-cluster up|down [--dir DIR] [--bin DIR] [--nodes N]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".cache/cluster", "state directory: kubeconfig, logs, certificates, etcd data")
	bin := fs.String("bin", "bin", "directory with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok")
	nodes := fs.Int("nodes", 3, "simulated nodes")
	reuse := fs.Bool("reuse", false, "up: succeed without starting anything when a cluster already runs in --dir")
	_ = fs.Parse(os.Args[2:])

	if err := run(os.Args[1], *dir, *bin, *nodes, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "nova-cluster:", err)
		os.Exit(1)
	}
}

func run(cmd, dir, bin string, nodes int, reuse bool) error {
	if cmd == "down" {
		c, err := cluster.Load(dir)
		if errors.Is(err, os.ErrNotExist) {
			fmt.Printf("no cluster running in %s\n", dir)
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.Down(os.Stdout); err != nil {
			return err
		}
		fmt.Printf("cluster stopped; logs and data kept in %s\n", dir)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := cluster.Up(ctx, cluster.Config{Dir: dir, Bin: bin, Nodes: nodes, Log: os.Stdout})
	if errors.Is(err, cluster.ErrRunning) && reuse {
		if c, err = cluster.Load(dir); err == nil {
			fmt.Printf("using the cluster already running in %s (API server %s)\n", dir, c.Server)
		}
		return err
	}
	if err != nil {
		return err
	}
	fmt.Printf("\nexport KUBECONFIG=%s\nStop it with: make cluster-down\n", c.Kubeconfig)
	return nil
}
