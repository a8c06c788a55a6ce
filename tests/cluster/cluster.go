// Package cluster runs the Kubernetes proving ground: a real control plane
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, all built
// from source into ./bin by `make cluster-tools`) with kwok simulating the
// nodes and the pod lifecycle. Everything listens on 127.0.0.1, every process
// is started and stopped by PID, and the state directory holds the
// certificates, the kubeconfig, the logs and a state file that `Down` reads.
package cluster

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nova-platform/nova/tests/cluster/images"
	"github.com/nova-platform/nova/tests/ports"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names every user of the proving ground relies on.
const (
	ContextName  = "nova-proving-ground"
	StorageClass = "nova-simulated"
	// ZoneLabel and HostnameLabel are set on every simulated node.
	ZoneLabel     = "topology.kubernetes.io/zone"
	HostnameLabel = "kubernetes.io/hostname"
	// fakeNode is the annotation kwok manages nodes by.
	fakeNode = "kwok.x-k8s.io/node"

	// SimulatedLog is what every container "logs" (kubectl logs, nova-installer logs).
	SimulatedLog = "simulated by kwok: no container runs on this node"

	serviceCIDR  = "10.96.0.0/16"
	serviceIP    = "10.96.0.1"
	podCIDR      = "10.244.0.1/16"
	stateFile    = "state.json"
	startTimeout = 90 * time.Second
)

//go:embed stages/*.yaml
var stages embed.FS

// Binaries are the programs a cluster runs, looked up in Config.Bin.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// Config says where and how big the cluster is.
type Config struct {
	Dir   string    // state directory (certificates, kubeconfig, logs, etcd data)
	Bin   string    // directory holding Binaries
	Nodes int       // simulated nodes, default 3
	Real  bool      // one real node (kubelet, containerd) instead of simulated ones
	Log   io.Writer // progress lines; nil discards them
}

// State is what Up records in Dir/state.json.
type State struct {
	Server     string   `json:"server"`
	Kubeconfig string   `json:"kubeconfig"`
	Nodes      []string `json:"nodes"`
	Procs      []*Proc  `json:"processes"`
	Real       bool     `json:"real,omitempty"`
	// Net is what a real node changed on the machine (routes, bridge,
	// iptables, sysctls), recorded before each change so Down undoes it.
	Net *HostNet `json:"hostNetwork,omitempty"`
}

// Cluster is a running proving ground.
type Cluster struct {
	State
	dir string
}

// ErrRunning is returned by Up when Dir already holds a running cluster.
var ErrRunning = errors.New("a cluster is already running")

