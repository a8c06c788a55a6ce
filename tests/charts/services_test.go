package charts

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/nova-platform/nova/tests/render"
)

var consolidated = []string{"values/topology-consolidated.yaml"}

// renderServices renders the umbrella (where the services tier sees the
// data tiers) with a profile, extra files and --set values.
func renderServices(t *testing.T, profile string, files []string, set map[string]string) *render.Manifest {
	t.Helper()
	return render.Render(t, render.Options{Chart: "nova", Profile: profile, Files: files, Set: set})
}

// app returns the application container of a service's Deployment.
func app(t *testing.T, m *render.Manifest, name string) corev1.Container {
	t.Helper()
	return container(t, render.Get[*appsv1.Deployment](t, m, name).Spec.Template.Spec, name)
}

func envNames(c corev1.Container) []string {
	var out []string
	for _, e := range c.Env {
		out = append(out, e.Name)
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// dsn parses a service's DATABASE_URL.
func dsn(t *testing.T, c corev1.Container) *url.URL {
	t.Helper()
	raw := envOf(c)["DATABASE_URL"].Value
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("%s: DATABASE_URL %q is not a postgres URL: %v", c.Name, raw, err)
	}
	return u
}

func TestDatabasePerService(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		set   map[string]string
		want  map[string]string
	}{
		{"split", nil, nil, map[string]string{"user-service": "nova_auth", "auth-service": "nova_auth", "search-service": "nova_auth",
			"streaming-api": "nova_auth", "messaging-service": "nova_messaging"}},
		{"consolidated", consolidated, map[string]string{"nova-services.services.streaming-service.enabled": "true"},
			map[string]string{"api-service": "nova_auth", "streaming-service": "nova_auth", "realtime-service": "nova_messaging"}},
	}
	for _, c := range cases {
		for _, profile := range append([]string{""}, render.Profiles...) {
			m := renderServices(t, profile, c.files, c.set)
			if strings.Contains(m.Raw, "nova_core") {
				t.Errorf("%s/%s: nova_core appears in the render", c.name, profile)
			}
			if n := len(serviceDeployments(m)); n != len(c.want) {
				t.Errorf("%s/%s: %d service Deployments, want %d", c.name, profile, n, len(c.want))
			}
			for svc, db := range c.want {
				if got := strings.TrimPrefix(dsn(t, app(t, m, svc)).Path, "/"); got != db {
					t.Errorf("%s/%s: %s uses database %q, want %q", c.name, profile, svc, got, db)
				}
			}
		}
	}
	// api-gateway has no database: no DATABASE_URL at all.
	m := renderServices(t, "", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true"})
	if _, ok := envOf(app(t, m, "api-gateway"))["DATABASE_URL"]; ok {
		t.Error("api-gateway has a DATABASE_URL but no database")
	}
}

func TestRedisDbIndexPerService(t *testing.T) {
	want := map[string]string{"user-service": "0", "messaging-service": "1", "streaming-api": "2", "api-gateway": "3",
		"api-service": "0", "realtime-service": "1", "streaming-service": "2"}
	renders := []*render.Manifest{
		renderServices(t, "production", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true"}),
		renderServices(t, "production", consolidated, map[string]string{"nova-services.services.streaming-service.enabled": "true"}),
	}
	seen := 0
	for _, m := range renders {
		for _, d := range serviceDeployments(m) {
			c := container(t, d.Spec.Template.Spec, d.Name)
			env := envOf(c)
			db, ok := want[d.Name]
			if !ok {
				if _, has := env["REDIS_URL"]; has {
					t.Errorf("%s: REDIS_URL without a Redis DB in the catalogue", d.Name)
				}
				continue
			}
			seen++
			u, err := url.Parse(env["REDIS_URL"].Value)
			if err != nil || u.Scheme != "redis" {
				t.Fatalf("%s: REDIS_URL %q: %v", d.Name, env["REDIS_URL"].Value, err)
			}
			if u.Path != "/"+db || env["REDIS_DB"].Value != db {
				t.Errorf("%s: REDIS_URL DB %q, REDIS_DB %q, want %s", d.Name, u.Path, env["REDIS_DB"].Value, db)
			}
			if u.Host != "nova-redis-sentinel-master.nova.svc.cluster.local:6379" {
				t.Errorf("%s: Redis host %q, want the master endpoint", d.Name, u.Host)
			}
			if env["REDIS_SENTINEL_ADDRS"].Value != "nova-redis-sentinel-sentinel.nova.svc.cluster.local:26379" || env["REDIS_MASTER_NAME"].Value != "mymaster" {
				t.Errorf("%s: Sentinel settings %q / %q", d.Name, env["REDIS_SENTINEL_ADDRS"].Value, env["REDIS_MASTER_NAME"].Value)
			}
			assertPasswordFromSecret(t, d.Name, c, "REDIS_PASSWORD", "REDIS_URL", "nova-redis-sentinel-auth", "password")
			if p, _ := u.User.Password(); p != "$(REDIS_PASSWORD)" {
				t.Errorf("%s: REDIS_URL password %q, want the $(REDIS_PASSWORD) reference", d.Name, p)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("checked %d services with Redis, want %d", seen, len(want))
	}
}

// assertPasswordFromSecret: the password var comes from the owner's Secret
// and is defined before the URL that embeds it.
func assertPasswordFromSecret(t *testing.T, svc string, c corev1.Container, passwordVar, urlVar, secret, key string) {
	t.Helper()
	e := envOf(c)[passwordVar]
	if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
		e.ValueFrom.SecretKeyRef.Name != secret || e.ValueFrom.SecretKeyRef.Key != key {
		t.Errorf("%s: %s is not read from Secret %s key %s: %+v", svc, passwordVar, secret, key, e)
	}
	names := envNames(c)
	if i, j := indexOf(names, passwordVar), indexOf(names, urlVar); i < 0 || j < 0 || i > j {
		t.Errorf("%s: %s (at %d) must come before %s (at %d) for $(VAR) expansion", svc, passwordVar, i, urlVar, j)
	}
}

// The DSN names the postgres-ha primary Service, port and role, and its
// password is postgres-ha's own Secret, also with tier namespaces.
func TestDSNReachesThePrimaryWithPostgresHAsSecret(t *testing.T) {
	cases := map[string]struct {
		set        map[string]string
		host       string
		ns         string
		secretName string
	}{
		"release namespace": {nil, "nova-postgres-ha-primary.nova.svc.cluster.local", "nova", "nova-postgres-ha-auth"},
		"tier namespaces": {map[string]string{"global.tierNamespaces.enabled": "true"},
			"nova-postgres-ha-primary.nova-database.svc.cluster.local", "nova-database", "nova-postgres-ha-auth"},
		"existing secret": {map[string]string{"postgres-ha.auth.existingSecret": "pg-creds", "nova-services.database.existingSecret": "pg-creds"},
			"nova-postgres-ha-primary.nova.svc.cluster.local", "nova", "pg-creds"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := renderServices(t, "production", nil, c.set)
			primary := render.Get[*corev1.Service](t, m, "nova-postgres-ha-primary")
			if primary.Namespace != c.ns || primary.Spec.Selector["role"] != "primary" {
				t.Fatalf("primary Service %s/%s selects %v", primary.Namespace, primary.Name, primary.Spec.Selector)
			}
			if c.secretName == "nova-postgres-ha-auth" {
				if _, ok := render.Get[*corev1.Secret](t, m, c.secretName).Data["app-password"]; !ok {
					t.Fatal("postgres-ha's Secret has no app-password")
				}
			}
			for _, d := range serviceDeployments(m) {
				cont := container(t, d.Spec.Template.Spec, d.Name)
				u := dsn(t, cont)
				if u.Hostname() != c.host || u.Port() != "5432" || u.User.Username() != "nova" {
					t.Errorf("%s: DSN %s@%s, want nova@%s:5432", d.Name, u.User.Username(), u.Host, c.host)
				}
				if p, _ := u.User.Password(); p != "$(DATABASE_PASSWORD)" {
					t.Errorf("%s: DSN password %q is not the $(DATABASE_PASSWORD) reference", d.Name, p)
				}
				assertPasswordFromSecret(t, d.Name, cont, "DATABASE_PASSWORD", "DATABASE_URL", c.secretName, "app-password")
				init := container(t, corev1.PodSpec{Containers: d.Spec.Template.Spec.InitContainers}, "wait-for-deps")
				if got := envOf(init)["POSTGRES_ADDR"].Value; got != c.host+":5432" {
					t.Errorf("%s: init container waits for %q", d.Name, got)
				}
			}
		})
	}
	// Alone, with an external database: the values name it.
	m := render.Render(t, render.Options{Chart: "nova-services", Set: map[string]string{
		"database.host": "pg.example.com", "database.port": "6432", "database.user": "app", "database.existingSecret": "db",
		"database.existingSecretKey": "pw", "database.params": "sslmode=require", "redis.host": "cache.example.com", "redis.existingSecret": "cache"}})
	c := app(t, m, "user-service")
	if got := envOf(c)["DATABASE_URL"].Value; got != "postgres://app:$(DATABASE_PASSWORD)@pg.example.com:6432/nova_auth?sslmode=require" {
		t.Errorf("external DSN %q", got)
	}
	assertPasswordFromSecret(t, "user-service", c, "DATABASE_PASSWORD", "DATABASE_URL", "db", "pw")
	assertPasswordFromSecret(t, "user-service", c, "REDIS_PASSWORD", "REDIS_URL", "cache", "password")
	if env := envOf(c); env["REDIS_URL"].Value != "redis://:$(REDIS_PASSWORD)@cache.example.com:6379/0" || env["REDIS_SENTINEL_ADDRS"].Value != "" {
		t.Errorf("external Redis: %q, sentinels %q", env["REDIS_URL"].Value, env["REDIS_SENTINEL_ADDRS"].Value)
	}
}

func TestAutoscalingDisruptionBudgetsAndAntiAffinityPerProfile(t *testing.T) {
	hpas := map[string][2]int32{"user-service": {3, 10}, "messaging-service": {2, 8}, "api-service": {3, 10}, "realtime-service": {2, 8}}
	pdbMin := map[string]int{"user-service": 2, "messaging-service": 1, "auth-service": 1, "api-service": 2, "realtime-service": 1}
	for _, profile := range render.Profiles {
		for _, files := range [][]string{nil, consolidated} {
			m := renderServices(t, profile, files, nil)
			for _, d := range serviceDeployments(m) {
				spec := d.Spec.Template.Spec
				a := spec.Affinity.PodAntiAffinity
				// Every profile: soft (production sets it for the autoscaled
				// services while the data tiers are hard).
				if len(a.PreferredDuringSchedulingIgnoredDuringExecution) != 1 || a.RequiredDuringSchedulingIgnoredDuringExecution != nil {
					t.Errorf("%s/%s: want soft anti-affinity", profile, d.Name)
				}
				if len(spec.TopologySpreadConstraints) != 1 || spec.TopologySpreadConstraints[0].TopologyKey != "topology.kubernetes.io/zone" ||
					spec.TopologySpreadConstraints[0].WhenUnsatisfiable != corev1.ScheduleAnyway ||
					spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels["app.kubernetes.io/component"] != d.Name {
					t.Errorf("%s/%s: zone spread %+v", profile, d.Name, spec.TopologySpreadConstraints)
				}
				pdb := render.Get[*policyv1.PodDisruptionBudget](t, m, d.Name)
				if profile == "local" {
					if pdb.Spec.MinAvailable != nil || pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
						t.Errorf("local/%s: one replica needs maxUnavailable 1, got %+v", d.Name, pdb.Spec)
					}
					continue
				}
				if want, ok := pdbMin[d.Name]; ok && (pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != want) {
					t.Errorf("%s/%s: PDB %+v, want minAvailable %d", profile, d.Name, pdb.Spec, want)
				}
				if want, ok := hpas[d.Name]; ok && profile == "production" {
					h := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, m, d.Name)
					if *h.Spec.MinReplicas != want[0] || h.Spec.MaxReplicas != want[1] || h.Spec.ScaleTargetRef.Name != d.Name {
						t.Errorf("%s: HPA %d-%d on %s, want %d-%d", d.Name, *h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Spec.ScaleTargetRef.Name, want[0], want[1])
					}
				}
			}
		}
	}
	// The optional memory target.
	m := renderServices(t, "", nil, map[string]string{"nova-services.services.user-service.hpa.targetMemoryUtilizationPercentage": "80"})
	if ms := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, m, "user-service").Spec.Metrics; len(ms) != 2 || ms[1].Resource.Name != corev1.ResourceMemory {
		t.Errorf("memory target missing: %+v", ms)
	}
}

