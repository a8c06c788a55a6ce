package charts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/render"
)

const (
	pgSet       = "nova-postgres-ha-postgres"
	etcdSet     = "nova-postgres-ha-etcd"
	pgConfig    = "nova-postgres-ha-patroni"
	pgScripts   = "nova-postgres-ha-scripts"
	pgEnsureJob = "nova-postgres-ha-ensure"
	pgNS        = "nova"
	etcdDomain  = etcdSet + "." + pgNS + ".svc.cluster.local"
)

// pgProfiles are the profiles the issue names, rendered as the subchart.
var pgProfiles = []string{"local", "production"}

func renderPG(t *testing.T, profile string, set map[string]string) *render.Manifest {
	t.Helper()
	return render.Render(t, render.Options{Chart: "postgres-ha", Profile: profile, Set: set})
}

// patroniConfig is the parsed patroni.yml of a render.
type patroniConfig struct {
	Scope   string `json:"scope"`
	Restapi struct {
		Listen         string            `json:"listen"`
		Authentication map[string]string `json:"authentication"`
	} `json:"restapi"`
	Etcd3 struct {
		Protocol string   `json:"protocol"`
		Hosts    []string `json:"hosts"`
	} `json:"etcd3"`
	Bootstrap struct {
		DCS struct {
			TTL                   int   `json:"ttl"`
			LoopWait              int   `json:"loop_wait"`
			RetryTimeout          int   `json:"retry_timeout"`
			MaximumLagOnFailover  int64 `json:"maximum_lag_on_failover"`
			PrimaryStartTimeout   *int  `json:"primary_start_timeout"`
			FailsafeMode          *bool `json:"failsafe_mode"`
			SynchronousMode       *bool `json:"synchronous_mode"`
			SynchronousModeStrict *bool `json:"synchronous_mode_strict"`
			PostgreSQL            struct {
				UsePgRewind bool              `json:"use_pg_rewind"`
				UseSlots    bool              `json:"use_slots"`
				Parameters  map[string]string `json:"parameters"`
			} `json:"postgresql"`
		} `json:"dcs"`
		Initdb        []any  `json:"initdb"`
		PostBootstrap string `json:"post_bootstrap"`
	} `json:"bootstrap"`
	PostgreSQL struct {
		Listen         string                       `json:"listen"`
		DataDir        string                       `json:"data_dir"`
		BinDir         string                       `json:"bin_dir"`
		Pgpass         string                       `json:"pgpass"`
		Authentication map[string]map[string]string `json:"authentication"`
		Parameters     map[string]string            `json:"parameters"`
		Callbacks      map[string]string            `json:"callbacks"`
		PgHba          []string                     `json:"pg_hba"`
		Basebackup     []map[string]string          `json:"basebackup"`
	} `json:"postgresql"`
	Watchdog map[string]string `json:"watchdog"`
}

func parsePatroni(t *testing.T, m *render.Manifest) (patroniConfig, map[string]string) {
	t.Helper()
	cm := render.Get[*corev1.ConfigMap](t, m, pgConfig)
	var c patroniConfig
	if err := yaml.UnmarshalStrict([]byte(cm.Data["patroni.yml"]), &c); err != nil {
		t.Fatalf("patroni.yml does not parse (or has unexpected keys): %v\n%s", err, cm.Data["patroni.yml"])
	}
	return c, cm.Data
}

