package charts

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/render"
)

// catalogueEntry is what the connection tests read of a service in values.
type catalogueEntry struct {
	Enabled  bool
	Database *string
	RedisDb  *int
}

// catalogue reads the services catalogue from the chart's values.yaml with
// the nova-services.services of each umbrella values file laid over it
// (field by field, like helm's merge), and --set-style overrides.
func catalogue(t *testing.T, files []string, enabled map[string]bool) map[string]catalogueEntry {
	t.Helper()
	merged := map[string]map[string]any{}
	overlay := func(services map[string]any) {
		for name, raw := range services {
			fields, _ := raw.(map[string]any)
			if merged[name] == nil {
				merged[name] = map[string]any{}
			}
			for k, v := range fields {
				merged[name][k] = v
			}
		}
	}
	read := func(path string) map[string]any {
		b, err := os.ReadFile(render.Path(path))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	chart := read("charts/nova-services/values.yaml")
	overlay(chart["services"].(map[string]any))
	for _, f := range files {
		if sub, ok := read(f)["nova-services"].(map[string]any); ok {
			if s, ok := sub["services"].(map[string]any); ok {
				overlay(s)
			}
		}
	}
	out := map[string]catalogueEntry{}
	for name, fields := range merged {
		b, _ := yaml.Marshal(fields)
		var e catalogueEntry
		if err := yaml.Unmarshal(b, &e); err != nil {
			t.Fatalf("services.%s: %v", name, err)
		}
		if on, ok := enabled[name]; ok {
			e.Enabled = on
		}
		out[name] = e
	}
	return out
}

// connectionTestPods are the helm test Pods of the application tier.
func connectionTestPods(m *render.Manifest) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	for _, p := range render.All[*corev1.Pod](m) {
		if p.Labels["app.kubernetes.io/name"] == "nova-services" && p.Labels["app.kubernetes.io/component"] == "test-connections" {
			out[p.Name] = p
		}
	}
	return out
}

func optionalContainer(spec corev1.PodSpec, name string) (corev1.Container, bool) {
	for _, c := range spec.Containers {
		if c.Name == name {
			return c, true
		}
	}
	return corev1.Container{}, false
}

var dollarRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkDSNEnv: the container's DATABASE_URL/REDIS_URL are the Deployment's
// own entries, and every $(VAR) they use is defined before them.
func checkDSNEnv(t *testing.T, where string, c, app corev1.Container, names ...string) {
	t.Helper()
	appEnv, order := envOf(app), envNames(c)
	for _, n := range names {
		want, ok := appEnv[n]
		if !ok {
			t.Errorf("%s: the service's Deployment has no %s", where, n)
			continue
		}
		i, count := -1, 0
		for j, name := range order {
			if name == n {
				i, count = j, count+1
			}
		}
		if count != 1 {
			t.Errorf("%s: %s defined %d times in the env, want once", where, n, count)
			continue
		}
		if got := c.Env[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s = %+v, the Deployment has %+v", where, n, got, want)
		}
		refs := dollarRef.FindAllStringSubmatch(c.Env[i].Value, -1)
		if len(refs) == 0 {
			t.Errorf("%s: %s %q references no secret variable", where, n, c.Env[i].Value)
		}
		for _, r := range refs {
			if j := slices.Index(order, r[1]); j < 0 || j >= i {
				t.Errorf("%s: %s references $(%s), which is not defined before it (index %d, %s at %d)", where, n, r[1], j, n, i)
			}
		}
	}
}

func checkRestricted(t *testing.T, p *corev1.Pod) {
	t.Helper()
	psc := p.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v is not restricted", p.Name, psc)
	}
	if p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %q, want Never", p.Name, p.Spec.RestartPolicy)
	}
	for _, c := range p.Spec.Containers {
		sc := c.SecurityContext
		ok := sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot &&
			sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation &&
			sc.Capabilities != nil && reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0 &&
			sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
		if !ok {
			t.Errorf("%s/%s: security context %+v is not restricted", p.Name, c.Name, sc)
		}
		if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("%s/%s: resources not set: %+v", p.Name, c.Name, c.Resources)
		}
		if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
			t.Errorf("%s/%s: image %q is not pinned", p.Name, c.Name, c.Image)
		}
	}
}