func TestSeedResourcesInProduction(t *testing.T) {
	m := renderServices(t, "production", nil, nil)
	for _, d := range serviceDeployments(m) {
		r := container(t, d.Spec.Template.Spec, d.Name).Resources
		if d.Name == "user-service" {
			assertResources(t, d.Name, r, "500m", "2", "512Mi", "2Gi")
		} else {
			assertResources(t, d.Name, r, "250m", "1", "256Mi", "512Mi")
		}
	}
}

func TestProbesAndGracefulStop(t *testing.T) {
	for _, files := range [][]string{nil, consolidated} {
		m := renderServices(t, "production", files, map[string]string{"nova-services.services.user-service.probes.readiness.path": "/ready"})
		for _, d := range serviceDeployments(m) {
			spec := d.Spec.Template.Spec
			c := container(t, spec, d.Name)
			readiness := "/health"
			if d.Name == "user-service" {
				readiness = "/ready"
			}
			for kind, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				want := "/health"
				if kind == "readiness" {
					want = readiness
				}
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "http" {
					t.Errorf("%s: %s probe %+v, want GET %s on port http", d.Name, kind, p, want)
				}
			}
			if c.Ports[0].Name != "http" {
				t.Errorf("%s: first port %q, want http", d.Name, c.Ports[0].Name)
			}
			if *spec.TerminationGracePeriodSeconds != 30 {
				t.Errorf("%s: grace %d s, want 30", d.Name, *spec.TerminationGracePeriodSeconds)
			}
			pre := c.Lifecycle.PreStop
			if pre == nil || pre.Sleep == nil || pre.Sleep.Seconds <= 0 || pre.Sleep.Seconds >= 30 {
				t.Errorf("%s: preStop %+v, want a pause shorter than the grace period", d.Name, pre)
			}
		}
	}
}