func TestPostgresAndEtcdMembers(t *testing.T) {
	for _, profile := range pgProfiles {
		t.Run(profile, func(t *testing.T) {
			m := renderPG(t, profile, nil)
			sets := render.All[*appsv1.StatefulSet](m)
			if len(sets) != 2 {
				t.Fatalf("%d StatefulSets, want postgres and etcd", len(sets))
			}
			for _, name := range []string{pgSet, etcdSet} {
				if r := render.Get[*appsv1.StatefulSet](t, m, name).Spec.Replicas; r == nil || *r != 3 {
					t.Errorf("%s: replicas %v, want 3", name, r)
				}
			}
			pgSpec := render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec
			pg := pgSpec.Containers[0]
			if strings.Join(pg.Command, " ") != "/bin/sh /etc/patroni/start-postgres.sh /etc/patroni/patroni.yml" {
				t.Errorf("postgres runs %v, want start-postgres.sh with the chart's patroni.yml", pg.Command)
			}
			checkDataDirPermissions(t, pgSpec, pg)

			etcd := render.Get[*appsv1.StatefulSet](t, m, etcdSet)
			env := envOf(etcd.Spec.Template.Spec.Containers[0])
			var want []string
			for i := 0; i < 3; i++ {
				name := fmt.Sprintf("%s-%d", etcdSet, i)
				want = append(want, fmt.Sprintf("%s=http://%s.%s:2380", name, name, etcdDomain))
			}
			if got := env["ETCD_INITIAL_CLUSTER"].Value; got != strings.Join(want, ",") {
				t.Errorf("initial cluster\n got %s\nwant %s", got, strings.Join(want, ","))
			}
			ports := regexp.MustCompile(`:(\d+)`).FindAllStringSubmatch(env["ETCD_INITIAL_CLUSTER"].Value, -1)
			for _, p := range ports {
				if p[1] != "2380" {
					t.Errorf("initial cluster uses peer port %s (defect 8: one port, 2380)", p[1])
				}
			}
			if got := env["ETCD_INITIAL_ADVERTISE_PEER_URLS"].Value; got != "http://$(POD_NAME)."+etcdDomain+":2380" {
				t.Errorf("advertised peer URL %q", got)
			}
			svc := render.Get[*corev1.Service](t, m, etcdSet)
			if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses || etcd.Spec.ServiceName != svc.Name {
				t.Errorf("etcd needs a headless Service publishing not-ready addresses as its serviceName: %+v", svc.Spec)
			}
			c := etcd.Spec.Template.Spec.Containers[0]
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/health" ||
				c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || !strings.HasPrefix(c.LivenessProbe.HTTPGet.Path, "/health") {
				t.Errorf("etcd probes must use /health: %+v %+v", c.ReadinessProbe, c.LivenessProbe)
			}
		})
	}
}

