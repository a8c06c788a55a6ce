// Command nova-cluster starts and stops the Kubernetes proving ground that
// `make cluster-up`, `make cluster-down` and `make demo` use.
//
//	nova-cluster up   [--dir DIR] [--bin DIR] [--nodes N] [--real] [--reuse]
//	nova-cluster down [--dir DIR]
//	nova-cluster provision --kubeconfig FILE --dir DIR --node NAME   (the real node's local volumes; up starts it)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nova-platform/nova/tests/cluster"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "provision" {
		os.Exit(provision(os.Args[2:]))
	}
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: nova-cluster up|down [--dir DIR] [--bin DIR] [--nodes N] [--real]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".cache/cluster", "state directory: kubeconfig, logs, certificates, etcd data")
	bin := fs.String("bin", "bin", "directory with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok")
	nodes := fs.Int("nodes", 3, "simulated nodes")
	real := fs.Bool("real", false, "one real node (kubelet, containerd, kube-proxy, CoreDNS) instead of simulated ones; needs root")
	reuse := fs.Bool("reuse", false, "up: succeed without starting anything when a cluster already runs in --dir")
	_ = fs.Parse(os.Args[2:])

	if err := run(os.Args[1], cluster.Config{Dir: *dir, Bin: *bin, Nodes: *nodes, Real: *real, Log: os.Stdout}, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "nova-cluster:", err)
		os.Exit(1)
	}
}

func run(cmd string, cfg cluster.Config, reuse bool) error {
	dir := cfg.Dir
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
	c, err := cluster.Up(ctx, cfg)
	if errors.Is(err, cluster.ErrRunning) && reuse {
		if c, err = cluster.Load(dir); err != nil {
			return err
		}
		if c.Real != cfg.Real {
			kind := map[bool]string{true: "a real node", false: "simulated nodes"}
			return fmt.Errorf("the cluster running in %s has %s, not %s: stop it first with `make cluster-down`", dir, kind[c.Real], kind[cfg.Real])
		}
		fmt.Printf("using the cluster already running in %s (API server %s)\n", dir, c.Server)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("\nexport KUBECONFIG=%s\nStop it with: make cluster-down\n", c.Kubeconfig)
	return nil
}

// provision runs the real node's local-volume provisioner until SIGTERM.
func provision(args []string) int {
	fs := flag.NewFlagSet("provision", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "admin kubeconfig")
	dir := fs.String("dir", "", "where the volumes' directories go")
	node := fs.String("node", "", "the node the volumes are on")
	_ = fs.Parse(args)
	if *kubeconfig == "" || *dir == "" || *node == "" {
		fmt.Fprintln(os.Stderr, "usage: nova-cluster provision --kubeconfig FILE --dir DIR --node NAME")
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nova-cluster provision:", err)
		return 1
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nova-cluster provision:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_ = cluster.Provisioner{Client: client, Dir: *dir, Node: *node, Log: os.Stdout}.Run(ctx)
	return 0
}