// Up starts a cluster and waits until its nodes are Ready. On failure every
// process it started is stopped again and the error carries the failing
// component's last log lines.
func Up(ctx context.Context, cfg Config) (c *Cluster, err error) {
	if cfg.Nodes <= 0 {
		cfg.Nodes = 3
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	binDir, err := filepath.Abs(cfg.Bin)
	if err != nil {
		return nil, err
	}
	if err := MissingBinaries(binDir); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if old, err := Load(dir); err == nil && old.Running() {
		return nil, fmt.Errorf("%w in %s (API server %s); stop it first with `make cluster-down`", ErrRunning, dir, old.Server)
	}
	// A stopped cluster's leftovers (old etcd data, certificates) are replaced.
	for _, sub := range []string{"etcd", "pki", stateFile} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if cfg.Real {
		if err := MissingRealPrograms(binDir); err != nil {
			return nil, err
		}
	}
	advertise, err := advertiseAddress()
	if err != nil {
		return nil, err
	}
	// Simulated nodes: everything on 127.0.0.1. A real node: on the node's
	// bridge, which pods reach (the kubernetes Service's endpoint is there).
	bind := "127.0.0.1"
	if cfg.Real {
		advertise, bind = net.ParseIP(nodeIP), nodeIP
	}
	free, err := ports.Free(6)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort, cmPort, schedPort, kwokPort := free[0], free[1], free[2], free[3], free[4], free[5]
	bin := func(name string) string { return filepath.Join(binDir, name) }

	c = &Cluster{dir: dir}
	c.Server = "https://" + bind + ":" + strconv.Itoa(apiPort)
	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	defer func() {
		if err != nil {
			_ = c.stopAll(io.Discard)
			if c.Real {
				_ = c.cleanRealNode()
			}
		}
	}()
	var nodeImages []string
	if cfg.Real {
		// The images first: cold, they take minutes to build, and no
		// start-up deadline below should count that.
		started := time.Now()
		if nodeImages, err = NodeImages(images.CacheDir(), filepath.Join(dir, ValuesFile)); err != nil {
			return c, fmt.Errorf("the real node's images: %w", err)
		}
		logf("%d node images ready in %.1f s (cache %s)", len(nodeImages), time.Since(started).Seconds(), images.CacheDir())
		if err := lockRealNode(dir); err != nil {
			return c, err
		}
		c.Real, c.Net = true, &HostNet{}
		if err := c.Net.setUp(c.save); err != nil {
			return c, fmt.Errorf("the real node's network: %w", err)
		}
	}

	keys := pki{dir: filepath.Join(dir, "pki")}
	if err := keys.generate([]net.IP{net.ParseIP("127.0.0.1"), advertise, net.ParseIP(serviceIP)}); err != nil {
		return c, fmt.Errorf("certificates: %w", err)
	}
	var kubeletClient []string
	if cfg.Real {
		if err := nodeCerts(keys); err != nil {
			return c, err
		}
		kubeletClient = []string{"--kubelet-client-certificate=" + keys.path("apiserver-kubelet-client.crt"),
			"--kubelet-client-key=" + keys.path("apiserver-kubelet-client.key")}
	}
	if err := writeKubeconfig(c.Kubeconfig, c.Server, keys); err != nil {
		return c, err
	}
	stagesFile, err := writeStages(dir)
	if err != nil {
		return c, err
	}

	run := func(name string, args ...string) (*Proc, error) {
		p, err := start(dir, name, bin(name), args...)
		if err != nil {
			return nil, err
		}
		c.Procs = append(c.Procs, p)
		return p, c.save()
	}
	started := time.Now()
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	etcd, err := run("etcd", "--name=nova", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=nova="+peerURL, "--listen-metrics-urls=",
		"--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return c, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := waitHTTP(ctx, etcd, etcdURL+"/health", `"health":"true"`); err != nil {
		return c, err
	}
	logf("etcd ready on %s", etcdURL)

	api, err := run("kube-apiserver", append([]string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=" + bind, "--secure-port=" + strconv.Itoa(apiPort),
		"--advertise-address=" + advertise.String(),
		"--cert-dir=" + keys.dir,
		"--tls-cert-file=" + keys.ServerCert(), "--tls-private-key-file=" + keys.ServerKey(),
		"--client-ca-file=" + keys.CACert(),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + keys.SAPublicKey(),
		"--service-account-signing-key-file=" + keys.SAKey(),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=Node,RBAC",
		// Simulated kubelets (kwok's server) answer on the node's InternalIP.
		"--kubelet-preferred-address-types=InternalIP",
		"--enable-admission-plugins=PodSecurity,DefaultStorageClass,NamespaceLifecycle,ServiceAccount,NodeRestriction",
		"--profiling=false"}, kubeletClient...)...)
	if err != nil {
		return c, err
	}
	client, err := c.Client()
	if err != nil {
		return c, err
	}
	if err := waitReadyz(ctx, api, client); err != nil {
		return c, err
	}
	logf("kube-apiserver ready on %s (advertised as %s)", c.Server, advertise)

	cm, err := run("kube-controller-manager", "--kubeconfig="+c.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(cmPort),
		"--service-account-private-key-file="+keys.SAKey(), "--root-ca-file="+keys.CACert(),
		"--use-service-account-credentials=true", "--cert-dir="+filepath.Join(dir, "pki", "kcm"))
	if err != nil {
		return c, err
	}
	if _, err := run("kube-scheduler", "--kubeconfig="+c.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(schedPort),
		"--cert-dir="+filepath.Join(dir, "pki", "scheduler")); err != nil {
		return c, err
	}
	if cfg.Real {
		if err := waitFor(ctx, "the default ServiceAccount (kube-controller-manager)", cm, func() (bool, error) {
			_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
			return err == nil, err
		}); err != nil {
			return c, err
		}
		if err := c.upRealNode(parent, nodeImages, binDir, keys, client, logf); err != nil {
			return c, err
		}
		logf("real node %s Ready after %.1f s; kubeconfig %s", RealNodeName, time.Since(started).Seconds(), c.Kubeconfig)
		return c, nil
	}
	if _, err := run("kwok", "--kubeconfig="+c.Kubeconfig, "--config="+stagesFile,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector="+fakeNode+"=fake",
		"--node-ip=127.0.0.1", "--node-port="+strconv.Itoa(kwokPort), "--cidr="+podCIDR, "--node-lease-duration-seconds=40",
		"--server-address=127.0.0.1:"+strconv.Itoa(kwokPort)); err != nil {
		return c, err
	}

	if err := createStorageClass(ctx, client); err != nil {
		return c, err
	}
	for i := 1; i <= cfg.Nodes; i++ {
		name, err := c.AddNode(ctx, i)
		if err != nil {
			return c, err
		}
		c.Nodes = append(c.Nodes, name)
	}
	if err := c.save(); err != nil {
		return c, err
	}
	if err := waitFor(ctx, "the default ServiceAccount (kube-controller-manager)", cm, func() (bool, error) {
		_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	}); err != nil {
		return c, err
	}
	if err := c.WaitNodesReady(ctx, c.Nodes...); err != nil {
		return c, err
	}
	logf("%d simulated nodes Ready after %.1f s; kubeconfig %s", cfg.Nodes, time.Since(started).Seconds(), c.Kubeconfig)
	return c, nil
}