func TestPatroniConfiguration(t *testing.T) {
	for _, profile := range pgProfiles {
		t.Run(profile, func(t *testing.T) {
			m := renderPG(t, profile, nil)
			c, data := parsePatroni(t, m)
			var hosts []string
			for i := 0; i < 3; i++ {
				hosts = append(hosts, fmt.Sprintf("%s-%d.%s:2379", etcdSet, i, etcdDomain))
			}
			if fmt.Sprint(c.Etcd3.Hosts) != fmt.Sprint(hosts) {
				t.Errorf("etcd3 hosts %v, want %v", c.Etcd3.Hosts, hosts)
			}
			dcs := c.Bootstrap.DCS
			if dcs.TTL != 10 || dcs.LoopWait != 2 || dcs.RetryTimeout != 4 || dcs.MaximumLagOnFailover != 1048576 ||
				dcs.PrimaryStartTimeout == nil || dcs.FailsafeMode == nil || !*dcs.FailsafeMode || dcs.SynchronousMode == nil {
				t.Errorf("DCS timing/safety settings: %+v", dcs)
			}
			if dcs.LoopWait+2*dcs.RetryTimeout > dcs.TTL {
				t.Errorf("defaults break loop_wait + 2*retry_timeout <= ttl: %+v", dcs)
			}
			if !dcs.PostgreSQL.UseSlots || !dcs.PostgreSQL.UsePgRewind {
				t.Errorf("use_slots and use_pg_rewind must be on: %+v", dcs.PostgreSQL)
			}
			if len(c.PostgreSQL.Basebackup) != 1 || c.PostgreSQL.Basebackup[0]["checkpoint"] != "fast" {
				t.Errorf("replicas must clone with an immediate checkpoint (basebackup checkpoint: fast), got %v", c.PostgreSQL.Basebackup)
			}
			if !strings.Contains(data["patroni.yml"], "use_slots: true") {
				t.Error("patroni.yml lacks `use_slots: true`")
			}
			if !slices.Contains(c.PostgreSQL.PgHba, "host replication replicator 0.0.0.0/0 scram-sha-256") {
				t.Errorf("pg_hba has no replication rule for the replication role: %v", c.PostgreSQL.PgHba)
			}
			for _, rule := range c.PostgreSQL.PgHba {
				if strings.Contains(rule, "trust") || strings.Contains(rule, " md5") {
					t.Errorf("pg_hba rule %q: want scram-sha-256 only", rule)
				}
			}
			// Passwords reach Patroni through the environment, never the file.
			if regexp.MustCompile(`(?m)^\s*password:`).MatchString(data["patroni.yml"]) {
				t.Errorf("patroni.yml mentions a password:\n%s", data["patroni.yml"])
			}
			if c.PostgreSQL.BinDir != "/usr/lib/postgresql/15/bin" || c.PostgreSQL.DataDir == "" {
				t.Errorf("bin/data dirs: %q %q", c.PostgreSQL.BinDir, c.PostgreSQL.DataDir)
			}
			for _, cb := range []string{"on_start", "on_role_change"} {
				if c.PostgreSQL.Callbacks[cb] != "/etc/patroni/role-label.sh" {
					t.Errorf("callback %s = %q", cb, c.PostgreSQL.Callbacks[cb])
				}
			}
			// The callbacks and post_bootstrap are paths beside patroni.yml:
			// the config volume projects the whole scripts ConfigMap there.
			scripts := render.Get[*corev1.ConfigMap](t, m, pgScripts).Data
			for _, f := range []string{"role-label.sh", "label-pod.sh", "post-bootstrap.sh", "start-postgres.sh", "ensure.sql"} {
				if scripts[f] == "" {
					t.Errorf("ConfigMap %s lacks %s", pgScripts, f)
				}
			}
			var projected []string
			for _, v := range render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec.Volumes {
				if v.Name == "config" && v.Projected != nil {
					for _, src := range v.Projected.Sources {
						if src.ConfigMap != nil && len(src.ConfigMap.Items) == 0 {
							projected = append(projected, src.ConfigMap.Name)
						}
					}
				}
			}
			if !slices.Equal(projected, []string{pgConfig, pgScripts}) {
				t.Errorf("config volume projects %v whole, want %s and %s", projected, pgConfig, pgScripts)
			}
			if c.Bootstrap.PostBootstrap != "/etc/patroni/post-bootstrap.sh" {
				t.Errorf("post_bootstrap %q", c.Bootstrap.PostBootstrap)
			}
			// Per-member addresses and secrets come from the environment.
			env := envOf(render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec.Containers[0])
			for name, key := range map[string]string{"PATRONI_SUPERUSER_PASSWORD": "superuser-password",
				"PATRONI_REPLICATION_PASSWORD": "replication-password", "PATRONI_RESTAPI_PASSWORD": "rest-password", "NOVA_APP_PASSWORD": "app-password"} {
				e := env[name]
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Key != key || e.ValueFrom.SecretKeyRef.Name != "nova-postgres-ha-auth" {
					t.Errorf("%s: want secretKeyRef nova-postgres-ha-auth/%s, got %+v", name, key, e)
				}
			}
			for _, name := range []string{"PATRONI_NAME", "PATRONI_RESTAPI_CONNECT_ADDRESS", "PATRONI_POSTGRESQL_CONNECT_ADDRESS", "POD_NAME", "POD_NAMESPACE"} {
				if _, ok := env[name]; !ok {
					t.Errorf("postgres container lacks %s", name)
				}
			}
		})
	}
}

func TestPatroniTimingFollowsValuesAndDrivesProbes(t *testing.T) {
	m := renderPG(t, "production", map[string]string{"patroni.ttl": "30", "patroni.loopWait": "10", "patroni.retryTimeout": "10",
		"patroni.synchronousMode": "true", "patroni.maxSlotWalKeepSize": "8GB"})
	c, _ := parsePatroni(t, m)
	dcs := c.Bootstrap.DCS
	if dcs.TTL != 30 || dcs.LoopWait != 10 || dcs.RetryTimeout != 10 || !*dcs.SynchronousMode || dcs.PostgreSQL.Parameters["max_slot_wal_keep_size"] != "8GB" {
		t.Errorf("values not rendered into the DCS bootstrap: %+v", dcs)
	}
	pg := render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec.Containers[0]
	assertProbe(t, "liveness", pg.LivenessProbe, "/liveness", 10, 3)
	assertProbe(t, "readiness", pg.ReadinessProbe, "/readiness", 10, 1)

	// Defaults: probes every loop_wait (2 s); liveness gives up after ttl (10 s).
	pg = render.Get[*appsv1.StatefulSet](t, renderPG(t, "", nil), pgSet).Spec.Template.Spec.Containers[0]
	assertProbe(t, "liveness", pg.LivenessProbe, "/liveness", 2, 5)
	assertProbe(t, "readiness", pg.ReadinessProbe, "/readiness", 2, 2)
	if pg.StartupProbe == nil || pg.StartupProbe.PeriodSeconds*pg.StartupProbe.FailureThreshold < 60 {
		t.Errorf("startup probe allows less than 60 s: %+v", pg.StartupProbe)
	}
}

