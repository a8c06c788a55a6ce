package cluster

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/nova-platform/nova/tests/cluster/images"
	"github.com/nova-platform/nova/tests/contract"
	"github.com/nova-platform/nova/tests/ports"
)

// The real node: Debian's containerd 1.6 and runc with the CNI bridge,
// host-local, loopback and portmap plugins, and kubelet, kube-proxy and
// CoreDNS built by `make cluster-tools`. Its components listen on the node's
// bridge address (nodeIP), the API server too, so that pods reach it through
// the kubernetes Service; nothing listens on the machine's own interface.

// RealBinaries are the programs a real node needs from Config.Bin.
var RealBinaries = []string{"kubelet", "kube-proxy", "coredns", "nova-cluster"}

// SystemPrograms are what the real node needs from Debian (bash .ci/run installs them).
var SystemPrograms = []string{"/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", "/usr/lib/cni/bridge",
	"/usr/lib/cni/host-local", "/usr/lib/cni/loopback", "/usr/lib/cni/portmap", "/usr/sbin/iptables", "/usr/sbin/ip"}

const (
	// RealNodeName is the one real node.
	RealNodeName = "nova-node-1"
	// LocalStorageClass is the real node's default StorageClass: local
	// PersistentVolumes, to which the kubelet applies fsGroup as CSI block
	// volumes get it in clouds.
	LocalStorageClass = "nova-local"
	// localProvisioner is the StorageClass's provisioner (nova-cluster provision).
	localProvisioner = "nova.local/local-volume"
	cgroupRoot       = "/nova"
	// importTimeout bounds importing the node's images into containerd.
	importTimeout = 5 * time.Minute
)

// MissingRealPrograms names what a real node lacks.
func MissingRealPrograms(bin string) error {
	var missing []string
	for _, b := range RealBinaries {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			missing = append(missing, filepath.Join(bin, b)+" (make cluster-tools)")
		}
	}
	for _, p := range SystemPrograms {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p+" (apt-get install containerd runc containernetworking-plugins iptables)")
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root (containerd, the kubelet and iptables need it)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("a real node needs: %s", strings.Join(missing, ", "))
	}
	return nil
}

// realPaths are the node's files under the cluster directory.
type realPaths struct{ dir string }

