package failover

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/render"
)

// redisCluster is the redis-sentinel chart's render running as processes:
// member i listens on its own loopback address with the chart's ports. The
// env, commands, preStop hook and grace period are the render's, built as
// the kubelet would (pods.go); the test overrides only addresses and
// directories, through the variables common.sh documents.
type redisCluster struct {
	t         *testing.T
	dir       string
	ns        string
	password  string
	names     []string // member pod names, in ordinal order
	hosts     []string // their addresses
	dns       resolver // the members' rendered DNS names -> addresses
	services  map[string]string
	secrets   map[string]*corev1.Secret
	sts       *appsv1.StatefulSet
	redisC    corev1.Container
	sentinelC corev1.Container
	labelC    corev1.Container // the role-label sidecar
	haproxyD  *appsv1.Deployment
	testPod   *corev1.Pod
	cmDirs    map[string]string // rendered ConfigMap name -> its files on disk
	grace     time.Duration
	redisPort string
	sentPort  string
	master    string // Sentinel master name
	redis     []*process
	sentinel  []*process
	haproxy   *process
	haAddr    string
	api       *kubeAPI   // what the role-label sidecars patch
	labelers  []*process // one sidecar per member, running like the pod
	toolsDir  string     // nc for the sidecar: busybox's, as in its image
}

// newRedisCluster renders the chart with a profile and lays its config and
// scripts out in a temp dir, exactly as rendered.
func newRedisCluster(t *testing.T, profile string) *redisCluster {
	t.Helper()
	for cmd, pkg := range map[string]string{"redis-server": "redis-server", "redis-cli": "redis-tools", "haproxy": "haproxy"} {
		need.Command(t, cmd, pkg)
	}
	c := &redisCluster{t: t, dir: t.TempDir(), ns: "nova"}
	if d := os.Getenv("FAILOVER_KEEP_DIR"); d != "" {
		c.dir = d
	}
	m := render.Render(t, render.Options{Chart: "redis-sentinel", Profile: profile, Namespace: c.ns})
	c.cmDirs = writeConfigMaps(t, render.All[*corev1.ConfigMap](m), filepath.Join(c.dir, "configmaps"))
	c.secrets = map[string]*corev1.Secret{}
	for _, s := range render.All[*corev1.Secret](m) {
		c.secrets[s.Name] = s
	}
	c.password = string(render.Get[*corev1.Secret](t, m, "nova-redis-sentinel-auth").Data["password"])
	if err := os.WriteFile(filepath.Join(c.dir, "password"), []byte(c.password), 0o600); err != nil {
		t.Fatal(err)
	}
	c.sts = render.Get[*appsv1.StatefulSet](t, m, "nova-redis-sentinel-redis")
	c.redisC, c.sentinelC = c.sts.Spec.Template.Spec.Containers[0], c.sts.Spec.Template.Spec.Containers[1]
	if c.redisC.Name != "redis" || c.sentinelC.Name != "sentinel" {
		t.Fatalf("containers %s, %s: want redis, sentinel", c.redisC.Name, c.sentinelC.Name)
	}
	c.labelC = render.Container(t, c.sts.Spec.Template.Spec, "role-label")
	if g := c.sts.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		c.grace = time.Duration(*g) * time.Second
	}
	c.haproxyD = render.Get[*appsv1.Deployment](t, m, "nova-redis-sentinel-haproxy")
	c.testPod = render.Get[*corev1.Pod](t, m, "nova-redis-sentinel-test")
	c.redisPort, c.sentPort = containerPort(t, c.redisC, "redis"), containerPort(t, c.sentinelC, "sentinel")
	c.master = envValue(t, c.redisC, "SENTINEL_MASTER_NAME")
	// A loopback /24 of our own, so parallel runs do not meet: members .11+i,
	// HAProxy .20.
	base := fmt.Sprintf("127.%d.%d.", 100+rand.IntN(100), 1+rand.IntN(250))
	c.dns = resolver{}
	for i := 0; i < int(*c.sts.Spec.Replicas); i++ {
		c.names = append(c.names, fmt.Sprintf("%s-%d", c.sts.Name, i))
		c.hosts = append(c.hosts, fmt.Sprintf("%s%d", base, 11+i))
		c.dns[fmt.Sprintf("%s.%s.%s.svc.cluster.local", c.names[i], c.sts.Spec.ServiceName, c.ns)] = c.hosts[i]
	}
	c.haAddr = base + "20:" + c.redisPort
	// What the Services' names reach here: the master Service is HAProxy,
	// the Sentinel Service any member (the second).
	c.services = map[string]string{"nova-redis-sentinel-master": hostOf(c.haAddr), "nova-redis-sentinel-sentinel": c.hosts[1]}
	for name := range c.services {
		render.Get[*corev1.Service](t, m, name)
	}
	c.redis = make([]*process, len(c.hosts))
	c.labelers = make([]*process, len(c.hosts))
	c.api = newKubeAPI(t, filepath.Join(c.dir, "serviceaccount"), c.ns)
	c.toolsDir = filepath.Join(c.dir, "tools")
	if err := os.MkdirAll(c.toolsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(need.Command(t, "busybox", "busybox"), filepath.Join(c.toolsDir, "nc")); err != nil {
		t.Fatal(err)
	}
	c.sentinel = make([]*process, len(c.hosts))
	t.Cleanup(c.dumpLogsOnFailure)
	return c
}