func assertProbe(t *testing.T, name string, p *corev1.Probe, path string, period, failures int32) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "patroni" ||
		p.PeriodSeconds != period || p.FailureThreshold != failures || p.TimeoutSeconds < 1 || p.TimeoutSeconds >= period && period > 1 {
		t.Errorf("%s probe %+v, want GET %s on the Patroni port every %d s, %d failures", name, p, path, period, failures)
	}
}

var (
	createDB  = regexp.MustCompile(`CREATE DATABASE %I OWNER %I', '([a-z0-9_]+)'`)
	connectDB = regexp.MustCompile(`^\\connect ([a-z0-9_]+)$`)
	schemaRe  = regexp.MustCompile(`^CREATE SCHEMA IF NOT EXISTS ([a-z0-9_]+) AUTHORIZATION :"app_role";$`)
)

// ensuredDatabases reads ensure.sql: database -> schemas it creates.
func ensuredDatabases(t *testing.T, sql string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range createDB.FindAllStringSubmatch(sql, -1) {
		out[m[1]] = nil
	}
	current := ""
	for _, line := range strings.Split(sql, "\n") {
		line = strings.TrimSpace(line)
		if m := connectDB.FindStringSubmatch(line); m != nil {
			current = m[1]
		}
		if m := schemaRe.FindStringSubmatch(line); m != nil {
			if _, ok := out[current]; !ok {
				t.Errorf("schema %s created in %q, which ensure.sql does not create", m[1], current)
			}
			out[current] = append(out[current], m[1])
		}
	}
	return out
}

func TestEnsureSQLCreatesExactlyTheNovaDatabases(t *testing.T) {
	for _, profile := range pgProfiles {
		t.Run(profile, func(t *testing.T) {
			m := renderPG(t, profile, nil)
			sql := render.Get[*corev1.ConfigMap](t, m, pgScripts).Data["ensure.sql"]
			want := map[string][]string{"nova_auth": {"public", "auth", "streaming"}, "nova_messaging": {"public", "messaging"}}
			if got := ensuredDatabases(t, sql); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ensure.sql creates %v, want %v", got, want)
			}
			if strings.Contains(m.Raw, "nova_core") {
				t.Error("the render mentions nova_core (defect 3)")
			}
			for _, stmt := range []string{`CREATE ROLE %I LOGIN', :'app_role'`, `\set app_role nova`, `\getenv app_password NOVA_APP_PASSWORD`} {
				if !strings.Contains(sql, stmt) {
					t.Errorf("ensure.sql lacks %q", stmt)
				}
			}
			// No generated password appears in any ConfigMap (defect 3, 7).
			secret := render.Get[*corev1.Secret](t, m, "nova-postgres-ha-auth")
			for _, cm := range render.All[*corev1.ConfigMap](m) {
				for file, text := range cm.Data {
					for key, pw := range secret.Data {
						if strings.Contains(text, string(pw)) {
							t.Errorf("ConfigMap %s/%s contains the %s", cm.Name, file, key)
						}
					}
				}
			}
		})
	}
	// Adding a database in values adds it to the ensure SQL (applied on upgrade by the hook Job).
	extra := filepath.Join(t.TempDir(), "databases.yaml")
	list := "databases:\n- {name: nova_auth, schemas: [public, auth, streaming]}\n- {name: nova_messaging, schemas: [public, messaging]}\n- {name: nova_search, schemas: [public]}\n"
	if err := os.WriteFile(extra, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	m := render.Render(t, render.Options{Chart: "postgres-ha", Files: []string{extra}})
	got := ensuredDatabases(t, render.Get[*corev1.ConfigMap](t, m, pgScripts).Data["ensure.sql"])
	if fmt.Sprint(got["nova_search"]) != "[public]" || len(got) != 3 {
		t.Errorf("added database not ensured: %v", got)
	}
}