func (r realPaths) containerd() string { return filepath.Join(r.dir, "containerd") }
func (r realPaths) socket() string     { return filepath.Join(r.dir, "containerd", "containerd.sock") }
func (r realPaths) cniConf() string    { return filepath.Join(r.dir, "cni", "net.d") }
func (r realPaths) kubelet() string    { return filepath.Join(r.dir, "kubelet") }
func (r realPaths) volumes() string    { return filepath.Join(r.dir, "volumes") }

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// nodeCerts issues the node components' certificates.
func nodeCerts(keys pki) error {
	ips := []net.IP{net.ParseIP(nodeIP)}
	for _, c := range []struct {
		name string
		tmpl *x509.Certificate
	}{
		{"kubelet-client", &x509.Certificate{Subject: pkix.Name{CommonName: "system:node:" + RealNodeName, Organization: []string{"system:nodes"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
		{"kubelet-serving", &x509.Certificate{Subject: pkix.Name{CommonName: RealNodeName},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: ips, DNSNames: []string{RealNodeName}}},
		{"apiserver-kubelet-client", &x509.Certificate{Subject: pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
		{"kube-proxy", &x509.Certificate{Subject: pkix.Name{CommonName: "system:kube-proxy"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
	} {
		if err := keys.issue(keys.path(c.name+".crt"), keys.path(c.name+".key"), c.tmpl); err != nil {
			return fmt.Errorf("%s certificate: %w", c.name, err)
		}
	}
	return nil
}

// componentKubeconfig writes a kubeconfig with a client certificate of keys.
func componentKubeconfig(path, server string, keys pki, cert string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: keys.CACert()}
	cfg.AuthInfos[cert] = &clientcmdapi.AuthInfo{ClientCertificate: keys.path(cert + ".crt"), ClientKey: keys.path(cert + ".key")}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: cert}
	cfg.CurrentContext = ContextName
	return clientcmd.WriteToFile(*cfg, path)
}

func containerdConfig(r realPaths) string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # runc cannot start containers under the kubelet without it here
  # ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
`, filepath.Join(r.containerd(), "root"), filepath.Join(r.containerd(), "state"), r.socket(), r.socket()+".ttrpc",
		images.Registry+"/pause:1", filepath.Join(r.containerd(), "runc"), r.cniConf())
}

// cniConfig: the node's bridge, pods in nodeSubnet with the bridge address
// as their gateway, no masquerading.
func cniConfig(r realPaths) string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "nova",
  "plugins": [
    {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": %q, "gateway": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, nodeBridge, filepath.Join(r.dir, "cni", "ipam"), nodeSubnet, nodeIP)
}

func kubeletConfig(r realPaths, keys pki, port, healthz int) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# These machines run cgroup v1, which kubelet 1.36 refuses unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: %s
containerRuntimeEndpoint: unix://%s
address: %s
port: %d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %d
tlsCertFile: %s
tlsPrivateKeyFile: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization:
  mode: Webhook
clusterDomain: %s
clusterDNS: [%s]
# Pods get the cluster DNS only, never the machine's resolver.
resolvConf: %s
failSwapOn: false
protectKernelDefaults: false
serializeImagePulls: false
# The images are imported, never pulled: keep them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, imagefs.available: 1%%, nodefs.inodesFree: 1%%}
maxPods: 110
rotateCertificates: false
podLogsDir: %s
`, cgroupRoot, r.socket(), nodeIP, port, healthz, keys.path("kubelet-serving.crt"), keys.path("kubelet-serving.key"),
		keys.CACert(), clusterDomain, dnsServiceIP, filepath.Join(r.kubelet(), "resolv.conf"), filepath.Join(r.kubelet(), "pod-logs"))
}

func kubeProxyConfig(kubeconfig string, healthz, metrics int) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %s}
hostnameOverride: %s
bindAddress: %s
healthzBindAddress: 127.0.0.1:%d
metricsBindAddress: 127.0.0.1:%d
mode: iptables
clusterCIDR: %s
# Leave the machine's conntrack and route_localnet settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
nodePortAddresses: [%s/32]
`, kubeconfig, RealNodeName, nodeIP, healthz, metrics, podRange, nodeIP)
}

func corefile(kubeconfig string, health, ready int) string {
	return fmt.Sprintf(`%[1]s:53 in-addr.arpa:53 ip6.arpa:53 {
    bind %[2]s
    errors
    health 127.0.0.1:%[3]d
    ready 127.0.0.1:%[4]d
    kubernetes %[1]s in-addr.arpa ip6.arpa {
        kubeconfig %[5]s
        pods insecure
    }
    cache 30
    loadbalance
}
# Every other name: NXDOMAIN. There is no forward plugin in this binary.
.:53 {
    bind %[2]s
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`, clusterDomain, nodeIP, health, ready, kubeconfig)
}

// upRealNode starts containerd, imports the images (tarballs), and starts
// the kubelet, kube-proxy, CoreDNS and the local-volume provisioner, after
// the control plane. It returns when the node is Ready. The import has a
// deadline of its own (about a minute for the eleven images here); the rest
// has startTimeout.
func (c *Cluster) upRealNode(parent context.Context, tarballs []string, binDir string, keys pki, client kubernetes.Interface, logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(parent, importTimeout)
	defer cancel()
	r := realPaths{dir: c.dir}
	bin := func(name string) string { return filepath.Join(binDir, name) }
	run := func(name, binary string, args ...string) (*Proc, error) {
		p, err := start(c.dir, name, binary, args...)
		if err != nil {
			return nil, err
		}
		c.Procs = append(c.Procs, p)
		return p, c.save()
	}
	if err := nodeCerts(keys); err != nil {
		return err
	}
	free, err := ports.Free(6)
	if err != nil {
		return err
	}
	kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics, dnsHealth, dnsReady := free[0], free[1], free[2], free[3], free[4], free[5]

	// containerd and the images.
	if err := writeFile(filepath.Join(r.containerd(), "config.toml"), containerdConfig(r)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(r.cniConf(), "10-nova.conflist"), cniConfig(r)); err != nil {
		return err
	}
	ctrd, err := run("containerd", "/usr/bin/containerd", "--config", filepath.Join(r.containerd(), "config.toml"))
	if err != nil {
		return err
	}
	if err := waitFor(ctx, "containerd's socket", ctrd, func() (bool, error) {
		return exec.Command("/usr/bin/ctr", "--address", r.socket(), "version").Run() == nil, nil
	}); err != nil {
		return err
	}
	started := time.Now()
	for _, t := range tarballs {
		if out, err := exec.CommandContext(ctx, "/usr/bin/ctr", "--address", r.socket(), "-n", "k8s.io", "images", "import", t).CombinedOutput(); err != nil {
			return fmt.Errorf("ctr images import %s: %v\n%s", t, err, out)
		}
	}
	logf("containerd ready, %d images imported in %.1f s", len(tarballs), time.Since(started).Seconds())
	ctx, cancel = context.WithTimeout(parent, startTimeout)
	defer cancel()

	// The kubelet, under a cgroup root of its own (it must exist).
	if err := makeCgroupRoot(); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(r.kubelet(), "resolv.conf"), ""); err != nil {
		return err
	}
	kubeletKubeconfig := filepath.Join(r.kubelet(), "kubeconfig")
	if err := componentKubeconfig(kubeletKubeconfig, c.Server, keys, "kubelet-client"); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(r.kubelet(), "config.yaml"), kubeletConfig(r, keys, kubeletPort, kubeletHealthz)); err != nil {
		return err
	}
	kubelet, err := run("kubelet", bin("kubelet"), "--config="+filepath.Join(r.kubelet(), "config.yaml"),
		"--kubeconfig="+kubeletKubeconfig, "--root-dir="+filepath.Join(r.kubelet(), "root"),
		"--node-ip="+nodeIP, "--hostname-override="+RealNodeName,
		"--node-labels="+ZoneLabel+"="+Zone(1), "--v=1")
	if err != nil {
		return err
	}
	if err := waitFor(ctx, "the kubelet to register "+RealNodeName, kubelet, func() (bool, error) {
		_, err := client.CoreV1().Nodes().Get(ctx, RealNodeName, metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return err
	}
	// kube-proxy after the Node exists (else it waits 30 s for it).
	proxyKubeconfig := filepath.Join(c.dir, "kube-proxy", "kubeconfig")
	if err := os.MkdirAll(filepath.Dir(proxyKubeconfig), 0o755); err != nil {
		return err
	}
	if err := componentKubeconfig(proxyKubeconfig, c.Server, keys, "kube-proxy"); err != nil {
		return err
	}
	proxyConfig := filepath.Join(c.dir, "kube-proxy", "config.yaml")
	if err := writeFile(proxyConfig, kubeProxyConfig(proxyKubeconfig, proxyHealthz, proxyMetrics)); err != nil {
		return err
	}
	if _, err := run("kube-proxy", bin("kube-proxy"), "--config="+proxyConfig); err != nil {
		return err
	}
	// CoreDNS, behind the kube-dns Service.
	dnsConfig := filepath.Join(c.dir, "coredns", "Corefile")
	if err := writeFile(dnsConfig, corefile(c.Kubeconfig, dnsHealth, dnsReady)); err != nil {
		return err
	}
	dns, err := run("coredns", bin("coredns"), "-conf", dnsConfig)
	if err != nil {
		return err
	}
	if err := createDNSService(ctx, client); err != nil {
		return err
	}
	if err := waitHTTP(ctx, dns, fmt.Sprintf("http://127.0.0.1:%d/ready", dnsReady), "OK"); err != nil {
		return err
	}
	// Local volumes.
	if err := createLocalStorageClass(ctx, client); err != nil {
		return err
	}
	if _, err := run("provisioner", bin("nova-cluster"), "provision", "--kubeconfig", c.Kubeconfig,
		"--dir", r.volumes(), "--node", RealNodeName); err != nil {
		return err
	}
	c.Nodes = append(c.Nodes, RealNodeName)
	if err := c.save(); err != nil {
		return err
	}
	return waitFor(ctx, "node "+RealNodeName+" Ready", kubelet, func() (bool, error) {
		n, err := client.CoreV1().Nodes().Get(ctx, RealNodeName, metav1.GetOptions{})
		return err == nil && nodeReady(n), err
	})
}

// NodeImages builds (or takes from cacheDir) the images the real node
// imports: the pause image, nettest, the stand-in Nova images and the data
// tiers' Debian images; it writes the charts' values for them to valuesFile.
func NodeImages(cacheDir, valuesFile string) ([]string, error) {
	c, err := contract.Load()
	if err != nil {
		return nil, err
	}
	tests := filepath.Join(RepoRoot(), "tests")
	binDir := filepath.Join(cacheDir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	pause, err := images.GoBinary(tests, "./cluster/images/pause", binDir)
	if err != nil {
		return nil, err
	}
	standin, err := images.GoBinary(tests, "./standin/cmd/nova-standin", binDir)
	if err != nil {
		return nil, err
	}
	nettest, err := images.GoBinary(tests, "./cluster/images/nettest", binDir)
	if err != nil {
		return nil, err
	}
	etcd, err := images.GoBinary(filepath.Join(tests, "cluster", "tools"), "./cmd/etcd", binDir)
	if err != nil {
		return nil, err
	}
	tier := images.DataTierImages(cacheDir, etcd)
	var out []string
	all := append([]images.Image{images.Pause(pause), images.NetTest(nettest)}, images.StandIns(standin, c)...)
	for _, img := range append(all, tier.All()...) {
		path, err := images.Build(img, cacheDir)
		if err != nil {
			return nil, err
		}
		out = append(out, path)
	}
	values, err := NodeValues(tier)
	if err != nil {
		return nil, err
	}
	return out, writeFile(valuesFile, values)
}

// createDNSService: kube-dns in kube-system at dnsServiceIP, its endpoint the
// CoreDNS process on the node's address.
func createDNSService(ctx context.Context, client kubernetes.Interface) error {
	ports := []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
		{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: corev1.ServiceSpec{ClusterIP: dnsServiceIP, Ports: ports}}
	if _, err := client.CoreV1().Services("kube-system").Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Service kube-dns: %w", err)
	}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "kube-dns-coredns", Namespace: "kube-system", Labels: map[string]string{discoveryv1.LabelServiceName: "kube-dns"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{nodeIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("dns"), Port: ptr.To(int32(53)), Protocol: &udp},
			{Name: ptr.To("dns-tcp"), Port: ptr.To(int32(53)), Protocol: &tcp}},
	}
	if _, err := client.DiscoveryV1().EndpointSlices("kube-system").Create(ctx, slice, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the kube-dns EndpointSlice: %w", err)
	}
	return nil
}

// downRealNode stops what upRealNode started and undoes its traces on the
// machine: containers, shims, mounts, iptables chains, cgroups, network
// namespaces. The processes in c.Procs are stopped by the caller first.
func (c *Cluster) cleanRealNode() error {
	r := realPaths{dir: c.dir}
	var errs []error
	// Leftover shims (they outlive containerd) and their containers.
	if shims, err := filepath.Glob("/proc/[0-9]*/cmdline"); err == nil {
		for _, f := range shims {
			b, err := os.ReadFile(f)
			if err != nil || !strings.Contains(string(b), "containerd-shim") || !strings.Contains(string(b), r.socket()) {
				continue
			}
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// Mounts under the cluster directory (pod volumes, overlay snapshots,
	// containerd's shm): deepest first.
	if data, err := os.ReadFile("/proc/self/mounts"); err == nil {
		var mounts []string
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) > 1 && (strings.HasPrefix(fields[1], c.dir+"/") || strings.HasPrefix(fields[1], "/run/netns/cni-")) {
				mounts = append(mounts, fields[1])
			}
		}
		for i := len(mounts) - 1; i >= 0; i-- {
			if err := syscall.Unmount(mounts[i], syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
				errs = append(errs, fmt.Errorf("unmount %s: %w", mounts[i], err))
			}
		}
	}
	if netns, err := filepath.Glob("/run/netns/cni-*"); err == nil {
		for _, n := range netns {
			_ = os.Remove(n)
		}
	}
	_ = os.RemoveAll("/run/containerd/s")
	// libcni keeps results in /var/lib/cni whatever containerd's root is.
	if results, err := filepath.Glob("/var/lib/cni/results/nova-*"); err == nil {
		for _, f := range results {
			_ = os.Remove(f)
		}
	}
	// kube-proxy's rules, then the kubelet's own chains.
	if proxy := c.proc("kube-proxy").binary(); proxy != "" {
		_ = exec.Command(proxy, "--cleanup").Run()
	}
	for _, table := range []string{"filter", "nat", "mangle"} {
		for _, chain := range []string{"KUBE-FIREWALL", "KUBE-KUBELET-CANARY", "KUBE-IPTABLES-HINT", "KUBE-PROXY-CANARY"} {
			for _, parent := range []string{"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"} {
				for i := 0; i < 4 && exec.Command("iptables", "-w", "-t", table, "-D", parent, "-j", chain).Run() == nil; i++ {
				}
			}
			_ = exec.Command("iptables", "-w", "-t", table, "-F", chain).Run()
			_ = exec.Command("iptables", "-w", "-t", table, "-X", chain).Run()
		}
	}
	// The kubepods cgroups under cgroupRoot, deepest first.
	for _, hierarchy := range cgroupHierarchies() {
		root := filepath.Join(hierarchy, cgroupRoot)
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
	}
	if c.Net != nil {
		if err := c.Net.tearDown(c.dir); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// Keep the machine's claim: a new node must not start on these traces.
		return errors.Join(errs...)
	}
	return unlockRealNode(c.dir)
}

// cgroupHierarchies are the mounted cgroup hierarchies (v1 controllers,
// name=systemd, the unified one).
func cgroupHierarchies() []string {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && (f[2] == "cgroup" || f[2] == "cgroup2") {
			out = append(out, f[1])
		}
	}
	return out
}

// makeCgroupRoot creates cgroupRoot in every hierarchy; in cpuset, with its
// parent's CPUs and memory nodes (a new cpuset has none).
func makeCgroupRoot() error {
	for _, h := range cgroupHierarchies() {
		dir := filepath.Join(h, cgroupRoot)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("cgroup %s: %w", dir, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(h, f)); err == nil {
				if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
					return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
				}
			}
		}
	}
	return nil
}

// killContainers kills every process in the node's cgroups (its
// containers and sandboxes), a few rounds until none is left, and returns
// how many it signalled.
func killContainers() int {
	killed := 0
	for round := 0; round < 10; round++ {
		var pids []int
		_ = filepath.WalkDir(filepath.Join("/sys/fs/cgroup/pids", cgroupRoot), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
			return nil
		})
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return killed
}

// binary is the recorded binary of a process ("" when p is nil).
func (p *Proc) binary() string {
	if p == nil {
		return ""
	}
	return p.Binary
}

// KillContainer sends SIGKILL to a container of the real node (its ID as
// the pod status gives it, containerd://<id>): its first process dies, and
// with it every process of its PID namespace, as when the kernel's OOM
// killer or a crash ends it; the kubelet then restarts it in the same pod.
func (c *Cluster) KillContainer(ctx context.Context, containerID string) error {
	if !c.Real {
		return errors.New("KillContainer needs the real node")
	}
	id := strings.TrimPrefix(containerID, "containerd://")
	r := realPaths{dir: c.dir}
	if out, err := exec.CommandContext(ctx, "/usr/bin/ctr", "--address", r.socket(), "-n", "k8s.io",
		"tasks", "kill", "--signal", "SIGKILL", id).CombinedOutput(); err != nil {
		return fmt.Errorf("ctr tasks kill %s: %v\n%s", id, err, out)
	}
	return nil
}