// Every container of the tier, init containers included, runs restricted
// with a read-only root filesystem; /tmp is an emptyDir.
func TestServicePodsAreRestricted(t *testing.T) {
	for _, profile := range render.Profiles {
		m := renderServices(t, profile, nil, nil)
		for _, d := range serviceDeployments(m) {
			spec := d.Spec.Template.Spec
			ps := spec.SecurityContext
			if ps == nil || *ps.RunAsNonRoot != true || *ps.RunAsUser != 10001 || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s/%s: pod security context %+v", profile, d.Name, ps)
			}
			if len(spec.InitContainers) != 1 {
				t.Errorf("%s/%s: %d init containers, want the dependency wait", profile, d.Name, len(spec.InitContainers))
			}
			for _, c := range append(spec.InitContainers, spec.Containers...) {
				sc := c.SecurityContext
				if sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !*sc.RunAsNonRoot ||
					len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
					t.Errorf("%s/%s/%s: container security context %+v", profile, d.Name, c.Name, sc)
				}
			}
			var tmp bool
			for _, v := range spec.Volumes {
				tmp = tmp || (v.Name == "tmp" && v.EmptyDir != nil)
			}
			if !tmp || container(t, spec, d.Name).VolumeMounts[0].MountPath != "/tmp" {
				t.Errorf("%s/%s: no emptyDir on /tmp", profile, d.Name)
			}
			if spec.ServiceAccountName != d.Name || spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Errorf("%s/%s: service account %q (token mounted: %v)", profile, d.Name, spec.ServiceAccountName, spec.AutomountServiceAccountToken)
			}
		}
	}
}

