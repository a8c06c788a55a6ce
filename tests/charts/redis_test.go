package charts

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nova-platform/nova/tests/render"
)

const (
	redisSTS     = "nova-redis-sentinel-redis"
	redisConfig  = "nova-redis-sentinel-config"
	redisHAProxy = "nova-redis-sentinel-haproxy"
)

func renderRedis(t *testing.T, profile string, set map[string]string) *render.Manifest {
	t.Helper()
	return render.Render(t, render.Options{Chart: "redis-sentinel", Profile: profile, Set: set})
}

func TestRedisTopologyPerProfile(t *testing.T) {
	for _, profile := range []string{"local", "production"} {
		t.Run(profile, func(t *testing.T) {
			m := renderRedis(t, profile, nil)
			sts := render.Get[*appsv1.StatefulSet](t, m, redisSTS)
			if *sts.Spec.Replicas != 3 {
				t.Errorf("%d members, want 3", *sts.Spec.Replicas)
			}
			spec := sts.Spec.Template.Spec
			var names []string
			for _, c := range spec.Containers {
				names = append(names, c.Name)
			}
			if fmt.Sprint(names) != "[redis sentinel role-label]" {
				t.Errorf("containers %v, want redis, sentinel and the role-label sidecar", names)
			}
			redis, sentinel := container(t, spec, "redis"), container(t, spec, "sentinel")
			for _, c := range []corev1.Container{redis, sentinel} {
				if c.StartupProbe == nil || c.LivenessProbe == nil || c.ReadinessProbe == nil {
					t.Errorf("%s: startup, liveness and readiness probes are all needed", c.Name)
				}
			}
			if got := strings.Join(redis.ReadinessProbe.Exec.Command, " "); got != "sh /scripts/probe.sh redis-ready" {
				t.Errorf("redis readiness runs %q, want the replication-aware check", got)
			}
			if redis.Lifecycle == nil || redis.Lifecycle.PreStop == nil || !strings.Contains(strings.Join(redis.Lifecycle.PreStop.Exec.Command, " "), "switchover.sh") {
				t.Error("redis has no switchover preStop")
			}
			if grace := *spec.TerminationGracePeriodSeconds; grace <= mustAtoi(t, envValue(t, redis, "SWITCHOVER_TIMEOUT")) {
				t.Errorf("grace period %d s does not leave room for the %s s switchover", grace, envValue(t, redis, "SWITCHOVER_TIMEOUT"))
			}
			members := strings.Fields(envValue(t, redis, "REDIS_MEMBERS"))
			if len(members) != 3 || members[0] != "nova-redis-sentinel-redis-0.nova-redis-sentinel-headless.nova.svc.cluster.local" {
				t.Errorf("members %v", members)
			}
			a := spec.Affinity.PodAntiAffinity
			if profile == "production" && len(a.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
				t.Error("production: anti-affinity must be required")
			}
			if profile == "local" && (len(a.PreferredDuringSchedulingIgnoredDuringExecution) != 1 || a.RequiredDuringSchedulingIgnoredDuringExecution != nil) {
				t.Error("local: anti-affinity must be preferred only")
			}
			headless := render.Get[*corev1.Service](t, m, "nova-redis-sentinel-headless")
			if !headless.Spec.PublishNotReadyAddresses || headless.Spec.ClusterIP != "None" {
				t.Error("headless Service must publish not-ready addresses")
			}
		})
	}
}