func TestServiceConnectionTests(t *testing.T) {
	cases := []struct {
		name    string
		profile string
		files   []string
		set     map[string]string
	}{
		{"local", "local", nil, nil},
		{"production", "production", nil, nil},
		{"production+api-gateway", "production", nil, map[string]string{"nova-services.services.api-gateway.enabled": "true",
			"nova-services.services.api-gateway.image.repository": "example/api-gateway", "nova-services.services.api-gateway.image.tag": "v1"}},
		{"local/consolidated", "local", consolidated, nil},
		{"production/consolidated", "production", consolidated, nil},
		{"production/consolidated+streaming", "production", consolidated, map[string]string{"nova-services.services.streaming-service.enabled": "true"}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, "/", "-"), func(t *testing.T) {
			overrides := map[string]bool{}
			for k, v := range tc.set {
				if name, ok := strings.CutSuffix(strings.TrimPrefix(k, "nova-services.services."), ".enabled"); ok {
					overrides[name] = v == "true"
				}
			}
			cat := catalogue(t, tc.files, overrides)
			ct := loadContract(t)
			m := renderServices(t, tc.profile, tc.files, tc.set)
			pods := connectionTestPods(m)

			// The Services of the tier: name -> "host:port" of the http port.
			services := map[string]string{}
			for _, s := range render.All[*corev1.Service](m) {
				if s.Labels["app.kubernetes.io/name"] != "nova-services" {
					continue
				}
				for _, p := range s.Spec.Ports {
					if p.Name == "http" {
						services[s.Name] = fmt.Sprintf("%s.%s.svc.cluster.local:%d", s.Name, s.Namespace, p.Port)
					}
				}
			}

			var enabled []string
			for name, e := range cat {
				if e.Enabled {
					enabled = append(enabled, name)
				}
			}
			sort.Strings(enabled)
			if len(enabled) < 2 || len(services) != len(enabled) {
				t.Fatalf("enabled services %v, Services %v", enabled, services)
			}
			if len(pods) != len(enabled) {
				t.Errorf("%d connection test pods, want one per enabled service %v", len(pods), enabled)
			}

			for _, name := range enabled {
				e := cat[name]
				p, ok := pods[name+"-test-connections"]
				if !ok {
					t.Errorf("%s: no test pod %s-test-connections", name, name)
					continue
				}
				if p.Annotations["helm.sh/hook"] != "test" || !strings.Contains(p.Annotations["helm.sh/hook-delete-policy"], "before-hook-creation") {
					t.Errorf("%s: hook annotations %v", p.Name, p.Annotations)
				}
				checkRestricted(t, p)
				app := app(t, m, name)
				// Every container runs one check of the chart's helm-test.sh,
				// from the scripts ConfigMap the pod mounts.
				script := helmTestCase(t, m)

				db, hasDB := optionalContainer(p.Spec, "database")
				switch {
				case e.Database == nil && hasDB:
					t.Errorf("%s: database container for a service without a database", p.Name)
				case e.Database != nil && !hasDB:
					t.Errorf("%s: no database container, the service uses %s", p.Name, *e.Database)
				case hasDB:
					if !reflect.DeepEqual(db.Args, []string{"database", *e.Database}) {
						t.Errorf("%s/database: expects database %v, the catalogue says %q", p.Name, db.Args, *e.Database)
					}
					checkRunsHelmTest(t, p, db)
					if c := script["database"]; !strings.Contains(c, `psql "${DATABASE_URL:?}"`) || !strings.Contains(c, "current_database()") || !strings.Contains(c, `"$want"`) {
						t.Errorf("%s/database: helm-test.sh database does not check current_database() over DATABASE_URL:\n%s", p.Name, c)
					}
					checkDSNEnv(t, p.Name+"/database", db, app, "DATABASE_URL")
					if !reflect.DeepEqual(db.Env, app.Env) {
						t.Errorf("%s/database: env differs from the Deployment's", p.Name)
					}
				}

				rc, hasRedis := optionalContainer(p.Spec, "redis")
				switch {
				case e.RedisDb == nil && hasRedis:
					t.Errorf("%s: redis container for a service without Redis", p.Name)
				case e.RedisDb != nil && !hasRedis:
					t.Errorf("%s: no redis container, the service uses Redis DB %d", p.Name, *e.RedisDb)
				case hasRedis:
					if !reflect.DeepEqual(rc.Args, []string{"redis"}) {
						t.Errorf("%s/redis: args %v, want [redis]", p.Name, rc.Args)
					}
					checkRunsHelmTest(t, p, rc)
					if c := script["redis"]; !strings.Contains(c, `redis-cli`) || !strings.Contains(c, `"${REDIS_URL:?}"`) || !strings.Contains(c, " ping") || !strings.Contains(c, "PONG") {
						t.Errorf("%s/redis: helm-test.sh redis does not PING over REDIS_URL:\n%s", p.Name, c)
					}
					checkDSNEnv(t, p.Name+"/redis", rc, app, "REDIS_URL")
				}

				health, ok := optionalContainer(p.Spec, "health")
				if !ok {
					t.Errorf("%s: no health container", p.Name)
					continue
				}
				var want []string
				for _, other := range enabled {
					if other != name {
						want = append(want, "http://"+services[other]+healthPath(t, ct, m, other))
					}
				}
				if len(health.Args) == 0 || health.Args[0] != "health" {
					t.Errorf("%s/health: args %v, want health <urls>", p.Name, health.Args)
					continue
				}
				checkRunsHelmTest(t, p, health)
				got := append([]string(nil), health.Args[1:]...)
				sort.Strings(got)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s/health: targets %v, want the other services %v", p.Name, got, want)
				}
				for _, u := range health.Args[1:] {
					if strings.HasPrefix(u, "http://"+name+".") {
						t.Errorf("%s/health: targets the service itself (%s)", p.Name, u)
					}
				}
				if c := script["health"]; !strings.Contains(c, `wget -q -O- -T 5 "$url"`) || !strings.Contains(c, `for url in "$@"`) {
					t.Errorf("%s/health: helm-test.sh health does not wget each URL:\n%s", p.Name, c)
				}
			}
		})
	}

	t.Run("disabled", func(t *testing.T) {
		m := renderServices(t, "production", nil, map[string]string{"nova-services.tests.enabled": "false"})
		if pods := connectionTestPods(m); len(pods) != 0 {
			t.Errorf("tests.enabled=false still renders %d test pods", len(pods))
		}
		if strings.Contains(m.Raw, "test-connections") {
			t.Error("tests.enabled=false: test-connections in the render")
		}
	})
}