// podEnv is a container's env as the kubelet builds it for pod name/ip, the
// members' DNS names resolved, plus the given overrides (later entries win).
func (c *redisCluster) podEnv(ctr corev1.Container, name, ip string, overrides ...string) []string {
	c.t.Helper()
	return append(c.dns.env(kubeletEnv(c.t, ctr, pod{name: name, ip: ip}, c.ns, c.secrets)), overrides...)
}

// memberEnv is member i's env of container ctr, plus what differs outside
// Kubernetes: the listen and probe addresses and the directories.
func (c *redisCluster) memberEnv(i int, ctr corev1.Container) []string {
	data := filepath.Join(c.dir, fmt.Sprintf("member-%d", i))
	return c.podEnv(ctr, c.names[i], c.hosts[i],
		"REDIS_BIND="+c.hosts[i], "PROBE_HOST="+c.hosts[i],
		"REDIS_CONFIG_DIR="+c.cmDirs["nova-redis-sentinel-config"],
		"REDIS_DATA_DIR="+filepath.Join(data, "data"), "REDIS_RUN_DIR="+filepath.Join(data, "run"),
		"REDIS_PASSWORD_FILE="+filepath.Join(c.dir, "password"))
}

// command is a container's rendered command and args as they run here.
func (c *redisCluster) command(spec corev1.PodSpec, ctr corev1.Container, argv ...string) []string {
	if len(argv) == 0 {
		argv = append(append([]string{}, ctr.Command...), ctr.Args...)
	}
	return onHost(argv, mountDirs(spec, ctr, c.cmDirs))
}

// startRedis starts member i's redis container as rendered.
func (c *redisCluster) startRedis(i int) {
	c.t.Helper()
	c.redis[i] = start(c.t, c.dir, fmt.Sprintf("redis-%d", i), c.memberEnv(i, c.redisC), c.command(c.sts.Spec.Template.Spec, c.redisC)...)
}

// startMember starts member i's redis and sentinel with the chart's scripts.
func (c *redisCluster) startMember(i int) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Join(c.dir, fmt.Sprintf("member-%d", i), "data"), 0o700); err != nil {
		c.t.Fatal(err)
	}
	c.startRedis(i)
	c.startLabeler(i)
	c.sentinel[i] = start(c.t, c.dir, fmt.Sprintf("sentinel-%d", i), c.memberEnv(i, c.sentinelC), c.command(c.sts.Spec.Template.Spec, c.sentinelC)...)
}