func TestSentinelSettingsAndWritableState(t *testing.T) {
	m := renderRedis(t, "production", nil)
	cm := render.Get[*corev1.ConfigMap](t, m, redisConfig)
	for _, line := range []string{
		"sentinel down-after-milliseconds mymaster 2000", "sentinel failover-timeout mymaster 10000", "sentinel parallel-syncs mymaster 1",
	} {
		if !strings.Contains(cm.Data["sentinel-monitor.conf"], line) {
			t.Errorf("sentinel-monitor.conf lacks %q", line)
		}
	}
	for _, line := range []string{"sentinel announce-hostnames yes", "sentinel resolve-hostnames yes"} {
		if !strings.Contains(cm.Data["sentinel.conf"], line) {
			t.Errorf("sentinel.conf lacks %q", line)
		}
	}
	sts := render.Get[*appsv1.StatefulSet](t, m, redisSTS)
	sentinel := container(t, sts.Spec.Template.Spec, "sentinel")
	if q := envValue(t, sentinel, "SENTINEL_QUORUM"); q != "2" {
		t.Errorf("quorum %s, want 2", q)
	}
	// Sentinel rewrites its config: it lives on the data volume (writable,
	// per pod), while the chart's config is mounted read-only.
	for _, vm := range sentinel.VolumeMounts {
		switch vm.Name {
		case "data":
			if vm.ReadOnly || vm.MountPath != "/data" {
				t.Errorf("sentinel state volume %+v must be writable at /data", vm)
			}
		case "config":
			if !vm.ReadOnly {
				t.Error("the ConfigMap must be mounted read-only")
			}
		}
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Error("the data volume must be a PVC")
	}
	script := render.Get[*corev1.ConfigMap](t, m, "nova-redis-sentinel-scripts").Data["common.sh"]
	if !strings.Contains(script, "SENTINEL_STATE=$REDIS_DATA_DIR/sentinel/sentinel.conf") {
		t.Error("Sentinel state is not kept on the data volume")
	}
}

func TestRedisDataSafetyAndMemory(t *testing.T) {
	for _, profile := range []string{"local", "production"} {
		m := renderRedis(t, profile, nil)
		conf := render.Get[*corev1.ConfigMap](t, m, redisConfig).Data["redis.conf"]
		for _, line := range []string{"min-replicas-to-write 1", "min-replicas-max-lag 10", "appendonly yes", "appendfsync everysec", "aof-use-rdb-preamble yes", "maxmemory-policy allkeys-lru"} {
			if !strings.Contains(conf, line+"\n") {
				t.Errorf("%s: redis.conf lacks %q", profile, line)
			}
		}
		if !regexp.MustCompile(`(?m)^save \d+ \d+`).MatchString(conf) {
			t.Errorf("%s: no RDB snapshots", profile)
		}
		maxmemory := mustAtoi(t, regexp.MustCompile(`(?m)^maxmemory (\d+)$`).FindStringSubmatch(conf)[1])
		redis := container(t, render.Get[*appsv1.StatefulSet](t, m, redisSTS).Spec.Template.Spec, "redis")
		limit := redis.Resources.Limits.Memory().Value()
		if ratio := float64(maxmemory) / float64(limit); ratio < 0.6 || ratio > 0.8 {
			t.Errorf("%s: maxmemory %d is %.0f%% of the %d limit, want about 70%%", profile, maxmemory, ratio*100, limit)
		}
		if profile == "production" && (redis.Resources.Limits.Memory().String() != "512Mi" || redis.Resources.Requests.Memory().String() != "256Mi") {
			t.Errorf("production memory %s/%s, want 256Mi/512Mi", redis.Resources.Requests.Memory(), redis.Resources.Limits.Memory())
		}
	}
}

func TestRedisDisruptionBudgetsMatchTheirPods(t *testing.T) {
	m := renderRedis(t, "production", nil)
	want := map[string]string{redisSTS: "2", redisHAProxy: "1"}
	templates := map[string]map[string]string{}
	for _, w := range workloads(m) {
		templates[w.Meta.Name] = w.Template.Labels
	}
	for name, min := range want {
		pdb := render.Get[*policyv1.PodDisruptionBudget](t, m, name)
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.String() != min {
			t.Errorf("%s: minAvailable %v, want %s", name, pdb.Spec.MinAvailable, min)
		}
		sel, _ := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if !sel.Matches(labels.Set(templates[name])) {
			t.Errorf("%s: selector %v does not match its pods", name, sel)
		}
	}
}