// MissingBinaries names the cluster programs absent from bin.
func MissingBinaries(bin string) error {
	var missing []string
	for _, b := range Binaries {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s missing from %s: run `make cluster-tools` first", strings.Join(missing, ", "), bin)
	}
	return nil
}

// Load reads the state of the cluster in dir.
func Load(dir string) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	if err := json.Unmarshal(data, &c.State); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	return c, nil
}

// Running reports whether any of the cluster's processes still runs.
func (c *Cluster) Running() bool {
	for _, p := range c.Procs {
		if p.alive() {
			return true
		}
	}
	return false
}

// Down stops the processes in reverse start order (kwok first, etcd last:
// an API server whose etcd is gone hangs on shutdown) and removes the state
// file. The directory with logs and data stays for inspection.
func (c *Cluster) Down(log io.Writer) error {
	if c.Real {
		// The kubelet first, so that it restarts nothing; then every
		// container of the node; then the rest in reverse start order.
		if k := c.proc("kubelet"); k != nil && k.alive() {
			if err := k.stop(15 * time.Second); err != nil {
				return err
			}
			fmt.Fprintf(log, "stopped kubelet (pid %d)\n", k.PID)
		}
		if n := killContainers(); n > 0 {
			fmt.Fprintf(log, "killed %d container processes\n", n)
		}
	}
	if err := c.stopAll(log); err != nil {
		return err
	}
	if c.Real {
		if err := c.cleanRealNode(); err != nil {
			return err
		}
		fmt.Fprintln(log, "removed the real node's mounts, iptables chains, cgroups, bridge and routes; restored its sysctls")
	}
	err := os.Remove(filepath.Join(c.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (c *Cluster) stopAll(log io.Writer) error {
	var errs []error
	for i := len(c.Procs) - 1; i >= 0; i-- {
		p := c.Procs[i]
		if !p.alive() {
			continue
		}
		if err := p.stop(15 * time.Second); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(log, "stopped %s (pid %d)\n", p.Name, p.PID)
	}
	return errors.Join(errs...)
}

// Dir is the state directory.
func (c *Cluster) Dir() string { return c.dir }

// RESTConfig is the admin configuration from the cluster's kubeconfig.
func (c *Cluster) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

// Client is an admin clientset.
func (c *Cluster) Client() (*kubernetes.Clientset, error) {
	cfg, err := c.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// NodeName is the name of simulated node i (1-based).
func NodeName(i int) string { return fmt.Sprintf("nova-node-%d", i) }

// Zone is the zone of simulated node i: three zones, round robin.
func Zone(i int) string { return fmt.Sprintf("zone-%c", 'a'+(i-1)%3) }

// AddNode registers simulated node i; kwok then reports it Ready.
func (c *Cluster) AddNode(ctx context.Context, i int) (string, error) {
	client, err := c.Client()
	if err != nil {
		return "", err
	}
	name := NodeName(i)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("16"),
		corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{fakeNode: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				HostnameLabel: name, ZoneLabel: Zone(i),
				"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("create node %s: %w", name, err)
	}
	return name, nil
}

// WaitNodesReady waits until every named node reports Ready.
func (c *Cluster) WaitNodesReady(ctx context.Context, names ...string) error {
	client, err := c.Client()
	if err != nil {
		return err
	}
	kwok := c.proc("kwok")
	return waitFor(ctx, fmt.Sprintf("nodes %s Ready (kwok)", strings.Join(names, ", ")), kwok, func() (bool, error) {
		for _, name := range names {
			n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !nodeReady(n) {
				return false, nil
			}
		}
		return true, nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (c *Cluster) proc(name string) *Proc {
	for _, p := range c.Procs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (c *Cluster) save() error {
	data, err := json.MarshalIndent(c.State, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, stateFile), append(data, '\n'), 0o644)
}

// createStorageClass makes the default StorageClass whose claims the volume
// stages provision.
func createStorageClass(ctx context.Context, client kubernetes.Interface) error {
	immediate := storagev1.VolumeBindingImmediate
	del := corev1.PersistentVolumeReclaimDelete
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClass,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       "nova.simulated/volume",
		ReclaimPolicy:     &del,
		VolumeBindingMode: &immediate,
	}
	_, err := client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create StorageClass %s: %w", StorageClass, err)
	}
	return nil
}

func writeKubeconfig(path, server string, keys pki) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: keys.CACert()}
	cfg.AuthInfos["nova-admin"] = &clientcmdapi.AuthInfo{ClientCertificate: keys.AdminCert(), ClientKey: keys.AdminKey()}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: "nova-admin", Namespace: "default"}
	cfg.CurrentContext = ContextName
	return clientcmd.WriteToFile(*cfg, path)
}

// WriteTokenKubeconfig writes a kubeconfig for the same cluster that
// authenticates with a bearer token (a ServiceAccount's), for permission tests.
func (c *Cluster) WriteTokenKubeconfig(path, token, namespace string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthority: pki{dir: filepath.Join(c.dir, "pki")}.CACert()}
	cfg.AuthInfos["token"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: "token", Namespace: namespace}
	cfg.CurrentContext = ContextName
	return clientcmd.WriteToFile(*cfg, path)
}

func writeStages(dir string) (string, error) {
	entries, err := stages.ReadDir("stages")
	if err != nil {
		return "", err
	}
	var docs []string
	for _, e := range entries {
		data, err := stages.ReadFile("stages/" + e.Name())
		if err != nil {
			return "", err
		}
		docs = append(docs, strings.TrimSpace(string(data)))
	}
	// Every container's log is one file (in the CRI log format kwok reads):
	// there is no container to read.
	logFile := filepath.Join(dir, "simulated-container.log")
	line := fmt.Sprintf("%s stdout F %s\n", time.Now().UTC().Format(time.RFC3339Nano), SimulatedLog)
	if err := os.WriteFile(logFile, []byte(line), 0o644); err != nil {
		return "", err
	}
	docs = append(docs, fmt.Sprintf("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterLogs\nmetadata:\n  name: nova-simulated\nspec:\n  logs:\n  - logsFile: %q", logFile))
	path := filepath.Join(dir, "kwok-stages.yaml")
	return path, os.WriteFile(path, []byte(strings.Join(docs, "\n---\n")+"\n"), 0o644)
}

// advertiseAddress is the machine's first non-loopback IPv4 address: the API
// server refuses to advertise a loopback address for the kubernetes Service.
func advertiseAddress() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.To4(), nil
		}
	}
	return nil, errors.New("no non-loopback IPv4 address on this machine: kube-apiserver needs one to advertise")
}