// The init container waits for what the service uses, with a pinned image and a timeout.
func TestInitContainerWaitsForTheDataTier(t *testing.T) {
	m := renderServices(t, "", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true",
		"nova-services.waitForDependencies.timeoutSeconds": "120", "global.imageRegistry": "mirror.example.com"})
	for _, name := range []string{"user-service", "auth-service", "api-gateway"} {
		spec := render.Get[*appsv1.Deployment](t, m, name).Spec.Template.Spec
		init := spec.InitContainers[0]
		env := envOf(init)
		if init.Image != "mirror.example.com/library/busybox:1.36.1" || env["WAIT_TIMEOUT"].Value != "120" {
			t.Errorf("%s: init image %q, timeout %q", name, init.Image, env["WAIT_TIMEOUT"].Value)
		}
		wantPG, wantRedis := name != "api-gateway", name != "auth-service"
		if (env["POSTGRES_ADDR"].Value != "") != wantPG || (env["REDIS_ADDR"].Value != "") != wantRedis {
			t.Errorf("%s: waits for postgres %q, redis %q", name, env["POSTGRES_ADDR"].Value, env["REDIS_ADDR"].Value)
		}
		if wantRedis && (env["REDIS_ADDR"].Value != "nova-redis-sentinel-master.nova.svc.cluster.local:6379" || env["REDIS_PASSWORD"].ValueFrom == nil) {
			t.Errorf("%s: Redis wait %q without the password", name, env["REDIS_ADDR"].Value)
		}
	}
	script := render.Get[*corev1.ConfigMap](t, m, "nova-nova-services-scripts").Data["wait-for-deps.sh"]
	for _, want := range []string{"WAIT_TIMEOUT", "timeout 3 nc", "SSLRequest", "+PONG", "exit 1"} {
		if !strings.Contains(script, want) {
			t.Errorf("wait script lacks %q", want)
		}
	}
	// A service with neither database nor Redis has nothing to wait for.
	m = renderServices(t, "", nil, map[string]string{"nova-services.services.search-service.database": "null"})
	if n := len(render.Get[*appsv1.Deployment](t, m, "search-service").Spec.Template.Spec.InitContainers); n != 0 {
		t.Errorf("search-service without a database has %d init containers", n)
	}
}

// The script as it ships: it gives up after its timeout, and passes once
// the endpoints answer. Needs busybox (the init container's image).
func TestWaitScriptRunsWithBusybox(t *testing.T) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox is not installed: apt-get install busybox (bash .ci/run does)")
	}
	dir := t.TempDir()
	for _, applet := range []string{"sh", "nc", "date", "sleep", "grep", "head", "timeout"} {
		if err := os.Symlink(busybox, dir+"/"+applet); err != nil {
			t.Fatal(err)
		}
	}
	run := func(env ...string) (string, error) {
		cmd := exec.Command(dir+"/sh", render.Path("charts", "nova-services", "files", "wait-for-deps.sh"))
		cmd.Env = append([]string{"PATH=" + dir, "WAIT_INTERVAL=1"}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("WAIT_TIMEOUT=2", "POSTGRES_ADDR=127.0.0.1:1")
	if err == nil || !strings.Contains(out, "gave up: PostgreSQL at 127.0.0.1:1") {
		t.Errorf("closed port: err %v, output %s", err, out)
	}
	// A listener that accepts but is not PostgreSQL does not count.
	if out, err := run("WAIT_TIMEOUT=2", "POSTGRES_ADDR="+listen(t, "")); err == nil {
		t.Errorf("a silent TCP listener counted as PostgreSQL:\n%s", out)
	}
	pg, redis := listen(t, "N"), listen(t, "+OK\r\n+PONG\r\n+OK\r\n")
	if out, err := run("WAIT_TIMEOUT=10", "POSTGRES_ADDR="+pg, "REDIS_ADDR="+redis, "REDIS_PASSWORD=secret"); err != nil {
		t.Errorf("open endpoints: %v\n%s", err, out)
	}
	mute := listen(t, "-NOAUTH Authentication required.\r\n")
	if out, err := run("WAIT_TIMEOUT=2", "REDIS_ADDR="+mute); err == nil {
		t.Errorf("a Redis that does not answer PONG counted as ready:\n%s", out)
	}
}

// listen serves every connection with reply and closes it; it returns host:port.
func listen(t *testing.T, reply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte(reply))
			conn.Close()
		}
	}()
	return l.Addr().String()
}