func TestRoleServicesSelectByRoleLabel(t *testing.T) {
	for _, profile := range pgProfiles {
		t.Run(profile, func(t *testing.T) {
			m := renderPG(t, profile, nil)
			pod := render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template
			if _, ok := pod.Labels["role"]; ok {
				t.Fatal("the pod template sets a role label; only Patroni's callback may")
			}
			with := func(role string) labels.Set {
				l := labels.Set{}
				for k, v := range pod.Labels {
					l[k] = v
				}
				l["role"] = role
				return l
			}
			for name, role := range map[string]string{"nova-postgres-ha-primary": "primary", "nova-postgres-ha-replicas": "replica"} {
				svc := render.Get[*corev1.Service](t, m, name)
				sel := labels.SelectorFromSet(svc.Spec.Selector)
				if svc.Spec.Selector["role"] != role {
					t.Errorf("%s selects role %q, want %q", name, svc.Spec.Selector["role"], role)
				}
				if sel.Matches(labels.Set(pod.Labels)) {
					t.Errorf("%s selects every postgres pod (defect 2)", name)
				}
				if !sel.Matches(with(role)) {
					t.Errorf("%s does not select a postgres pod labelled role=%s", name, role)
				}
				other := map[string]string{"primary": "replica", "replica": "primary"}[role]
				if sel.Matches(with(other)) || sel.Matches(with("stopped")) {
					t.Errorf("%s selects a pod labelled role=%s", name, other)
				}
				if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 5432 {
					t.Errorf("%s ports %+v", name, svc.Spec.Ports)
				}
			}
			headless := render.Get[*corev1.Service](t, m, "nova-postgres-ha-headless")
			if !labels.SelectorFromSet(headless.Spec.Selector).Matches(labels.Set(pod.Labels)) || headless.Spec.ClusterIP != "None" {
				t.Errorf("headless Service must select every member: %+v", headless.Spec)
			}
		})
	}
}

func TestRoleGrantsOnlyPodLabelling(t *testing.T) {
	for _, profile := range pgProfiles {
		t.Run(profile, func(t *testing.T) {
			m := renderPG(t, profile, nil)
			if n := len(render.All[*rbacv1.Role](m)); n != 1 {
				t.Fatalf("%d Roles, want 1", n)
			}
			sts := render.Get[*appsv1.StatefulSet](t, m, pgSet)
			checkPodLabelRBAC(t, m, sts)
			if p := sts.Spec.Template.Spec.AutomountServiceAccountToken; p == nil || !*p {
				t.Error("postgres pods need their ServiceAccount token for the callback")
			}
			for _, name := range []string{etcdSet} {
				if p := render.Get[*appsv1.StatefulSet](t, m, name).Spec.Template.Spec.AutomountServiceAccountToken; p == nil || *p {
					t.Errorf("%s mounts a ServiceAccount token it does not need", name)
				}
			}
		})
	}
}

func TestPostgresDisruptionBudgets(t *testing.T) {
	for _, profile := range pgProfiles {
		t.Run(profile, func(t *testing.T) {
			m := renderPG(t, profile, nil)
			pdbs := render.All[*policyv1.PodDisruptionBudget](m)
			if len(pdbs) != 2 {
				t.Fatalf("%d PDBs, want postgres and etcd", len(pdbs))
			}
			for _, name := range []string{pgSet, etcdSet} {
				pdb := render.Get[*policyv1.PodDisruptionBudget](t, m, name)
				if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 2 {
					t.Errorf("%s: minAvailable %v, want 2", name, pdb.Spec.MinAvailable)
				}
				sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range workloads(m) {
					if got, want := sel.Matches(labels.Set(w.Template.Labels)), w.Meta.Name == name; got != want {
						t.Errorf("PDB %s selects %s: %v, want %v", name, w.Meta.Name, got, want)
					}
				}
				if _, ok := pdb.Spec.Selector.MatchLabels["role"]; ok {
					t.Errorf("%s: a role-only budget blocks drains", name)
				}
			}
		})
	}
}