// startLabeler starts member i's role-label sidecar as rendered unless it
// runs already (a container restart leaves the pod's other containers be),
// against the fake API with the fake service account.
func (c *redisCluster) startLabeler(i int) {
	if c.labelers[i] != nil && !c.labelers[i].exited() {
		return
	}
	env := c.podEnv(c.labelC, c.names[i], c.hosts[i], "REDIS_HOST="+c.hosts[i],
		"REDIS_PASSWORD_FILE="+filepath.Join(c.dir, "password"),
		"KUBERNETES_API_URL="+c.api.srv.URL, "SERVICEACCOUNT_DIR="+c.api.saDir,
		"PATH="+c.toolsDir+":"+os.Getenv("PATH"))
	c.labelers[i] = start(c.t, c.dir, fmt.Sprintf("role-label-%d", i), env, c.command(c.sts.Spec.Template.Spec, c.labelC)...)
}

// roleLabelsFollow waits until every member's pod carries the role label
// of what its Redis says now (master, replica; unknown when it is down).
func (c *redisCluster) roleLabelsFollow(timeout time.Duration) error {
	key := envValue(c.t, c.labelC, "ROLE_LABEL")
	err := eventually(timeout, 100*time.Millisecond, func() error {
		for i := range c.hosts {
			if c.labelers[i] == nil || c.labelers[i].exited() {
				continue // the pod is gone, and its labels with it
			}
			want := map[string]string{"master": facts.RoleMaster, "slave": "replica", "down": "unknown"}
			role, _ := c.role(i)
			if got := c.api.labels(c.names[i])[key]; got != want[role] {
				return fmt.Errorf("pod %s is labelled %s=%q, its Redis says %q", c.names[i], key, got, role)
			}
		}
		return nil
	})
	if refused := c.api.refused(); len(refused) > 0 {
		c.t.Errorf("the fake API refused requests: %v", refused)
	}
	return err
}

// killMember is a pod lost at once: SIGKILL to redis and sentinel.
func (c *redisCluster) killMember(i int) {
	c.redis[i].kill()
	c.sentinel[i].kill()
}

// stopMember is a pod stopped by the kubelet: the preStop hook, then
// SIGTERM, SIGKILL when the rendered grace period has run out.
func (c *redisCluster) stopMember(i int, preStop bool) {
	c.t.Helper()
	deadline := time.Now().Add(c.grace)
	if preStop {
		c.preStop(i)
	}
	c.redis[i].stop(time.Until(deadline))
	c.sentinel[i].stop(time.Until(deadline))
	c.labelers[i].stop(time.Until(deadline))
}

// preStop runs the redis container's rendered preStop hook of member i to
// its end (the kubelet gives it the grace period).
func (c *redisCluster) preStop(i int) {
	c.t.Helper()
	hook := c.redisC.Lifecycle
	if hook == nil || hook.PreStop == nil || hook.PreStop.Exec == nil {
		c.t.Fatal("the redis container has no exec preStop hook")
	}
	argv := c.command(c.sts.Spec.Template.Spec, c.redisC, hook.PreStop.Exec.Command...)
	p := start(c.t, c.dir, fmt.Sprintf("prestop-%d", i), c.memberEnv(i, c.redisC), argv...)
	if !p.wait(c.grace) {
		c.t.Fatalf("preStop of member %d did not end within the grace period (%s)", i, c.grace)
	}
}

// startHAProxy starts the HAProxy container as rendered, on its own address.
func (c *redisCluster) startHAProxy() {
	spec := c.haproxyD.Spec.Template.Spec
	ctr := spec.Containers[0]
	env := c.podEnv(ctr, c.haproxyD.Name, hostOf(c.haAddr),
		"HAPROXY_BIND="+c.haAddr, "HAPROXY_HEALTH_BIND="+hostOf(c.haAddr)+":"+containerPort(c.t, ctr, "health"))
	c.haproxy = start(c.t, c.dir, "haproxy", env, c.command(spec, ctr)...)
}