func TestCrossServiceURLsFollowTheEnabledServices(t *testing.T) {
	m := renderServices(t, "", nil, nil)
	want := map[string]string{"USER_SERVICE_URL": "http://user-service.nova.svc.cluster.local:8080",
		"AUTH_SERVICE_URL": "http://auth-service.nova.svc.cluster.local:8084", "SEARCH_SERVICE_URL": "http://search-service.nova.svc.cluster.local:8086",
		"STREAMING_API_URL": "http://streaming-api.nova.svc.cluster.local:8081", "MESSAGING_SERVICE_URL": "http://messaging-service.nova.svc.cluster.local:3000"}
	for _, d := range serviceDeployments(m) {
		env := envOf(container(t, d.Spec.Template.Spec, d.Name))
		for name, url := range want {
			own := name == strings.ToUpper(strings.ReplaceAll(d.Name, "-", "_"))+"_URL"
			if got := env[name].Value; own != (got == "") || (!own && got != url) {
				t.Errorf("%s: %s=%q, want %q (own URL left out)", d.Name, name, got, url)
			}
		}
		if _, ok := env["API_GATEWAY_URL"]; ok {
			t.Errorf("%s: URL of the disabled api-gateway", d.Name)
		}
	}
	// Consolidated: the old names point at the services that replace them.
	m = renderServices(t, "", consolidated, map[string]string{"global.tierNamespaces.enabled": "true"})
	env := envOf(app(t, m, "realtime-service"))
	for _, name := range []string{"API_SERVICE_URL", "USER_SERVICE_URL", "AUTH_SERVICE_URL", "SEARCH_SERVICE_URL"} {
		if env[name].Value != "http://api-service.nova-services.svc.cluster.local:8080" {
			t.Errorf("realtime-service: %s=%q", name, env[name].Value)
		}
	}
	if got := envOf(app(t, m, "api-service"))["MESSAGING_SERVICE_URL"].Value; got != "http://realtime-service.nova-services.svc.cluster.local:3000" {
		t.Errorf("api-service: MESSAGING_SERVICE_URL=%q", got)
	}
	// An alias that is also an enabled service is refused.
	_, err := render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{"services.api-gateway.enabled": "true", "services.api-gateway.aliases[0]": "user-service"}})
	if err == nil || !strings.Contains(err.Error(), `services.api-gateway.aliases: "user-service" is an enabled service`) {
		t.Errorf("alias clash accepted: %v", err)
	}
}

// Disabling a service removes every object of it and its URL from the others.
func TestDisablingAServiceRemovesItEverywhere(t *testing.T) {
	on := renderServices(t, "production", nil, map[string]string{"nova-services.secrets.values.kafka-brokers": "kafka:9092"})
	off := renderServices(t, "production", nil, map[string]string{"nova-services.secrets.values.kafka-brokers": "kafka:9092",
		"nova-services.services.messaging-service.enabled": "false"})
	count := func(m *render.Manifest) int {
		n := 0
		for _, o := range metaObjects(m) {
			if o.GetName() == "messaging-service" || o.GetLabels()["app.kubernetes.io/component"] == "messaging-service" {
				n++
			}
		}
		return n
	}
	// Deployment, Service, ServiceAccount, HPA, PDB, Secret.
	if n := count(on); n != 6 {
		t.Errorf("enabled messaging-service has %d objects, want 6", n)
	}
	if n := count(off); n != 0 {
		t.Errorf("disabled messaging-service still has %d objects", n)
	}
	if strings.Contains(off.Raw, "MESSAGING_SERVICE_URL") || !strings.Contains(on.Raw, "MESSAGING_SERVICE_URL") {
		t.Error("MESSAGING_SERVICE_URL does not follow the service's enabled flag")
	}
}