func TestPostgresProfileResources(t *testing.T) {
	m := renderPG(t, "production", nil)
	pg := render.Get[*appsv1.StatefulSet](t, m, pgSet)
	assertResources(t, "postgres", pg.Spec.Template.Spec.Containers[0].Resources, "250m", "1", "512Mi", "1Gi")
	if got := pvcSize(t, pg); got != "20Gi" {
		t.Errorf("production volume %s, want 20Gi", got)
	}
	c, _ := parsePatroni(t, m)
	if got := c.Bootstrap.DCS.PostgreSQL.Parameters["max_slot_wal_keep_size"]; got != "5120MB" {
		t.Errorf("max_slot_wal_keep_size %q, want a quarter of 20Gi (5120MB)", got)
	}
	c, _ = parsePatroni(t, renderPG(t, "local", nil))
	if got := c.Bootstrap.DCS.PostgreSQL.Parameters["max_slot_wal_keep_size"]; got != "512MB" {
		t.Errorf("local max_slot_wal_keep_size %q, want a quarter of 2Gi (512MB)", got)
	}
	for _, profile := range pgProfiles {
		m := renderPG(t, profile, nil)
		for _, w := range workloads(m) {
			a := w.Template.Spec.Affinity
			hard := a != nil && a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) == 1
			if hard != (profile == "production") {
				t.Errorf("%s/%s: required anti-affinity %v", profile, w.Meta.Name, hard)
			}
		}
	}
}