// runHelmTest runs the chart's helm test pod to its end; its Service names
// are what they reach here (c.services). It returns the exit code.
func (c *redisCluster) runHelmTest() int {
	c.t.Helper()
	ctr := c.testPod.Spec.Containers[0]
	env := c.podEnv(ctr, c.testPod.Name, "127.0.0.1", "REDIS_PASSWORD_FILE="+filepath.Join(c.dir, "password"))
	for i, kv := range env {
		if name, value, _ := strings.Cut(kv, "="); c.services[value] != "" {
			env[i] = name + "=" + c.services[value]
		}
	}
	p := start(c.t, c.dir, "helm-test", env, c.command(c.testPod.Spec, ctr)...)
	p.wait(20 * time.Second)
	return p.cmd.ProcessState.ExitCode()
}

func (c *redisCluster) do(i int, args ...string) (any, error) {
	return redisDo(c.hosts[i]+":"+c.redisPort, c.password, args...)
}

func (c *redisCluster) role(i int) (role, link string) {
	reply, err := c.do(i, "INFO", "replication")
	if err != nil {
		return "down", ""
	}
	info, _ := reply.(string)
	return infoField(info, "role"), infoField(info, "master_link_status")
}

func (c *redisCluster) sentinelMaster(i int) string {
	reply, err := redisDo(c.hosts[i]+":"+c.sentPort, c.password, "SENTINEL", "get-master-addr-by-name", c.master)
	if list, ok := reply.([]any); err == nil && ok && len(list) == 2 {
		return fmt.Sprint(list[0])
	}
	return ""
}

// stable waits until the running members have exactly one master, every
// replica's link is up and every running Sentinel names that master.
func (c *redisCluster) stable(timeout time.Duration) int {
	c.t.Helper()
	master := -1
	err := eventually(timeout, 200*time.Millisecond, func() error {
		master = -1
		for i := range c.hosts {
			if c.redis[i] == nil || c.redis[i].exited() {
				continue
			}
			switch role, link := c.role(i); {
			case role == "master" && master >= 0:
				return fmt.Errorf("two masters: %s and %s", c.hosts[master], c.hosts[i])
			case role == "master":
				master = i
			case role != "slave" || link != "up":
				return fmt.Errorf("member %s: role %q link %q", c.hosts[i], role, link)
			}
		}
		if master < 0 {
			return fmt.Errorf("no master")
		}
		for i := range c.hosts {
			if c.sentinel[i] == nil || c.sentinel[i].exited() {
				continue
			}
			if got := c.sentinelMaster(i); got != c.hosts[master] {
				return fmt.Errorf("Sentinel %d names %q, master is %s", i, got, c.hosts[master])
			}
			if err := c.sentinelKnowsReplicas(i, master); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("cluster not stable: %v", err)
	}
	return master
}

// sentinelKnowsReplicas: Sentinel i sees every running replica as a healthy
// replica, so it could promote one now.
func (c *redisCluster) sentinelKnowsReplicas(i, master int) error {
	reply, err := redisDo(c.hosts[i]+":"+c.sentPort, c.password, "SENTINEL", "replicas", c.master)
	if err != nil {
		return err
	}
	healthy := map[string]bool{}
	list, _ := reply.([]any)
	for _, r := range list {
		if field(r, "flags") == "slave" {
			healthy[field(r, "ip")] = true
		}
	}
	for j := range c.hosts {
		if j != master && c.redis[j] != nil && !c.redis[j].exited() && !healthy[c.hosts[j]] {
			return fmt.Errorf("Sentinel %d does not see %s as a healthy replica", i, c.hosts[j])
		}
	}
	return nil
}

// writeThroughHAProxy is a client that is not Sentinel-aware.
func (c *redisCluster) writeThroughHAProxy(key string) error {
	reply, err := redisDo(c.haAddr, c.password, "SET", key, "v")
	if err != nil {
		return err
	}
	if reply != "OK" {
		return fmt.Errorf("SET %s: %v", key, reply)
	}
	return nil
}

func (c *redisCluster) dumpLogsOnFailure() {
	if !c.t.Failed() {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		c.t.Logf("--- %s\n%s", filepath.Base(l), strings.Join(lines, "\n"))
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
