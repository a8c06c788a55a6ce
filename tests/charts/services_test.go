package charts

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/nova-platform/nova/tests/need"
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
		{"split", nil, nil, map[string]string{"user-service": "nova_auth", "search-service": "nova_auth",
			"streaming-api": "nova_auth", "messaging-service": "nova_messaging"}},
		{"split with auth-service", nil, map[string]string{"nova-services.services.auth-service.enabled": "true",
			"nova-services.services.auth-service.image.repository": "example/auth-service", "nova-services.services.auth-service.image.tag": "1.0"},
			map[string]string{"user-service": "nova_auth", "auth-service": "nova_auth", "search-service": "nova_auth",
				"streaming-api": "nova_auth", "messaging-service": "nova_messaging"}},
		{"consolidated", consolidated, map[string]string{"nova-services.services.streaming-service.enabled": "true"},
			map[string]string{"api-service": "nova_auth", "streaming-service": "nova_auth", "realtime-service": "nova_messaging", "search-service": "nova_auth"}},
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
	m := renderServices(t, "", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true", "nova-services.services.api-gateway.image.repository": "example/api-gateway",
		"nova-services.services.api-gateway.image.tag": "1.25"})
	if _, ok := envOf(app(t, m, "api-gateway"))["DATABASE_URL"]; ok {
		t.Error("api-gateway has a DATABASE_URL but no database")
	}
	// messaging-service migrates at every start: no other program may share its database.
	_, err := render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{"services.messaging-service.database": "nova_auth"}})
	if err == nil || !strings.Contains(err.Error(), "services.messaging-service.database") || !strings.Contains(err.Error(), "at every start") {
		t.Errorf("messaging-service on user-service's database: want a failure naming services.messaging-service.database, got %v", err)
	}
}