func TestPostgresTemplateChecks(t *testing.T) {
	cases := map[string]struct {
		set  map[string]string
		want []string
	}{
		"loop_wait + 2*retry_timeout > ttl": {map[string]string{"patroni.ttl": "10", "patroni.loopWait": "3", "patroni.retryTimeout": "4"},
			[]string{"patroni.loopWait + 2*patroni.retryTimeout (3 + 2*4 = 11) must be <= patroni.ttl (10)"}},
		"one etcd member":            {map[string]string{"etcd.replicas": "1"}, []string{"/etcd/replicas", "minimum"}},
		"two etcd members":           {map[string]string{"etcd.replicas": "2"}, []string{"/etcd/replicas"}},
		"nova_core":                  {map[string]string{"databases[0].name": "nova_core"}, []string{"/databases/0/name"}},
		"schema name":                {map[string]string{"databases[0].schemas[0]": "Bad-Name"}, []string{"/databases/0/schemas/0"}},
		"retry timeout too small":    {map[string]string{"patroni.retryTimeout": "1"}, []string{"/patroni/retryTimeout"}},
		"bad wal keep size":          {map[string]string{"patroni.maxSlotWalKeepSize": "5Gi"}, []string{"/patroni/maxSlotWalKeepSize"}},
		"relative bin dir":           {map[string]string{"postgresql.binDir": "bin"}, []string{"/postgresql/binDir"}},
		"latest etcd image":          {map[string]string{"etcd.image.tag": "latest"}, []string{"/etcd/image/tag"}},
		"external etcd without port": {map[string]string{"etcd.external.endpoints[0]": "etcd.example"}, []string{"/etcd/external/endpoints/0"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := render.TemplateE(t, render.Options{Chart: "postgres-ha", Set: c.set})
			if err == nil {
				t.Fatalf("values %v were accepted", c.set)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
	// The boundary itself is allowed.
	if _, err := render.TemplateE(t, render.Options{Chart: "postgres-ha", Set: map[string]string{"patroni.ttl": "11", "patroni.loopWait": "3", "patroni.retryTimeout": "4"}}); err != nil {
		t.Errorf("loop_wait + 2*retry_timeout == ttl refused: %v", err)
	}
}

func TestExternalEtcd(t *testing.T) {
	m := renderPG(t, "production", map[string]string{"etcd.external.endpoints[0]": "etcd-a.infra:2379", "etcd.external.endpoints[1]": "etcd-b.infra:2379"})
	for _, w := range workloads(m) {
		if w.Meta.Name == etcdSet {
			t.Error("etcd members deployed although etcd.external.endpoints is set")
		}
	}
	if n := len(render.All[*policyv1.PodDisruptionBudget](m)); n != 1 {
		t.Errorf("%d PDBs, want the postgres one only", n)
	}
	c, _ := parsePatroni(t, m)
	if fmt.Sprint(c.Etcd3.Hosts) != "[etcd-a.infra:2379 etcd-b.infra:2379]" {
		t.Errorf("etcd3 hosts %v, want the external endpoints", c.Etcd3.Hosts)
	}
}

func TestEnsureJobAndHelmTest(t *testing.T) {
	m := renderPG(t, "production", nil)
	image := render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec.Containers[0].Image
	job := render.Get[*batchv1.Job](t, m, pgEnsureJob)
	if job.Annotations["helm.sh/hook"] != "post-install,post-upgrade" {
		t.Errorf("ensure Job hook %q", job.Annotations["helm.sh/hook"])
	}
	test := render.Get[*corev1.Pod](t, m, "nova-postgres-ha-test")
	if test.Annotations["helm.sh/hook"] != "test" {
		t.Errorf("test pod hook %q", test.Annotations["helm.sh/hook"])
	}
	for name, spec := range map[string]corev1.PodSpec{"job": job.Spec.Template.Spec, "test": test.Spec} {
		c := spec.Containers[0]
		if c.Image != image {
			t.Errorf("%s image %q, want the chart's PostgreSQL image %q", name, c.Image, image)
		}
		sc := c.SecurityContext
		if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot ||
			sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			fmt.Sprint(sc.Capabilities.Drop) != "[ALL]" {
			t.Errorf("%s: not restricted: %+v %+v", name, spec.SecurityContext, sc)
		}
		for _, e := range c.Env {
			if strings.Contains(e.Name, "PASSWORD") && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("%s: %s is not read from the Secret", name, e.Name)
			}
		}
	}
	env := envOf(test.Spec.Containers[0])
	if env["PRIMARY_HOST"].Value != "nova-postgres-ha-primary.nova.svc.cluster.local" ||
		env["REPLICAS_HOST"].Value != "nova-postgres-ha-replicas.nova.svc.cluster.local" || env["REPLICAS"].Value != "3" {
		t.Errorf("helm test endpoints: %+v", env)
	}
	script := render.Get[*corev1.ConfigMap](t, m, pgScripts).Data["helm-test.sh"]
	for _, check := range []string{"SELECT count(*) FROM pg_replication_slots", "pg_is_in_recovery()", "INSERT INTO nova_helm_test", "want=$((REPLICAS - 1))"} {
		if !strings.Contains(script, check) {
			t.Errorf("helm-test.sh lacks %q", check)
		}
	}
}

func TestOptionalMetricsAndNetworkPolicy(t *testing.T) {
	m := renderPG(t, "production", nil)
	if n := len(render.All[*networkingv1.NetworkPolicy](m)); n != 0 || strings.Contains(m.Raw, "ServiceMonitor") {
		t.Errorf("optional objects rendered by default (%d NetworkPolicies)", n)
	}
	if n := len(render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec.Containers); n != 1 {
		t.Errorf("%d containers by default, want postgres only", n)
	}

	raw, err := render.TemplateE(t, render.Options{Chart: "postgres-ha", Profile: "production",
		Set: map[string]string{"metrics.enabled": "true", "networkPolicy.enabled": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, "kind: ServiceMonitor") {
		t.Error("no ServiceMonitor with metrics on")
	}
	var kept []string // ServiceMonitor is not a client-go kind; decode the rest
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(raw, -1) {
		if !strings.Contains(doc, "kind: ServiceMonitor") {
			kept = append(kept, doc)
		}
	}
	m, err = render.Decode(strings.Join(kept, "\n---\n"))
	if err != nil {
		t.Fatal(err)
	}
	cs := render.Get[*appsv1.StatefulSet](t, m, pgSet).Spec.Template.Spec.Containers
	if len(cs) != 2 || cs[1].Name != "metrics" || !strings.Contains(cs[1].Image, "postgres-exporter:v") {
		t.Errorf("metrics sidecar missing: %+v", cs)
	}
	pols := render.All[*networkingv1.NetworkPolicy](m)
	if len(pols) != 2 {
		t.Fatalf("%d NetworkPolicies, want postgres and etcd", len(pols))
	}
	pg := render.Get[*networkingv1.NetworkPolicy](t, m, pgSet)
	var fromServices bool
	for _, rule := range pg.Spec.Ingress {
		for _, peer := range rule.From {
			if peer.PodSelector != nil && peer.PodSelector.MatchLabels["app.kubernetes.io/name"] == "nova-services" {
				fromServices = true
			}
		}
	}
	if !fromServices {
		t.Error("the services tier cannot reach PostgreSQL through the NetworkPolicy")
	}
}

// NOTES say where the primary and replicas are and how to read the credentials.
func TestPostgresNotes(t *testing.T) {
	out, err := renderWithEngine(t, "postgres-ha", map[string]any{}, newFakeCluster())
	if err != nil {
		t.Fatal(err)
	}
	notes := out["postgres-ha/templates/NOTES.txt"]
	for _, want := range []string{"nova-postgres-ha-primary.nova.svc.cluster.local:5432", "nova-postgres-ha-replicas.nova.svc.cluster.local:5432",
		"get secret nova-postgres-ha-auth -o jsonpath='{.data.app-password}'", "helm test nova"} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES lack %q:\n%s", want, notes)
		}
	}
}

// On volumes whose kubelet applies fsGroup (CSI block volumes) the data
// directory would turn 2770 and PostgreSQL refuse to start: the ownership
// change happens only on a mismatch, the start script makes the directory
// 0700 again (it runs for real in tests/failover), and /dev/shm is memory
// of a size the values set.
func checkDataDirPermissions(t *testing.T, spec corev1.PodSpec, pg corev1.Container) {
	t.Helper()
	if p := spec.SecurityContext.FSGroupChangePolicy; p == nil || *p != corev1.FSGroupChangeOnRootMismatch {
		t.Errorf("fsGroupChangePolicy %v, want OnRootMismatch", p)
	}
	if got := envOf(pg)["PATRONI_POSTGRESQL_DATA_DIR"].Value; got != "/home/postgres/pgdata/data" {
		t.Errorf("PATRONI_POSTGRESQL_DATA_DIR=%q, the start script needs the data directory", got)
	}
	var shm bool
	for _, mount := range pg.VolumeMounts {
		for _, v := range spec.Volumes {
			if mount.MountPath == "/dev/shm" && v.Name == mount.Name && v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory &&
				v.EmptyDir.SizeLimit != nil && v.EmptyDir.SizeLimit.String() == "256Mi" {
				shm = true
			}
		}
	}
	if !shm {
		t.Errorf("no memory-backed 256Mi emptyDir on /dev/shm: mounts %+v", pg.VolumeMounts)
	}
}

// The start script as it ships: a data directory made 2770 by an fsGroup
// change is 0700 again before Patroni starts, and Patroni gets the config.
func TestStartPostgresScriptRestoresTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "pgdata", "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o2770|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// A stand-in for patroni that reports what it was started with.
	if err := os.WriteFile(filepath.Join(bin, "patroni"), []byte("#!/bin/sh\necho \"patroni $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) (string, error) {
		cmd := exec.Command("/bin/sh", render.Path("charts", "postgres-ha", "files", "start-postgres.sh"), "/etc/patroni/patroni.yml")
		cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin"}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("PATRONI_POSTGRESQL_DATA_DIR=" + data)
	if err != nil || strings.TrimSpace(out) != "patroni /etc/patroni/patroni.yml" {
		t.Fatalf("start-postgres.sh: %v\n%s", err, out)
	}
	st, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	// (chmod keeps a directory's setgid bit, which PostgreSQL does not check.)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v after the start script, want 0700", st.Mode())
	}
	// Before the first initdb there is no data directory: Patroni starts anyway.
	if out, err := run("PATRONI_POSTGRESQL_DATA_DIR=" + filepath.Join(dir, "absent")); err != nil || !strings.Contains(out, "patroni") {
		t.Errorf("without a data directory: %v\n%s", err, out)
	}
	if out, err := run(); err == nil || !strings.Contains(out, "PATRONI_POSTGRESQL_DATA_DIR") {
		t.Errorf("without PATRONI_POSTGRESQL_DATA_DIR: want a failure naming it, got %v\n%s", err, out)
	}
}