func TestRedisPasswordIsNeverALiteral(t *testing.T) {
	m := renderRedis(t, "production", map[string]string{"metrics.enabled": "true"})
	secret := render.Get[*corev1.Secret](t, m, "nova-redis-sentinel-auth")
	password := string(secret.Data["password"])
	if len(password) < 16 {
		t.Fatalf("generated password %q is too short", password)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(password))
	if strings.Count(m.Raw, password) != 0 || strings.Count(m.Raw, encoded) != 1 {
		t.Errorf("the password appears outside the Secret's data")
	}
	for _, w := range workloads(m) {
		for _, c := range w.Template.Spec.Containers {
			for _, e := range c.Env {
				if strings.Contains(strings.ToLower(e.Name), "pass") && e.ValueFrom == nil && !strings.HasSuffix(e.Name, "_FILE") {
					t.Errorf("%s/%s: env %s is a literal", w.Meta.Name, c.Name, e.Name)
				}
			}
		}
	}
	// With an existing Secret nothing is generated and every reference follows it.
	m = renderRedis(t, "", map[string]string{"global.redis.existingSecret": "vault-redis", "global.redis.existingSecretKey": "pw"})
	if n := len(render.All[*corev1.Secret](m)); n != 0 {
		t.Errorf("%d Secrets rendered with global.redis.existingSecret", n)
	}
	if !strings.Contains(m.Raw, "secretName: vault-redis") || !strings.Contains(m.Raw, "name: vault-redis\n                  key: pw") {
		t.Error("pods do not read the existing Secret and key")
	}
}

func TestHAProxyRoutesOnlyToTheMaster(t *testing.T) {
	m := renderRedis(t, "production", nil)
	cfg := render.Get[*corev1.ConfigMap](t, m, redisHAProxy).Data["haproxy.cfg"]
	for _, line := range []string{`tcp-check send "AUTH ${REDIS_PASSWORD}\r\n"`, `tcp-check send "INFO replication\r\nQUIT\r\n"`, "tcp-check expect string role:master", "on-marked-down shutdown-sessions",
		"monitor fail if { nbsrv(master) gt 1 }"} {
		if !strings.Contains(cfg, line) {
			t.Errorf("haproxy.cfg lacks %q", line)
		}
	}
	d := render.Get[*appsv1.Deployment](t, m, redisHAProxy)
	c := d.Spec.Template.Spec.Containers[0]
	for i := 0; i < 3; i++ {
		if !strings.Contains(cfg, fmt.Sprintf(`server member-%d "${REDIS_MEMBER_%d}" check`, i, i)) {
			t.Errorf("haproxy.cfg has no server line for member %d", i)
		}
		want := fmt.Sprintf("nova-redis-sentinel-redis-%d.nova-redis-sentinel-headless.nova.svc.cluster.local:6379", i)
		if got := envValue(t, c, fmt.Sprintf("REDIS_MEMBER_%d", i)); got != want {
			t.Errorf("REDIS_MEMBER_%d = %q, want %q", i, got, want)
		}
	}
	if *d.Spec.Replicas != 2 {
		t.Errorf("HAProxy replicas %d, want 2", *d.Spec.Replicas)
	}
	// Ready only with at most one master candidate (the monitor rule above);
	// alive while it answers at all, so an ambiguous moment never restarts it.
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("HAProxy readiness must ask /healthz: %+v", p)
	}
	if p := c.LivenessProbe; p == nil || p.TCPSocket == nil {
		t.Errorf("HAProxy liveness must be a TCP check, not the readiness rule: %+v", p)
	}
	master := render.Get[*corev1.Service](t, m, "nova-redis-sentinel-master")
	if !labels.SelectorFromSet(master.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || master.Spec.Ports[0].Port != 6379 {
		t.Error("the master Service must send port 6379 to HAProxy")
	}
	sentinel := render.Get[*corev1.Service](t, m, "nova-redis-sentinel-sentinel")
	if sentinel.Spec.Ports[0].Port != 26379 {
		t.Error("the sentinel Service must expose 26379")
	}
}