func TestClientSettingsComeFromOneConfigMap(t *testing.T) {
	m := renderServices(t, "", nil, nil)
	cm := render.Get[*corev1.ConfigMap](t, m, "nova-nova-services-client-settings")
	want := map[string]string{"HTTP_CLIENT_TIMEOUT_MS": "3000", "HTTP_CLIENT_CONNECT_TIMEOUT_MS": "1000", "HTTP_CLIENT_POOL_MAX_CONNECTIONS": "50",
		"HTTP_CLIENT_POOL_QUEUE_SIZE": "1000", "HTTP_CLIENT_MAX_RETRIES": "3", "HTTP_CLIENT_RETRY_DELAY_MS": "100",
		"CIRCUIT_BREAKER_ENABLED": "true", "CIRCUIT_BREAKER_FAILURE_THRESHOLD": "50", "CIRCUIT_BREAKER_SUCCESS_THRESHOLD": "5",
		"CIRCUIT_BREAKER_OPEN_DURATION_SECONDS": "60", "DATABASE_POOL_MAX_CONNECTIONS": "20", "DATABASE_POOL_IDLE_TIMEOUT_SECONDS": "30",
		"DATABASE_POOL_MAX_LIFETIME_SECONDS": "1800", "REDIS_POOL_MAX_CONNECTIONS": "20", "REDIS_CONNECT_TIMEOUT_MS": "2000"}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("%s=%q, want %q", k, cm.Data[k], v)
		}
	}
	for _, d := range serviceDeployments(m) {
		c := container(t, d.Spec.Template.Spec, d.Name)
		if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != cm.Name {
			t.Errorf("%s: envFrom %+v", d.Name, c.EnvFrom)
		}
		for k := range want {
			if _, typed := envOf(c)[k]; typed {
				t.Errorf("%s: %s typed again in env", d.Name, k)
			}
		}
	}
	// A changed setting rolls every pod; a changed secret value only the pods that read it.
	changed := renderServices(t, "", nil, map[string]string{"nova-services.clientSettings.HTTP_CLIENT_TIMEOUT_MS": "5000",
		"nova-services.secrets.values.kafka-brokers": "kafka:9092"})
	for _, d := range serviceDeployments(m) {
		before := d.Spec.Template.Annotations
		after := render.Get[*appsv1.Deployment](t, changed, d.Name).Spec.Template.Annotations
		if before["checksum/config"] == "" || before["checksum/config"] == after["checksum/config"] {
			t.Errorf("%s: checksum/config did not change with a client setting", d.Name)
		}
		readsKafka := d.Name == "user-service" || d.Name == "streaming-api" || d.Name == "messaging-service"
		if (before["checksum/secret"] != after["checksum/secret"]) != readsKafka {
			t.Errorf("%s: checksum/secret changed=%v, reads kafka-brokers=%v", d.Name, before["checksum/secret"] != after["checksum/secret"], readsKafka)
		}
	}
}

// Each service's Secret holds exactly its catalogue keys that have values;
// keys without a value are left out (or fail the render when required).
func TestServiceSecretsFollowTheCatalogue(t *testing.T) {
	keys := []string{"kafka-brokers", "jwt-public-key", "apns-certificate", "apns-certificate-password", "apns-bundle-id", "turn-username", "turn-password"}
	set := map[string]string{}
	for _, k := range keys {
		set["nova-services.secrets.values."+k] = "value-of-" + k
	}
	m := renderServices(t, "production", nil, set)
	want := map[string][]string{"user-service": {"kafka-brokers"}, "auth-service": {"jwt-public-key"}, "streaming-api": {"kafka-brokers"},
		"messaging-service": keys}
	for svc, ks := range want {
		s := render.Get[*corev1.Secret](t, m, svc)
		if len(s.Data) != len(ks) {
			t.Errorf("%s: Secret keys %v, want %v", svc, s.Data, ks)
		}
		env := envOf(app(t, m, svc))
		for _, k := range ks {
			if string(s.Data[k]) != "value-of-"+k {
				t.Errorf("%s: %s=%q", svc, k, s.Data[k])
			}
			name := strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
			if r := env[name].ValueFrom; r == nil || r.SecretKeyRef.Name != svc || r.SecretKeyRef.Key != k {
				t.Errorf("%s: %s not read from its Secret: %+v", svc, name, env[name])
			}
		}
	}
	for _, s := range render.All[*corev1.Secret](m) {
		if s.Name == "search-service" {
			t.Error("search-service has no secret keys but got a Secret")
		}
	}
	// jwt-secret: generated, shared, kept.
	gen := render.Get[*corev1.Secret](t, m, "nova-nova-services-generated")
	if len(gen.Data["jwt-secret"]) != 64 || gen.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("generated jwt-secret %q (annotations %v)", gen.Data["jwt-secret"], gen.Annotations)
	}
	if r := envOf(app(t, m, "auth-service"))["JWT_SECRET"].ValueFrom; r == nil || r.SecretKeyRef.Name != gen.Name {
		t.Error("auth-service does not read JWT_SECRET from the generated Secret")
	}

	// Nothing set: no empty keys; the env vars are left out and NOTES say so.
	m = renderServices(t, "", nil, nil)
	if _, ok := envOf(app(t, m, "user-service"))["KAFKA_BROKERS"]; ok {
		t.Error("KAFKA_BROKERS without a value")
	}
	for _, s := range render.All[*corev1.Secret](m) {
		for k, v := range s.Data {
			if len(v) == 0 {
				t.Errorf("Secret %s: key %s created empty", s.Name, k)
			}
		}
	}
	out, err := renderWithEngine(t, "nova-services", map[string]any{}, newFakeCluster())
	if err != nil {
		t.Fatal(err)
	}
	if notes := out["nova-services/templates/NOTES.txt"]; !strings.Contains(notes, "messaging-service: turn-password") || !strings.Contains(notes, "WARNING") {
		t.Errorf("NOTES do not name the keys without a value:\n%s", notes)
	}
	_, err = render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{"secrets.requireValues": "true"}})
	if err == nil || !strings.Contains(err.Error(), `services.auth-service.secretKeys: "jwt-public-key" has no value: set secrets.values.jwt-public-key`) {
		t.Errorf("requireValues: want a failure naming the key, got %v", err)
	}

	// existingSecret: every key from it, no Secret of the chart.
	m = renderServices(t, "", nil, map[string]string{"nova-services.services.auth-service.existingSecret": "auth-creds"})
	env := envOf(app(t, m, "auth-service"))
	for _, name := range []string{"JWT_SECRET", "JWT_PUBLIC_KEY"} {
		if r := env[name].ValueFrom; r == nil || r.SecretKeyRef.Name != "auth-creds" {
			t.Errorf("auth-service: %s not from the existing Secret: %+v", name, env[name])
		}
	}
	for _, s := range render.All[*corev1.Secret](m) {
		if s.Name == "nova-nova-services-generated" || s.Name == "auth-service" {
			t.Errorf("Secret %s rendered although auth-service reads an existing Secret", s.Name)
		}
	}
}

