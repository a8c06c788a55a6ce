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

	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/render"
)

// redisCluster is the redis-sentinel chart's render running as processes:
// member i listens on its own loopback address with the chart's ports.
type redisCluster struct {
	t          *testing.T
	dir        string
	password   string
	hosts      []string          // member addresses, in ordinal order
	env        map[string]string // the redis container's rendered env
	haproxyEnv map[string]string // the HAProxy container's rendered env
	redisPort  string
	sentPort   string
	master     string // Sentinel master name
	redis      []*process
	sentinel   []*process
	haproxy    *process
	haAddr     string
}

// newRedisCluster renders the chart with a profile and lays its config and
// scripts out in a temp dir, exactly as rendered.
func newRedisCluster(t *testing.T, profile string) *redisCluster {
	t.Helper()
	for cmd, pkg := range map[string]string{"redis-server": "redis-server", "redis-cli": "redis-tools", "haproxy": "haproxy"} {
		need.Command(t, cmd, pkg)
	}
	m := render.Render(t, render.Options{Chart: "redis-sentinel", Profile: profile})
	dir := t.TempDir()
	if d := os.Getenv("FAILOVER_KEEP_DIR"); d != "" {
		dir = d
	}
	for cm, sub := range map[string]string{"config": "config", "scripts": "scripts", "haproxy": "haproxy"} {
		writeConfigMap(t, render.Get[*corev1.ConfigMap](t, m, "nova-redis-sentinel-"+cm), filepath.Join(dir, sub))
	}
	c := &redisCluster{t: t, dir: dir,
		password: string(render.Get[*corev1.Secret](t, m, "nova-redis-sentinel-auth").Data["password"])}
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte(c.password), 0o600); err != nil {
		t.Fatal(err)
	}
	sts := render.Get[*appsv1.StatefulSet](t, m, "nova-redis-sentinel-redis")
	c.env = literalEnv(sts.Spec.Template.Spec.Containers[0])
	c.haproxyEnv = literalEnv(render.Get[*appsv1.Deployment](t, m, "nova-redis-sentinel-haproxy").Spec.Template.Spec.Containers[0])
	c.redisPort, c.sentPort, c.master = c.env["REDIS_PORT"], c.env["SENTINEL_PORT"], c.env["SENTINEL_MASTER_NAME"]
	// A loopback /24 of our own, so parallel runs do not meet.
	base := fmt.Sprintf("127.%d.%d.", 100+rand.IntN(100), 1+rand.IntN(250))
	for i := 0; i < int(*sts.Spec.Replicas); i++ {
		c.hosts = append(c.hosts, fmt.Sprintf("%s%d", base, 11+i))
	}
	c.haAddr = base + "20:" + c.redisPort
	c.redis = make([]*process, len(c.hosts))
	c.sentinel = make([]*process, len(c.hosts))
	t.Cleanup(c.dumpLogsOnFailure)
	return c
}

func writeConfigMap(t *testing.T, cm *corev1.ConfigMap, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// literalEnv is a container's env with plain values (no fieldRef, no $(VAR)).
func literalEnv(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil && !strings.Contains(e.Value, "$(") {
			env[e.Name] = e.Value
		}
	}
	return env
}

// memberEnv is the rendered env plus what differs outside Kubernetes: this
// member's address, the members' addresses and the directories.
func (c *redisCluster) memberEnv(i int) []string {
	data := filepath.Join(c.dir, fmt.Sprintf("member-%d", i))
	var env []string
	for k, v := range c.env {
		env = append(env, k+"="+v)
	}
	// Later entries win.
	return append(env,
		"REDIS_SELF="+c.hosts[i], "REDIS_MEMBERS="+strings.Join(c.hosts, " "), "REDIS_BIND="+c.hosts[i],
		"PROBE_HOST="+c.hosts[i], "REDIS_CONFIG_DIR="+filepath.Join(c.dir, "config"),
		"REDIS_DATA_DIR="+filepath.Join(data, "data"), "REDIS_RUN_DIR="+filepath.Join(data, "run"),
		"REDIS_PASSWORD_FILE="+filepath.Join(c.dir, "password"))
}

func (c *redisCluster) script(name string) string { return filepath.Join(c.dir, "scripts", name) }

// startMember starts member i's redis and sentinel with the chart's scripts.
func (c *redisCluster) startMember(i int) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Join(c.dir, fmt.Sprintf("member-%d", i), "data"), 0o700); err != nil {
		c.t.Fatal(err)
	}
	c.redis[i] = start(c.t, c.dir, fmt.Sprintf("redis-%d", i), c.memberEnv(i), "sh", c.script("start-redis.sh"))
	c.sentinel[i] = start(c.t, c.dir, fmt.Sprintf("sentinel-%d", i), c.memberEnv(i), "sh", c.script("start-sentinel.sh"))
}

// killMember is a pod lost at once: SIGKILL to redis and sentinel.
func (c *redisCluster) killMember(i int) {
	c.redis[i].kill()
	c.sentinel[i].kill()
}

// stopMember is a pod stopped by the kubelet: the preStop hook, then SIGTERM.
func (c *redisCluster) stopMember(i int, preStop bool) {
	c.t.Helper()
	if preStop {
		c.preStop(i)
	}
	c.redis[i].stop(10 * time.Second)
	c.sentinel[i].stop(10 * time.Second)
}

// preStop runs the redis container's preStop hook of member i to its end.
func (c *redisCluster) preStop(i int) {
	c.t.Helper()
	p := start(c.t, c.dir, fmt.Sprintf("prestop-%d", i), c.memberEnv(i), "sh", c.script("switchover.sh"))
	if !p.wait(40 * time.Second) {
		c.t.Fatalf("preStop of member %d did not end", i)
	}
}

func (c *redisCluster) startHAProxy() {
	var env []string
	for k, v := range c.haproxyEnv {
		env = append(env, k+"="+v)
	}
	// Later entries win: the addresses differ outside Kubernetes.
	env = append(env, "HAPROXY_BIND="+c.haAddr, "HAPROXY_HEALTH_BIND="+hostOf(c.haAddr)+":8404", "REDIS_PASSWORD="+c.password)
	for i, h := range c.hosts {
		env = append(env, fmt.Sprintf("REDIS_MEMBER_%d=%s:%s", i, h, c.redisPort))
	}
	c.haproxy = start(c.t, c.dir, "haproxy", env, "haproxy", "-W", "-db", "-f", filepath.Join(c.dir, "haproxy", "haproxy.cfg"))
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