func TestRedisDbIndexPerService(t *testing.T) {
	want := map[string]string{"user-service": "0", "messaging-service": "1", "streaming-api": "2", "api-gateway": "3", "search-service": "4",
		"api-service": "0", "realtime-service": "1", "streaming-service": "2"}
	renders := []*render.Manifest{
		renderServices(t, "production", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true", "nova-services.services.api-gateway.image.repository": "example/api-gateway",
			"nova-services.services.api-gateway.image.tag": "1.25"}),
		renderServices(t, "production", consolidated, map[string]string{"nova-services.services.streaming-service.enabled": "true"}),
	}
	seen := map[string]bool{}
	for _, m := range renders {
		for _, d := range serviceDeployments(m) {
			c := container(t, d.Spec.Template.Spec, d.Name)
			env := envOf(c)
			db, ok := want[d.Name]
			if !ok {
				t.Errorf("%s: not in the table of Redis DB indexes", d.Name)
				continue
			}
			seen[d.Name] = true
			u, err := url.Parse(env["REDIS_URL"].Value)
			if err != nil || u.Scheme != "redis" {
				t.Fatalf("%s: REDIS_URL %q: %v", d.Name, env["REDIS_URL"].Value, err)
			}
			if u.Path != "/"+db {
				t.Errorf("%s: REDIS_URL DB %q, want %s", d.Name, u.Path, db)
			}
			if u.Host != "nova-redis-sentinel-master.nova.svc.cluster.local:6379" {
				t.Errorf("%s: Redis host %q, want the master endpoint", d.Name, u.Host)
			}
			assertPasswordFromSecret(t, d.Name, c, "REDIS_PASSWORD", "REDIS_URL", "nova-redis-sentinel-auth", "password")
			if p, _ := u.User.Password(); p != "$(REDIS_PASSWORD)" {
				t.Errorf("%s: REDIS_URL password %q, want the $(REDIS_PASSWORD) reference", d.Name, p)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("checked %v, want every service of %v", seen, want)
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
	if i, j := slices.Index(names, passwordVar), slices.Index(names, urlVar); i < 0 || j < 0 || i > j {
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
		"existing secret": {map[string]string{"global.postgres.existingSecret": "pg-creds"},
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
		"database.host": "pg.example.com", "database.port": "6432", "database.user": "app", "global.postgres.existingSecret": "db",
		"database.params": "sslmode=require", "redis.host": "cache.example.com", "global.redis.existingSecret": "cache",
		"global.redis.existingSecretKey": "pw"}})
	c := app(t, m, "user-service")
	if got := envOf(c)["DATABASE_URL"].Value; got != "postgres://app:$(DATABASE_PASSWORD)@pg.example.com:6432/nova_auth?sslmode=require" {
		t.Errorf("external DSN %q", got)
	}
	assertPasswordFromSecret(t, "user-service", c, "DATABASE_PASSWORD", "DATABASE_URL", "db", "app-password")
	assertPasswordFromSecret(t, "user-service", c, "REDIS_PASSWORD", "REDIS_URL", "cache", "pw")
	if env := envOf(c); env["REDIS_URL"].Value != "redis://:$(REDIS_PASSWORD)@cache.example.com:6379/0" {
		t.Errorf("external Redis: %q", env["REDIS_URL"].Value)
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

// The probes follow the programs (TestServicesMeetTheContract checks their
// paths and types); a service's own probes override its program's field by
// field. The preStop pause fits in every grace period, which is the
// program's own when it needs longer to drain (user-service).
func TestProbesAndGracefulStop(t *testing.T) {
	for _, files := range [][]string{nil, consolidated} {
		m := renderServices(t, "production", files, map[string]string{"nova-services.services.search-service.probes.readiness.periodSeconds": "20"})
		for _, d := range serviceDeployments(m) {
			spec := d.Spec.Template.Spec
			c := container(t, spec, d.Name)
			if d.Name == "search-service" {
				if p := c.ReadinessProbe; p.PeriodSeconds != 20 || p.HTTPGet == nil || p.HTTPGet.Path != "/health" || p.FailureThreshold != 3 {
					t.Errorf("search-service readiness %+v: want the override of periodSeconds only", p)
				}
			}
			grace := int64(30)
			if c.Image[:strings.LastIndex(c.Image, ":")] == "ghcr.io/proerror77/nova/user-service" {
				grace = 90
			}
			if *spec.TerminationGracePeriodSeconds != grace {
				t.Errorf("%s: grace %d s, want %d", d.Name, *spec.TerminationGracePeriodSeconds, grace)
			}
			pre := c.Lifecycle.PreStop
			if pre == nil || pre.Sleep == nil || pre.Sleep.Seconds <= 0 || pre.Sleep.Seconds >= 30 {
				t.Errorf("%s: preStop %+v, want a pause shorter than the grace period", d.Name, pre)
			}
		}
	}
	// An http probe without a path is refused, naming the value.
	_, err := render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{"services.user-service.probes.liveness.type": "http"}})
	if err == nil || !strings.Contains(err.Error(), "services.user-service.probes.liveness: an http probe needs a path") {
		t.Errorf("http probe without a path: %v", err)
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
			if ps == nil || *ps.RunAsNonRoot != true || *ps.RunAsUser != 1001 || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
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
	m := renderServices(t, "", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true", "nova-services.services.api-gateway.image.repository": "example/api-gateway",
		"nova-services.services.api-gateway.image.tag": "1.25",
		"nova-services.services.auth-service.enabled":  "true", "nova-services.services.auth-service.image.repository": "example/auth-service",
		"nova-services.services.auth-service.image.tag":    "1.0",
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
	m = renderServices(t, "", nil, map[string]string{"nova-services.services.search-service.database": "null", "nova-services.services.search-service.redisDb": "null"})
	if n := len(render.Get[*appsv1.Deployment](t, m, "search-service").Spec.Template.Spec.InitContainers); n != 0 {
		t.Errorf("search-service without a database has %d init containers", n)
	}
}

// The script as it ships: it gives up after its timeout, and passes once
// the endpoints answer. Needs busybox (the init container's image).
func TestWaitScriptRunsWithBusybox(t *testing.T) {
	busybox := need.Command(t, "busybox", "busybox")
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

// No service gets the URLs of the others (no Nova program reads them:
// TestServicesMeetTheContract); aliases route ingress traffic, and an alias
// that is an enabled service of its own is refused.
func TestAliasesAreRoutesNotEnv(t *testing.T) {
	m := renderServices(t, "", consolidated, nil)
	for _, d := range serviceDeployments(m) {
		for _, e := range container(t, d.Spec.Template.Spec, d.Name).Env {
			if strings.HasSuffix(e.Name, "_SERVICE_URL") || e.Name == "STREAMING_API_URL" {
				t.Errorf("%s: env %s", d.Name, e.Name)
			}
		}
	}
	_, err := render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{
		"services.api-gateway.enabled": "true", "services.api-gateway.image.repository": "example/api-gateway", "services.api-gateway.image.tag": "v1",
		"services.api-gateway.aliases[0]": "user-service"}})
	if err == nil || !strings.Contains(err.Error(), `services.api-gateway.aliases: "user-service" is an enabled service`) {
		t.Errorf("alias clash accepted: %v", err)
	}
}

// Disabling a service removes every object of it, its ingress routes and
// its place in the NetworkPolicy.
func TestDisablingAServiceRemovesItEverywhere(t *testing.T) {
	set := map[string]string{"nova-services.ingress.enabled": "true", "nova-services.ingress.hosts[0].host": "api.nova.example.com",
		"nova-services.networkPolicy.enabled": "true"}
	on := renderServices(t, "production", nil, set)
	off := renderServices(t, "production", nil, mergeSets(set, map[string]string{"nova-services.services.messaging-service.enabled": "false"}))
	count := func(m *render.Manifest) int {
		n := 0
		for _, o := range metaObjects(m) {
			if o.GetName() == "messaging-service" || o.GetLabels()["app.kubernetes.io/component"] == "messaging-service" {
				n++
			}
		}
		return n
	}
	// Deployment, Service, ServiceAccount, HPA, PDB.
	if n := count(on); n != 5 {
		t.Errorf("enabled messaging-service has %d objects, want 5", n)
	}
	if n := count(off); n != 0 {
		t.Errorf("disabled messaging-service still has %d objects", n)
	}
	routes := func(m *render.Manifest) (n int) {
		for _, p := range render.All[*networkingv1.Ingress](m)[0].Spec.Rules[0].HTTP.Paths {
			if p.Backend.Service.Name == "messaging-service" {
				n++
			}
		}
		return n
	}
	if on, off := routes(on), routes(off); on != 6 || off != 0 {
		t.Errorf("ingress routes to messaging-service: %d enabled, %d disabled; want 6 and 0", on, off)
	}
	if strings.Contains(off.Raw, "- messaging-service") {
		t.Error("the disabled service is still listed (NetworkPolicy?)")
	}
}

// A changed script rolls every pod that runs it; a changed credential only
// the pods that read it.
func TestChecksumsRollOnlyThePodsThatReadAChange(t *testing.T) {
	base := map[string]string{"nova-services.external.clickhouse.password": "one", "nova-services.rtc.turn.password": "one"}
	m := renderServices(t, "local", nil, base)
	for _, c := range []struct {
		set   map[string]string
		rolls map[string]bool
	}{
		{map[string]string{"nova-services.external.clickhouse.password": "two"}, map[string]bool{"user-service": true, "streaming-api": true}},
		{map[string]string{"nova-services.rtc.turn.password": "two"}, map[string]bool{"messaging-service": true}},
		{map[string]string{"nova-services.external.s3.secretAccessKey": "other"}, map[string]bool{"user-service": true, "streaming-api": true}},
		{map[string]string{"nova-services.external.kafka.brokers": "kafka.other:9092"}, map[string]bool{}}, // a plain env change rolls by itself
	} {
		changed := renderServices(t, "local", nil, mergeSets(base, c.set))
		for _, d := range serviceDeployments(m) {
			before := d.Spec.Template.Annotations["checksum/secret"]
			after := render.Get[*appsv1.Deployment](t, changed, d.Name).Spec.Template.Annotations["checksum/secret"]
			if before == "" || (before != after) != c.rolls[d.Name] {
				t.Errorf("%v: %s checksum/secret changed=%v, want %v", c.set, d.Name, before != after, c.rolls[d.Name])
			}
		}
	}
}

// Each credential has one source: the chart's Secret <fullname>-external
// holds exactly those given as values; an existingSecret replaces it; the
// key pair's Secret is shared by both services that read it.
func TestCredentialsHaveOneSourceEach(t *testing.T) {
	m := renderServices(t, "local", nil, map[string]string{"nova-services.external.clickhouse.password": "ch-pass",
		"nova-services.rtc.turn.password": "turn-pass", "nova-services.rtc.turn.urls": "turn:turn.example.com:3478"})
	ext := render.Get[*corev1.Secret](t, m, "nova-nova-services-external")
	want := map[string]string{"aws-access-key-id": "local-placeholder", "aws-secret-access-key": "local-placeholder",
		"clickhouse-password": "ch-pass", "turn-password": "turn-pass"}
	if len(ext.Data) != len(want) {
		t.Errorf("external Secret keys %v, want %v", ext.Data, want)
	}
	for k, v := range want {
		if string(ext.Data[k]) != v {
			t.Errorf("external Secret %s=%q, want %q", k, ext.Data[k], v)
		}
	}
	refs := map[string]map[string]string{
		"user-service":      {"AWS_ACCESS_KEY_ID": "aws-access-key-id", "AWS_SECRET_ACCESS_KEY": "aws-secret-access-key", "CLICKHOUSE_PASSWORD": "clickhouse-password"},
		"streaming-api":     {"AWS_ACCESS_KEY_ID": "aws-access-key-id", "CLICKHOUSE_PASSWORD": "clickhouse-password"},
		"messaging-service": {"RTC_TURN_PASSWORD": "turn-password"},
	}
	for svc, vars := range refs {
		env := envOf(app(t, m, svc))
		for name, key := range vars {
			if r := env[name].ValueFrom; r == nil || r.SecretKeyRef.Name != ext.Name || r.SecretKeyRef.Key != key {
				t.Errorf("%s: %s not read from %s key %s: %+v", svc, name, ext.Name, key, env[name])
			}
		}
	}
	if got := envOf(app(t, m, "messaging-service"))["RTC_TURN_URLS"].Value; got != "turn:turn.example.com:3478" {
		t.Errorf("RTC_TURN_URLS=%q", got)
	}

	// Both JWT readers mount the same Secret: user-service both halves, messaging the public one.
	items := func(svc string) []string {
		var out []string
		for _, v := range render.Get[*appsv1.Deployment](t, m, svc).Spec.Template.Spec.Volumes {
			if v.Secret != nil && v.Secret.SecretName == "nova-nova-services-jwt" {
				for _, it := range v.Secret.Items {
					out = append(out, it.Key)
				}
			}
		}
		return out
	}
	if u, msg := strings.Join(items("user-service"), ","), strings.Join(items("messaging-service"), ","); u != "private.pem,public.pem" || msg != "public.pem" {
		t.Errorf("JWT Secret items: user-service %q, messaging-service %q", u, msg)
	}

	// JWT_SECRET: generated, 64 characters, kept on uninstall.
	gen := render.Get[*corev1.Secret](t, m, "nova-nova-services-generated")
	if len(gen.Data["jwt-secret"]) != 64 || gen.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("generated jwt-secret %q (annotations %v)", gen.Data["jwt-secret"], gen.Annotations)
	}
	if r := envOf(app(t, m, "user-service"))["JWT_SECRET"].ValueFrom; r == nil || r.SecretKeyRef.Name != gen.Name {
		t.Error("user-service does not read JWT_SECRET from the generated Secret")
	}

	// existingSecrets: nothing of the chart's, every reference to them.
	m = renderServices(t, "local", nil, map[string]string{"nova-services.external.s3.existingSecret": "s3-creds",
		"nova-services.external.clickhouse.existingSecret": "ch-creds", "nova-services.jwt.existingSecret": "jwt-creds"})
	for _, s := range render.All[*corev1.Secret](m) {
		if s.Name == "nova-nova-services-external" || s.Name == "nova-nova-services-generated" {
			t.Errorf("Secret %s rendered although existing Secrets hold its keys", s.Name)
		}
	}
	env := envOf(app(t, m, "user-service"))
	for name, secret := range map[string]string{"AWS_ACCESS_KEY_ID": "s3-creds", "AWS_SECRET_ACCESS_KEY": "s3-creds", "CLICKHOUSE_PASSWORD": "ch-creds", "JWT_SECRET": "jwt-creds"} {
		if r := env[name].ValueFrom; r == nil || r.SecretKeyRef.Name != secret {
			t.Errorf("user-service: %s not from %s: %+v", name, secret, env[name])
		}
	}
	if strings.Contains(m.Raw, "kind: Job\nmetadata:\n  name: nova-nova-services-credentials") || len(items("user-service")) != 0 {
		t.Error("the JWT key Job or Secret of the chart is used although jwt.existingSecret is set")
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
		"nova-services.networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name": "monitoring",
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
	for port, ns := range map[string]string{"5432": "nova-database", "6379": "nova-redis", "9092": "*", "53": "*"} {
		if reach[port] != ns {
			t.Errorf("egress to port %s: peer %q, want %q (all: %v)", port, reach[port], ns, reach)
		}
	}
	if len(np.Spec.Ingress) == 0 || np.Spec.Ingress[0].From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "nova-services" {
		t.Errorf("services cannot reach each other: %+v", np.Spec.Ingress)
	}
	// One ServiceMonitor per service that runs user-service's binary, the
	// one program with Prometheus metrics; Prometheus may reach their http port.
	var monitors []string
	for _, u := range render.All[*unstructured.Unstructured](m) {
		if u.GetKind() == "ServiceMonitor" && u.GetLabels()["app.kubernetes.io/name"] == "nova-services" {
			monitors = append(monitors, u.GetName())
		}
	}
	if strings.Join(monitors, ",") != "streaming-api,user-service" {
		t.Errorf("ServiceMonitors %v, want streaming-api and user-service", monitors)
	}
	var scraped []string
	for _, rule := range np.Spec.Ingress {
		for _, from := range rule.From {
			if from.NamespaceSelector != nil && from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "monitoring" {
				for _, port := range rule.Ports {
					scraped = append(scraped, port.Port.String())
				}
			}
		}
	}
	sort.Strings(scraped)
	if strings.Join(scraped, ",") != "8080,8081" {
		t.Errorf("metricsFrom reaches ports %v, want 8080,8081", scraped)
	}
	if sel := np.Spec.PodSelector.MatchExpressions; len(sel) != 1 || sel[0].Key != "app.kubernetes.io/component" || len(sel[0].Values) != 4 {
		t.Errorf("the NetworkPolicy selects %+v, want the 4 services' pods only (not the hook Jobs')", sel)
	}
	for _, svc := range render.All[*corev1.Service](m) {
		if svc.Labels["app.kubernetes.io/name"] == "nova-services" && (len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http") {
			t.Errorf("Service %s ports %+v, want only http", svc.Name, svc.Spec.Ports)
		}
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
