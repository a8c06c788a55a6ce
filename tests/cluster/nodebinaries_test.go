package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The real node's binaries, built by make cluster-tools: kubelet and
// kube-proxy of the control plane's version, and a CoreDNS that serves the
// cluster's names and has no way to ask anyone else (no forward plugin).
func TestRealNodeBinaries(t *testing.T) {
	version := func(name string, args ...string) string {
		t.Helper()
		path := filepath.Join(BinDir(), name)
		if _, err := os.Stat(path); err != nil {
			if os.Getenv(E2EEnv) == "1" {
				t.Fatalf("%s is missing: run make cluster-tools", path)
			}
			t.Skipf("%s is missing: run make cluster-tools", path)
		}
		out, err := exec.Command(path, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	apiserver := version("kube-apiserver", "--version")
	for _, name := range []string{"kubelet", "kube-proxy"} {
		if got := version(name, "--version"); got != apiserver || !strings.HasPrefix(got, "Kubernetes v1.36.") {
			t.Errorf("%s --version: %q, the control plane is %q", name, got, apiserver)
		}
	}
	plugins := strings.Fields(version("coredns", "-plugins"))
	for _, want := range []string{"kubernetes", "template", "cache", "health", "ready", "errors", "log", "loadbalance", "bind"} {
		if !contains(plugins, want) {
			t.Errorf("coredns lacks the %s plugin: %v", want, plugins)
		}
	}
	for _, never := range []string{"forward", "grpc", "etcd", "hosts", "file", "auto", "secondary"} {
		if contains(plugins, never) {
			t.Errorf("coredns has the %s plugin: it could answer from outside the cluster", never)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