// The generated jwt-secret survives upgrades.
func TestGeneratedJWTSecretIsKeptOnUpgrade(t *testing.T) {
	kept := &corev1.Secret{Data: map[string][]byte{"jwt-secret": []byte("kept-jwt-secret")}}
	kept.Name, kept.Namespace = "nova-nova-services-generated", "nova"
	out, err := renderWithEngine(t, "nova-services", map[string]any{}, newFakeCluster(kept))
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.Decode(out["nova-services/templates/secret.yaml"])
	if err != nil {
		t.Fatal(err)
	}
	if got := string(render.Get[*corev1.Secret](t, m, kept.Name).Data["jwt-secret"]); got != "kept-jwt-secret" {
		t.Errorf("upgrade rendered jwt-secret %q, want the existing one", got)
	}
}

func TestOptionalExtrasAreOffByDefault(t *testing.T) {
	m := renderServices(t, "production", nil, nil)
	if n := len(render.All[*networkingv1.Ingress](m)) + len(render.All[*networkingv1.NetworkPolicy](m)); n != 0 || strings.Contains(m.Raw, "ServiceMonitor") {
		t.Errorf("optional objects rendered by default (%d Ingress/NetworkPolicies)", n)
	}
	for _, d := range serviceDeployments(m) {
		if len(d.Spec.Template.Spec.ImagePullSecrets) != 0 {
			t.Errorf("%s: pull secrets by default", d.Name)
		}
	}
}

func TestIngressWithTLS(t *testing.T) {
	base := map[string]string{
		"nova-services.ingress.enabled":                   "true",
		"nova-services.ingress.className":                 "nginx",
		"nova-services.ingress.hosts[0].host":             "api.nova.example.com",
		"nova-services.ingress.hosts[0].paths[0].path":    "/",
		"nova-services.ingress.hosts[0].paths[0].service": "user-service",
		"nova-services.ingress.hosts[0].paths[1].path":    "/ws",
		"nova-services.ingress.hosts[0].paths[1].service": "messaging-service",
		"nova-services.ingress.tls.enabled":               "true",
	}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	// An existing kubernetes.io/tls Secret.
	m := renderServices(t, "", nil, with(map[string]string{"nova-services.ingress.tls.secretName": "nova-tls"}))
	ing := render.All[*networkingv1.Ingress](m)
	if len(ing) != 1 || ing[0].Spec.TLS[0].SecretName != "nova-tls" || *ing[0].Spec.IngressClassName != "nginx" {
		t.Fatalf("ingress %+v", ing)
	}
	paths := ing[0].Spec.Rules[0].HTTP.Paths
	if paths[0].Backend.Service.Name != "user-service" || paths[1].Backend.Service.Name != "messaging-service" || paths[0].Backend.Service.Port.Name != "http" {
		t.Errorf("backends %+v", paths)
	}
	// cert-manager; in the consolidated topology the old names route to the new services.
	m = renderServices(t, "", consolidated, with(map[string]string{"nova-services.ingress.tls.certManagerIssuer": "letsencrypt"}))
	ing = render.All[*networkingv1.Ingress](m)
	if ing[0].Annotations["cert-manager.io/cluster-issuer"] != "letsencrypt" || ing[0].Spec.TLS[0].SecretName != "nova-nova-services-tls" {
		t.Errorf("cert-manager ingress %+v", ing[0].ObjectMeta)
	}
	if p := ing[0].Spec.Rules[0].HTTP.Paths; p[0].Backend.Service.Name != "api-service" || p[1].Backend.Service.Name != "realtime-service" {
		t.Errorf("aliases not resolved: %+v", p)
	}
	// TLS with neither a Secret nor an issuer, and a route to a disabled service, fail.
	for name, set := range map[string]map[string]string{
		"tls source":       with(nil),
		"disabled backend": with(map[string]string{"nova-services.ingress.tls.secretName": "x", "nova-services.services.messaging-service.enabled": "false"}),
	} {
		if _, err := render.TemplateE(t, render.Options{Chart: "nova", Set: set}); err == nil || !strings.Contains(err.Error(), "ingress.") {
			t.Errorf("%s: want a failure naming the ingress value, got %v", name, err)
		}
	}
}