func TestRedisConfigChangeRollsPods(t *testing.T) {
	checksums := func(set map[string]string) (string, string) {
		m := renderRedis(t, "production", set)
		sts := render.Get[*appsv1.StatefulSet](t, m, redisSTS).Spec.Template.Annotations["checksum/config"]
		return sts, render.Get[*appsv1.Deployment](t, m, redisHAProxy).Spec.Template.Annotations["checksum/config"]
	}
	base, haBase := checksums(nil)
	again, _ := checksums(nil)
	changed, haChanged := checksums(map[string]string{"redis.maxmemoryPolicy": "allkeys-lfu"})
	if base == "" || base != again {
		t.Fatalf("checksum not stable: %q vs %q", base, again)
	}
	if changed == base {
		t.Error("changing a Redis setting does not change the pods' checksum")
	}
	if haChanged != haBase {
		t.Error("a Redis setting rolled HAProxy too")
	}
}

func TestRedisOptionalExtras(t *testing.T) {
	m := renderRedis(t, "", nil)
	if strings.Contains(m.Raw, "kind: NetworkPolicy") || strings.Contains(m.Raw, "kind: ServiceMonitor") || strings.Contains(m.Raw, "redis_exporter") {
		t.Error("optional extras must be off by default")
	}
	m = renderRedis(t, "", map[string]string{"metrics.enabled": "true", "metrics.serviceMonitor.enabled": "true", "networkPolicy.enabled": "true"})
	sts := render.Get[*appsv1.StatefulSet](t, m, redisSTS)
	container(t, sts.Spec.Template.Spec, "metrics")
	if len(render.All[*unstructured.Unstructured](m)) != 1 {
		t.Error("no ServiceMonitor")
	}
	render.Get[*corev1.Service](t, m, "nova-redis-sentinel-metrics")
	np := render.All[*networkingv1.NetworkPolicy](m)
	if len(np) != 1 || len(np[0].Spec.Ingress[0].From) != 2 {
		t.Fatalf("want one NetworkPolicy admitting the cache pods and the services tier, got %+v", np)
	}
}

// The Services keep the ports of the contract with the services tier
// (nova-common.redis.*) when the container ports change.
func TestRedisServicePortsAreTheContract(t *testing.T) {
	m := renderRedis(t, "", map[string]string{"redis.port": "6380", "sentinel.port": "26380"})
	for name, want := range map[string]int32{"nova-redis-sentinel-master": 6379, "nova-redis-sentinel-sentinel": 26379} {
		p := render.Get[*corev1.Service](t, m, name).Spec.Ports[0]
		if p.Port != want || p.TargetPort.StrVal == "" {
			t.Errorf("%s: port %d -> %v, want %d to a named port", name, p.Port, p.TargetPort, want)
		}
	}
}

// The old master's preStop drain is three of HAProxy's check intervals,
// from the one value; without HAProxy there is nothing to wait for.
func TestRedisSwitchoverDrainFollowsHAProxyChecks(t *testing.T) {
	for _, tc := range []struct {
		set  map[string]string
		want string
	}{
		{nil, "750"},
		{map[string]string{"haproxy.checkIntervalMs": "400"}, "1200"},
		{map[string]string{"haproxy.enabled": "false"}, "0"},
	} {
		m := renderRedis(t, "production", tc.set)
		redis := render.Get[*appsv1.StatefulSet](t, m, redisSTS).Spec.Template.Spec.Containers[0]
		if got := envValue(t, redis, "SWITCHOVER_DRAIN_MS"); got != tc.want {
			t.Errorf("%v: SWITCHOVER_DRAIN_MS = %s, want %s", tc.set, got, tc.want)
		}
		// The hook's log reaches kubectl logs.
		if cmd := strings.Join(redis.Lifecycle.PreStop.Exec.Command, " "); !strings.Contains(cmd, "2>/proc/1/fd/2") {
			t.Errorf("preStop %q does not log to the container's stderr", cmd)
		}
	}
}