// healthPath is the health path of the program a service's image runs (the
// contract's), or /health for an image the contract does not know.
func healthPath(t *testing.T, ct servicesContract, m *render.Manifest, service string) string {
	t.Helper()
	image := app(t, m, service).Image
	for _, p := range ct.Programs {
		if p.Image != "" && strings.HasPrefix(image, p.Image+":") {
			return p.Health
		}
	}
	return "/health"
}

// helmTestCase splits nova-services' helm-test.sh into its case branches:
// check name -> the branch's text.
func helmTestCase(t *testing.T, m *render.Manifest) map[string]string {
	t.Helper()
	text := render.Get[*corev1.ConfigMap](t, m, "nova-nova-services-scripts").Data["helm-test.sh"]
	out := map[string]string{}
	for _, b := range regexp.MustCompile(`(?ms)^  ([a-z]+)\)\n(.*?)^    ;;$`).FindAllStringSubmatch(text, -1) {
		out[b[1]] = b[2]
	}
	for _, c := range []string{"database", "redis", "health"} {
		if out[c] == "" {
			t.Fatalf("helm-test.sh has no %s branch:\n%s", c, text)
		}
	}
	return out
}

// checkRunsHelmTest: the container runs /scripts/helm-test.sh from the
// pod's mount of the scripts ConfigMap.
func checkRunsHelmTest(t *testing.T, p *corev1.Pod, c corev1.Container) {
	t.Helper()
	if got := strings.Join(c.Command, " "); got != "/bin/sh /scripts/helm-test.sh" {
		t.Errorf("%s/%s: command %q, want /bin/sh /scripts/helm-test.sh", p.Name, c.Name, got)
	}
	var volume string
	for _, v := range p.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == "nova-nova-services-scripts" {
			volume = v.Name
		}
	}
	for _, vm := range c.VolumeMounts {
		if vm.Name == volume && vm.MountPath == "/scripts" {
			return
		}
	}
	t.Errorf("%s/%s does not mount the scripts ConfigMap at /scripts", p.Name, c.Name)
}