func TestNetworkPolicyServiceMonitorAndPullSecrets(t *testing.T) {
	set := map[string]string{"nova-services.networkPolicy.enabled": "true", "nova-services.metrics.serviceMonitor.enabled": "true",
		"nova-services.imagePullSecrets[0]": "svc-creds", "global.tierNamespaces.enabled": "true"}
	raw, err := render.TemplateE(t, render.Options{Chart: "nova", Profile: "production", Set: set})
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var np *networkingv1.NetworkPolicy
	for _, p := range render.All[*networkingv1.NetworkPolicy](m) {
		if p.Labels["app.kubernetes.io/name"] == "nova-services" {
			np = p
		}
	}
	if np == nil {
		t.Fatal("no NetworkPolicy for the services tier")
	}
	reach := map[string]string{} // port -> namespace of the peer ("*" for any)
	for _, rule := range np.Spec.Egress {
		for _, port := range rule.Ports {
			peer := "*"
			for _, to := range rule.To {
				if to.NamespaceSelector != nil {
					peer = to.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]
				}
			}
			reach[port.Port.String()] = peer
		}
	}
	for port, ns := range map[string]string{"5432": "nova-database", "6379": "nova-redis", "26379": "nova-redis", "9092": "*", "53": "*"} {
		if reach[port] != ns {
			t.Errorf("egress to port %s: peer %q, want %q (all: %v)", port, reach[port], ns, reach)
		}
	}
	if len(np.Spec.Ingress) == 0 || np.Spec.Ingress[0].From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "nova-services" {
		t.Errorf("services cannot reach each other: %+v", np.Spec.Ingress)
	}
	var monitors int
	for _, u := range render.All[*unstructured.Unstructured](m) {
		if u.GetKind() != "ServiceMonitor" {
			continue
		}
		monitors++
		eps, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
		if len(eps) != 1 || eps[0].(map[string]any)["port"] != "metrics" || eps[0].(map[string]any)["path"] != "/metrics" {
			t.Errorf("ServiceMonitor endpoints %v", eps)
		}
	}
	if monitors != 1 {
		t.Errorf("%d ServiceMonitors, want 1", monitors)
	}
	if p := render.Get[*corev1.Service](t, m, "user-service").Spec.Ports; len(p) != 2 || p[1].Name != "metrics" || p[1].Port != 9090 {
		t.Errorf("user-service ports %+v, want metrics 9090", p)
	}
	for _, d := range serviceDeployments(m) {
		if ps := d.Spec.Template.Spec.ImagePullSecrets; len(ps) != 1 || ps[0].Name != "svc-creds" {
			t.Errorf("%s: pull secrets %+v", d.Name, ps)
		}
	}
}

// Both topologies conform for every profile, also with the optional Ingress
// and NetworkPolicy on (the ServiceMonitor has no schema in the set).
func TestServiceTopologiesConformForEveryProfile(t *testing.T) {
	extras := map[string]string{"nova-services.ingress.enabled": "true", "nova-services.ingress.hosts[0].host": "api.nova.example.com",
		"nova-services.ingress.hosts[0].paths[0].service": "user-service", "nova-services.ingress.tls.enabled": "true",
		"nova-services.ingress.tls.certManagerIssuer": "letsencrypt", "nova-services.networkPolicy.enabled": "true"}
	for _, profile := range render.Profiles {
		for name, files := range map[string][]string{"split": nil, "consolidated": consolidated} {
			t.Run(profile+"/"+name, func(t *testing.T) {
				assertConforms(t, render.Options{Chart: "nova", Profile: profile, Files: files, Set: extras})
			})
		}
	}
}
