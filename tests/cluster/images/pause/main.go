// pause is the sandbox container of every pod on the real node
// (containerd's sandbox_image): it holds the pod's namespaces, reaps the
// zombies of a pod that shares its process namespace, and exits on SIGTERM
// or SIGINT. A static Go program, so that no pause image has to be pulled.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
