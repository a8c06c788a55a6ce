package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The real node's network lives on a bridge the cluster makes itself, and
// nothing on it may reach beyond the machine:
//   - the pod and Service ranges get unreachable routes first (the bridge's
//     own, more specific route still wins for its subnet);
//   - a filter chain of ours, first in FORWARD, drops anything forwarded out
//     of any interface but the bridge;
//   - the bridge does no masquerading, pods get no host resolver, and the
//     cluster DNS has no forward plugin.
//
// Every change is recorded in the state file before it is made, so that
// Down (also after a crash, from the state file) undoes exactly it.
const (
	nodeBridge    = "nova0"
	nodeIP        = "10.244.0.1"
	nodeSubnet    = "10.244.0.0/24"
	podRange      = "10.244.0.0/16"
	dnsServiceIP  = "10.96.0.10"
	guardChain    = "NOVA-GUARD"
	clusterDomain = "cluster.local"
)

// HostNet is what the real node changed on the machine.
type HostNet struct {
	Routes  []string          `json:"routes,omitempty"`  // unreachable routes added
	Bridge  string            `json:"bridge,omitempty"`  // bridge created
	Chain   string            `json:"chain,omitempty"`   // filter chain created and jumped to from FORWARD
	Sysctls map[string]string `json:"sysctls,omitempty"` // original values of every sysctl we or the node components set
	// Created are the machine's directories that the node's components fill
	// whatever their own state directories are and that did not exist before.
	Created []string `json:"created,omitempty"`
}

// machineDirs are written by containerd, libcni and the kubelet outside the
// cluster directory: shims' sockets, network namespaces, CNI results, and
// the kubelet's symlinks to container logs.
var machineDirs = []string{"/run/containerd", "/run/netns", "/var/lib/cni", "/var/log/containers"}

// sysctlsTouched are the ones set here (ip_forward, bridge netfilter) and
// the ones the kubelet and kube-proxy may set (kernel.panic and friends,
// route_localnet, conntrack), saved before anything starts.
var sysctlsTouched = []string{
	"net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
	"kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "vm.panic_on_oom",
	"net.ipv4.conf.all.route_localnet", "net.netfilter.nf_conntrack_max",
	"net.netfilter.nf_conntrack_tcp_timeout_established", "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

func readSysctl(name string) (string, error) {
	b, err := os.ReadFile(sysctlPath(name))
	return strings.TrimSpace(string(b)), err
}

func writeSysctl(name, value string) error {
	return os.WriteFile(sysctlPath(name), []byte(value+"\n"), 0o644)
}

func sh(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setUp makes the changes, recording each in h (and saving with save)
// before it is made.
func (h *HostNet) setUp(save func() error) error {
	if h.Sysctls == nil {
		h.Sysctls = map[string]string{}
	}
	for _, name := range sysctlsTouched {
		if v, err := readSysctl(name); err == nil {
			h.Sysctls[name] = v
		}
	}
	for _, d := range machineDirs {
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			h.Created = append(h.Created, d)
		}
	}
	if _, ok := h.Sysctls["net.bridge.bridge-nf-call-iptables"]; !ok {
		return errors.New("no net.bridge.bridge-nf-call-iptables: the kernel's br_netfilter is needed (bridged pod traffic must pass iptables for Service NAT)")
	}
	if err := save(); err != nil {
		return err
	}
	for _, cidr := range []string{podRange, serviceCIDR} {
		h.Routes = append(h.Routes, cidr)
		if err := save(); err != nil {
			return err
		}
		if err := sh("ip", "route", "replace", "unreachable", cidr); err != nil {
			return err
		}
	}
	h.Bridge = nodeBridge
	if err := save(); err != nil {
		return err
	}
	if err := sh("ip", "link", "add", nodeBridge, "type", "bridge"); err != nil && !strings.Contains(err.Error(), "File exists") {
		return err
	}
	if err := sh("ip", "addr", "replace", nodeIP+"/24", "dev", nodeBridge); err != nil {
		return err
	}
	if err := sh("ip", "link", "set", nodeBridge, "up"); err != nil {
		return err
	}
	h.Chain = guardChain
	if err := save(); err != nil {
		return err
	}
	h.removeChain() // a crashed run's
	if err := sh("iptables", "-w", "-N", guardChain); err != nil {
		return err
	}
	if err := sh("iptables", "-w", "-A", guardChain, "!", "-o", nodeBridge, "-j", "DROP",
		"-m", "comment", "--comment", "nova proving ground: nothing forwarded leaves the node's bridge"); err != nil {
		return err
	}
	if err := sh("iptables", "-w", "-I", "FORWARD", "1", "-j", guardChain); err != nil {
		return err
	}
	for name, value := range map[string]string{"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1"} {
		if err := writeSysctl(name, value); err != nil {
			return err
		}
	}
	return nil
}

func (h *HostNet) removeChain() {
	for i := 0; i < 8 && sh("iptables", "-w", "-D", "FORWARD", "-j", guardChain) == nil; i++ {
	}
	_ = sh("iptables", "-w", "-F", guardChain)
	_ = sh("iptables", "-w", "-X", guardChain)
}

// tearDown undoes every recorded change; it may run more than once.
// clusterDir is the cluster's directory: the kubelet's log symlinks into
// it are removed from a /var/log/containers that existed before.
func (h *HostNet) tearDown(clusterDir string) error {
	var errs []error
	if links, err := filepath.Glob("/var/log/containers/*.log"); err == nil {
		for _, l := range links {
			if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, clusterDir+"/") {
				_ = os.Remove(l)
			}
		}
	}
	for _, d := range h.Created {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	for name, value := range h.Sysctls {
		if cur, err := readSysctl(name); err == nil && cur != value {
			if err := writeSysctl(name, value); err != nil {
				errs = append(errs, fmt.Errorf("restore %s=%s: %w", name, value, err))
			}
		}
	}
	if h.Chain != "" {
		h.removeChain()
	}
	if h.Bridge != "" {
		if err := sh("ip", "link", "del", h.Bridge); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
			errs = append(errs, err)
		}
	}
	for _, cidr := range h.Routes {
		if err := sh("ip", "route", "del", "unreachable", cidr); err != nil && !strings.Contains(err.Error(), "No such process") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// realNodeLock names, for the whole machine, the cluster directory of the
// one real node: two would share the bridge, the routes, the sysctls and
// the cgroup root, and each would undo the other's on stopping. /run is
// emptied at boot, as a real node's traces are.
const realNodeLock = "/run/nova-real-node"

// lockRealNode claims the machine's real node for the cluster in dir.
func lockRealNode(dir string) error {
	f, err := os.OpenFile(realNodeLock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		other, _ := os.ReadFile(realNodeLock)
		owner := strings.TrimSpace(string(other))
		return fmt.Errorf("a real node is already running on this machine, in %s (%s says so): "+
			"one machine has one; stop it first with `nova-cluster down --dir %s` (make cluster-down, for the demo's)",
			owner, realNodeLock, owner)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(dir + "\n")
	return errors.Join(err, f.Close())
}

// unlockRealNode releases the claim of the cluster in dir (and only its).
func unlockRealNode(dir string) error {
	b, err := os.ReadFile(realNodeLock)
	if errors.Is(err, os.ErrNotExist) || strings.TrimSpace(string(b)) != dir {
		return nil
	}
	if err != nil {
		return err
	}
	return os.Remove(realNodeLock)
}
