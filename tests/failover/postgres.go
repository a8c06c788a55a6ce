package failover

// The PostgreSQL half of the proving ground: the postgres-ha chart's render
// (patroni.yml, the ensure SQL, the callback and hook scripts, the etcd
// flags) run unchanged as Debian's etcd, Patroni and PostgreSQL processes.
//
// How a render becomes processes:
//   - The chart is rendered with a profile and patroni.configDir set to a
//     directory of the test (the value that says where the config volume is
//     mounted); the ConfigMaps that volume projects (patroni.yml and the
//     scripts) are written there with the volume's mode, as the pod sees
//     them. Every ConfigMap is also written to a directory of its own for
//     the one-shot pods, whose commands are pointed there (pods.go).
//   - Each container's env is taken as the kubelet would build it: fieldRefs
//     from the pod's identity (name, namespace, pod IP = the member's loopback
//     address), secretKeyRefs from the rendered Secret, $(VAR) expanded. The
//     test then overrides only addresses (listen addresses, DNS names of the
//     etcd members, which it resolves itself) and directories (data dirs,
//     pgpass), through the PATRONI_*/ETCD_* env the chart documents.
//   - Member i of PostgreSQL listens on base+11+i (PostgreSQL 5432, Patroni
//     8008), etcd member i on base+21+i (the rendered ports), base being a random
//     127.x.y. network so that parallel runs do not meet.
//   - PostgreSQL refuses to run as root: when the test runs as root, Patroni
//     (and so PostgreSQL) runs as Debian's `postgres` user (created by
//     postgresql-common) through `setpriv`, and the member directories are
//     chowned to it. etcd and the client scripts run as the test's user.
//   - Patroni starts the postmaster in a session of its own (as pg_ctl does),
//     so it is not in Patroni's process group: the harness finds it through
//     postmaster.pid in the member's data directory (checking that the PID is
//     a postgres of that directory) and kills its process group at the end of
//     the test and when a scenario kills the member.
//   - The Kubernetes API that role-label.sh PATCHes is a TLS httptest server
//     (its certificate is the fake service account's ca.crt) that records
//     the labels of each pod; the primary and replicas Services are modelled
//     from the rendered Services: the members whose labels match the
//     selector and whose Patroni readiness endpoint answers 200.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/render"
)

const postgresInstallHint = "apt-get install postgresql-15 patroni etcd-server (bash .ci/run does)"

// pgCluster is the postgres-ha chart's render running as processes.
type pgCluster struct {
	t       *testing.T
	dir     string
	ns      string
	profile string

	names     []string // PostgreSQL pod names, in ordinal order
	hosts     []string // their loopback addresses
	etcdNames []string
	etcdHosts []string
	dns       resolver // rendered DNS names of the etcd members -> addresses

	pg          corev1.Container // the rendered postgres container
	etcdC       corev1.Container // the rendered etcd container
	podLabels   map[string]string
	pgPort      string
	restPort    string
	etcdPort    string            // etcd's client port
	configMaps  map[string]string // rendered ConfigMap name -> its files on disk
	readiness   string            // Patroni readiness path of the rendered probe
	grace       time.Duration
	services    map[string]map[string]string // primary/replicas Service selectors
	secrets     map[string]*corev1.Secret
	testPod     *corev1.Pod
	ensureJob   *batchv1.Job
	patroniConf patroniYML

	superuser, superPassword string
	appRole, appPassword     string
	databases                []string

	runAs *user.User // nil: run Patroni as the test's user
	api   *kubeAPI

	etcd    []*process
	patroni []*process
	nextID  atomic.Int64
	http    *http.Client // status requests of the test
	probe   *http.Client // the kubelet's readiness probe (its timeout)
}

// patroniYML is what the test reads of the rendered patroni.yml.
type patroniYML struct {
	Scope   string `json:"scope"`
	Restapi struct {
		Listen string `json:"listen"`
	} `json:"restapi"`
	Etcd3 struct {
		Hosts []string `json:"hosts"`
	} `json:"etcd3"`
	Bootstrap struct {
		DCS struct {
			TTL             int  `json:"ttl"`
			LoopWait        int  `json:"loop_wait"`
			SynchronousMode bool `json:"synchronous_mode"`
		} `json:"dcs"`
	} `json:"bootstrap"`
	PostgreSQL struct {
		Listen string `json:"listen"`
	} `json:"postgresql"`
}

// newPostgresCluster renders postgres-ha with a profile and lays its config
// and scripts out in a directory of the test, exactly as rendered. Nothing
// runs yet: see startEtcd and startMember.
func newPostgresCluster(t *testing.T, profile string) *pgCluster {
	t.Helper()
	for cmd, pkg := range map[string]string{"etcd": "etcd-server", "patroni": "patroni", "psql": "postgresql-client-15", "curl": "curl", "sh": "dash"} {
		need.Command(t, cmd, pkg)
	}
	c := &pgCluster{t: t, profile: profile, ns: "nova", http: &http.Client{Timeout: 3 * time.Second}, probe: &http.Client{Timeout: time.Second}}
	if os.Geteuid() == 0 {
		need.Command(t, "setpriv", "util-linux")
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("PostgreSQL does not run as root and there is no postgres user (postgresql-common creates it): %v; %s", err, postgresInstallHint)
		}
		c.runAs = u
	}
	c.dir = pgTestDir(t)

	configDir := filepath.Join(c.dir, "patroni")
	m := render.Render(t, render.Options{Chart: "postgres-ha", Profile: profile, Namespace: c.ns,
		Set: map[string]string{"patroni.configDir": configDir}})
	pgSet := render.Get[*appsv1.StatefulSet](t, m, "nova-postgres-ha-postgres")
	etcdSet := render.Get[*appsv1.StatefulSet](t, m, "nova-postgres-ha-etcd")
	c.pg, c.etcdC = pgSet.Spec.Template.Spec.Containers[0], etcdSet.Spec.Template.Spec.Containers[0]
	c.podLabels = pgSet.Spec.Template.Labels
	if g := pgSet.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		c.grace = time.Duration(*g) * time.Second
	}
	c.pgPort, c.restPort = containerPort(t, c.pg, "postgres"), containerPort(t, c.pg, "patroni")
	c.etcdPort = containerPort(t, c.etcdC, "client")
	if p := c.pg.ReadinessProbe; p != nil && p.HTTPGet != nil {
		c.readiness = p.HTTPGet.Path
		if p.TimeoutSeconds > 0 {
			c.probe.Timeout = time.Duration(p.TimeoutSeconds) * time.Second
		}
	} else {
		t.Fatal("the postgres container has no HTTP readiness probe")
	}
	c.secrets = map[string]*corev1.Secret{}
	for _, s := range render.All[*corev1.Secret](m) {
		c.secrets[s.Name] = s
	}
	c.services = map[string]map[string]string{}
	for _, svc := range []string{"primary", "replicas"} {
		c.services[svc] = render.Get[*corev1.Service](t, m, "nova-postgres-ha-"+svc).Spec.Selector
	}
	c.testPod = render.Get[*corev1.Pod](t, m, "nova-postgres-ha-test")
	c.ensureJob = render.Get[*batchv1.Job](t, m, "nova-postgres-ha-ensure")

	// The config volume: the ConfigMaps it projects, with its mode.
	patroniCM := render.Get[*corev1.ConfigMap](t, m, "nova-postgres-ha-patroni")
	for _, v := range pgSet.Spec.Template.Spec.Volumes {
		if v.Name != "config" || v.Projected == nil {
			continue
		}
		mode := os.FileMode(0o644)
		if v.Projected.DefaultMode != nil {
			mode = os.FileMode(*v.Projected.DefaultMode)
		}
		for _, src := range v.Projected.Sources {
			if src.ConfigMap == nil || len(src.ConfigMap.Items) > 0 {
				t.Fatalf("config volume source %+v: the harness projects whole ConfigMaps only", src)
			}
			writeFiles(t, configDir, render.Get[*corev1.ConfigMap](t, m, src.ConfigMap.Name).Data, mode)
		}
	}
	// The hook Job's and helm test's volumes: every ConfigMap, one dir each.
	c.configMaps = writeConfigMaps(t, render.All[*corev1.ConfigMap](m), filepath.Join(c.dir, "configmaps"))
	if err := yaml.Unmarshal([]byte(patroniCM.Data["patroni.yml"]), &c.patroniConf); err != nil {
		t.Fatalf("patroni.yml: %v", err)
	}

	// Credentials, as the pods get them.
	c.superuser = envValue(t, c.testPod.Spec.Containers[0], "PGUSER")
	c.superPassword = c.secretRef(t, c.testPod.Spec.Containers[0], "PGPASSWORD")
	c.appRole = envValue(t, c.testPod.Spec.Containers[0], "APP_ROLE")
	c.appPassword = c.secretRef(t, c.testPod.Spec.Containers[0], "NOVA_APP_PASSWORD")
	c.databases = strings.Fields(envValue(t, c.testPod.Spec.Containers[0], "DATABASES"))

	// Addresses: PostgreSQL members .11+i, etcd members .21+i.
	base := fmt.Sprintf("127.%d.%d.", 100+mrand.IntN(100), 1+mrand.IntN(250))
	for i := 0; i < int(*pgSet.Spec.Replicas); i++ {
		c.names = append(c.names, fmt.Sprintf("%s-%d", pgSet.Name, i))
		c.hosts = append(c.hosts, fmt.Sprintf("%s%d", base, 11+i))
	}
	c.dns = resolver{}
	for i := 0; i < int(*etcdSet.Spec.Replicas); i++ {
		name := fmt.Sprintf("%s-%d", etcdSet.Name, i)
		c.etcdNames = append(c.etcdNames, name)
		c.etcdHosts = append(c.etcdHosts, fmt.Sprintf("%s%d", base, 21+i))
		c.dns[fmt.Sprintf("%s.%s.%s.svc.cluster.local", name, etcdSet.Spec.ServiceName, c.ns)] = c.etcdHosts[i]
	}
	c.etcd = make([]*process, len(c.etcdHosts))
	c.patroni = make([]*process, len(c.hosts))

	c.api = newKubeAPI(t, filepath.Join(c.dir, "serviceaccount"), c.ns)
	t.Cleanup(c.killPostmasters) // after the Patroni processes are gone (cleanups run last first)
	t.Cleanup(c.dumpLogsOnFailure)
	return c
}

// pgTestDir is a directory that the postgres user can traverse (t.TempDir's
// parent is private to root), removed at the end unless FAILOVER_KEEP_DIR.
func pgTestDir(t *testing.T) string {
	t.Helper()
	if keep := os.Getenv("FAILOVER_KEEP_DIR"); keep != "" {
		dir := filepath.Join(keep, "postgres")
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir, err := os.MkdirTemp("", "nova-postgres-failover-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (c *pgCluster) secretRef(t *testing.T, ctr corev1.Container, name string) string {
	t.Helper()
	for _, e := range ctr.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return c.secretValue(t, e.ValueFrom.SecretKeyRef)
		}
	}
	t.Fatalf("container %s has no Secret env %s", ctr.Name, name)
	return ""
}

func (c *pgCluster) secretValue(t testing.TB, ref *corev1.SecretKeySelector) string {
	t.Helper()
	return secretValue(t, c.secrets, ref)
}

// podEnv is a container's rendered env as the kubelet builds it (kubeletEnv)
// with this cluster's namespace and rendered Secrets.
func (c *pgCluster) podEnv(t testing.TB, ctr corev1.Container, p pod) []string {
	t.Helper()
	return kubeletEnv(t, ctr, p, c.ns, c.secrets)
}

func (c *pgCluster) memberDir(i int) string { return filepath.Join(c.dir, fmt.Sprintf("member-%d", i)) }
func (c *pgCluster) dataDir(i int) string   { return filepath.Join(c.memberDir(i), "data") }

// ---- Patroni and PostgreSQL

// memberEnv is the rendered env of member i's pod plus what differs on one
// host: listen addresses, etcd addresses, data directory and pgpass, and the
// fake Kubernetes API of the role-label callback.
func (c *pgCluster) memberEnv(i int) []string {
	env := c.podEnv(c.t, c.pg, pod{name: c.names[i], ip: c.hosts[i]})
	var etcdHosts []string
	for _, h := range c.patroniConf.Etcd3.Hosts {
		etcdHosts = append(etcdHosts, c.dns.resolve(h))
	}
	return append(env,
		"HOME="+c.memberDir(i),
		"PATRONI_RESTAPI_LISTEN="+withHost(c.patroniConf.Restapi.Listen, c.hosts[i]),
		"PATRONI_POSTGRESQL_LISTEN="+withHost(c.patroniConf.PostgreSQL.Listen, c.hosts[i]),
		"PATRONI_ETCD3_HOSTS="+strings.Join(etcdHosts, ","),
		"PATRONI_POSTGRESQL_DATA_DIR="+c.dataDir(i),
		"PATRONI_POSTGRESQL_PGPASS="+filepath.Join(c.memberDir(i), "pgpass"),
		"KUBERNETES_API_URL="+c.api.srv.URL,
		"SERVICEACCOUNT_DIR="+c.api.saDir)
}

// asUser wraps argv so that it runs as the unprivileged user (same PID).
func (c *pgCluster) asUser(argv ...string) []string {
	if c.runAs == nil {
		return argv
	}
	return append([]string{"setpriv", "--reuid=" + c.runAs.Uid, "--regid=" + c.runAs.Gid, "--init-groups", "--"}, argv...)
}

func (c *pgCluster) chownToRunAs(path string) {
	c.t.Helper()
	if c.runAs == nil {
		return
	}
	uid, _ := strconv.Atoi(c.runAs.Uid)
	gid, _ := strconv.Atoi(c.runAs.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		c.t.Fatal(err)
	}
}

// startMember starts member i: the rendered container command (Patroni with
// the chart's patroni.yml) with the member's env.
func (c *pgCluster) startMember(i int) {
	c.t.Helper()
	if err := os.MkdirAll(c.memberDir(i), 0o700); err != nil {
		c.t.Fatal(err)
	}
	c.chownToRunAs(c.memberDir(i))
	c.patroni[i] = start(c.t, c.dir, "patroni-"+strconv.Itoa(i), c.memberEnv(i), c.asUser(append(c.pg.Command, c.pg.Args...)...)...)
}

func (c *pgCluster) running(i int) bool { return c.patroni[i] != nil && !c.patroni[i].exited() }

// killMember is a pod lost at once: SIGKILL to Patroni and to PostgreSQL.
func (c *pgCluster) killMember(i int) {
	c.patroni[i].signal(syscall.SIGKILL)
	c.killPostmaster(i)
	if !c.patroni[i].wait(5 * time.Second) {
		c.t.Errorf("Patroni of member %d survived SIGKILL", i)
	}
}

// stopMember is a pod stopped by the kubelet: SIGTERM to the container's
// main process (Patroni) only, SIGKILL after the grace period.
func (c *pgCluster) stopMember(i int) {
	p := c.patroni[i]
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	if !p.wait(c.grace) {
		c.t.Errorf("Patroni of member %d did not stop within the grace period %s", i, c.grace)
	}
	p.kill() // anything left in the "container"
	c.killPostmaster(i)
}

// postmasterPID is the PID in member i's postmaster.pid if that process is
// a postgres of member i's data directory, else 0.
func (c *pgCluster) postmasterPID(i int) int {
	data, err := os.ReadFile(filepath.Join(c.dataDir(i), "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil || pid <= 1 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(c.dataDir(i))) {
		return 0
	}
	return pid
}

// killPostmaster kills member i's postmaster and its backends (their own
// process group, not Patroni's) and waits until the postmaster is gone.
func (c *pgCluster) killPostmaster(i int) {
	pid := c.postmasterPID(i)
	if pid == 0 {
		return
	}
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid > 1 && pgid != syscall.Getpgrp() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_ = eventually(5*time.Second, 20*time.Millisecond, func() error {
		if alive(pid) {
			return fmt.Errorf("postmaster %d alive", pid)
		}
		return nil
	})
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if end := bytes.LastIndexByte(stat, ')'); end >= 0 && end+2 < len(stat) {
		return stat[end+2] != 'Z'
	}
	return true
}

func (c *pgCluster) killPostmasters() {
	for i := range c.hosts {
		c.killPostmaster(i)
	}
}

// patroniStatus is Patroni's GET /patroni.
type patroniStatus struct {
	State       string `json:"state"`
	Role        string `json:"role"`
	Timeline    int    `json:"timeline"`
	Replication []struct {
		ApplicationName string `json:"application_name"`
		State           string `json:"state"`
		SyncState       string `json:"sync_state"`
	} `json:"replication"`
}

func (s patroniStatus) leader() bool { return s.Role == "master" || s.Role == "primary" }

func (c *pgCluster) restURL(i int, path string) string {
	return "http://" + net.JoinHostPort(c.hosts[i], c.restPort) + path
}

func (c *pgCluster) status(i int) (patroniStatus, error) {
	var s patroniStatus
	return s, c.getJSON(c.restURL(i, "/patroni"), &s)
}

// clusterMember is one entry of Patroni's GET /cluster (the DCS view).
type clusterMember struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	State string `json:"state"`
}

func (c *pgCluster) clusterView(i int) ([]clusterMember, error) {
	var v struct {
		Members []clusterMember `json:"members"`
	}
	return v.Members, c.getJSON(c.restURL(i, "/cluster"), &v)
}

func (c *pgCluster) getJSON(url string, v any) error {
	resp, err := c.http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// ready is the kubelet's readiness probe of member i.
func (c *pgCluster) ready(i int) bool {
	resp, err := c.probe.Get(c.restURL(i, c.readiness))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

// labels are member i's pod labels: the template's plus the patched ones.
func (c *pgCluster) labels(i int) map[string]string {
	l := map[string]string{}
	for k, v := range c.podLabels {
		l[k] = v
	}
	for k, v := range c.api.labels(c.names[i]) {
		l[k] = v
	}
	return l
}

// roleLabel is member i's value of the label the primary Service selects
// on beyond the pod template's labels (the one the callback sets).
func (c *pgCluster) roleLabel(i int) string {
	l := c.labels(i)
	for k := range c.services["primary"] {
		if _, fixed := c.podLabels[k]; !fixed {
			return l[k]
		}
	}
	return ""
}

// endpoints are the members a Service routes to: labels match its selector
// and the readiness probe passes.
func (c *pgCluster) endpoints(service string) []int {
	var out []int
	for i := range c.hosts {
		match := true
		l := c.labels(i)
		for k, v := range c.services[service] {
			if l[k] != v {
				match = false
			}
		}
		if match && c.ready(i) {
			out = append(out, i)
		}
	}
	return out
}

// stable waits until the running members have exactly one leader, every
// other running member streams from it (in synchronous mode, one of them
// synchronously), every member's DCS view names that leader, and the
// primary and replicas Services route to the leader and the replicas only.
// It returns the leader.
func (c *pgCluster) stable(t testing.TB, timeout time.Duration) int {
	t.Helper()
	leader := -1
	err := eventually(timeout, 200*time.Millisecond, func() error {
		leader = -1
		var replicas []int
		for i := range c.hosts {
			if !c.running(i) {
				continue
			}
			s, err := c.status(i)
			if err != nil {
				return fmt.Errorf("member %d: %w", i, err)
			}
			switch {
			case s.State != "running":
				return fmt.Errorf("member %d: state %q", i, s.State)
			case s.leader() && leader >= 0:
				return fmt.Errorf("two leaders: members %d and %d", leader, i)
			case s.leader():
				leader = i
			case s.Role == "replica":
				replicas = append(replicas, i)
			default:
				return fmt.Errorf("member %d: role %q", i, s.Role)
			}
		}
		if leader < 0 {
			return errors.New("no leader")
		}
		s, err := c.status(leader)
		if err != nil {
			return err
		}
		streaming, sync := map[string]bool{}, 0
		for _, r := range s.Replication {
			if r.State == "streaming" {
				streaming[r.ApplicationName] = true
			}
			if r.SyncState == "sync" {
				sync++
			}
		}
		for _, r := range replicas {
			if !streaming[c.names[r]] {
				return fmt.Errorf("member %d does not stream from the leader %d", r, leader)
			}
		}
		if c.patroniConf.Bootstrap.DCS.SynchronousMode && len(replicas) > 0 && sync != 1 {
			return fmt.Errorf("synchronous mode: %d synchronous replicas", sync)
		}
		for i := range c.hosts {
			if !c.running(i) {
				continue
			}
			view, err := c.clusterView(i)
			if err != nil {
				return err
			}
			var leaders []string
			for _, m := range view {
				if m.Role == "leader" {
					leaders = append(leaders, m.Name)
				}
			}
			if len(leaders) != 1 || leaders[0] != c.names[leader] {
				return fmt.Errorf("member %d's DCS view has leaders %v, want %s", i, leaders, c.names[leader])
			}
		}
		if got := c.endpoints("primary"); len(got) != 1 || got[0] != leader {
			return fmt.Errorf("primary Service routes to %v, want [%d]", got, leader)
		}
		if got := c.endpoints("replicas"); fmt.Sprint(got) != fmt.Sprint(replicas) {
			return fmt.Errorf("replicas Service routes to %v, want %v", got, replicas)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("PostgreSQL cluster not stable: %v", err)
	}
	return leader
}

// ---- SQL

// conn opens a connection to member i as the superuser or, with app, the
// application role, with the passwords of the rendered Secret.
func (c *pgCluster) conn(ctx context.Context, i int, app bool, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s dbname=%s sslmode=disable connect_timeout=2 application_name=nova-failover-test",
		c.hosts[i], c.pgPort, db))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password = c.superuser, c.superPassword
	if app {
		cfg.User, cfg.Password = c.appRole, c.appPassword
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// query runs one statement on member i and returns its rows as text.
func (c *pgCluster) query(i int, app bool, db, sql string, args ...any) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := c.conn(ctx, i, app, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for j, v := range vals {
			row[j] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// writeDB is the database the writer writes to: the first of the chart's.
func (c *pgCluster) writeDB() string { return c.databases[0] }

// prepareWrites creates the writer's table, as the application role.
func (c *pgCluster) prepareWrites(t testing.TB, leader int) {
	t.Helper()
	if _, err := c.query(leader, true, c.writeDB(),
		"CREATE TABLE IF NOT EXISTS failover_writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"); err != nil {
		t.Fatalf("create the writer's table: %v", err)
	}
}

// missing counts the ids that member i lacks.
func (c *pgCluster) missing(t testing.TB, i int, ids []int64) int {
	t.Helper()
	rows, err := c.query(i, true, c.writeDB(), "SELECT count(*) FROM failover_writes WHERE id = ANY($1)", ids)
	if err != nil {
		t.Fatalf("count rows on member %d: %v", i, err)
	}
	n, _ := strconv.Atoi(rows[0][0])
	return len(ids) - n
}

// ---- client scripts of the chart

// runClientPod runs a rendered one-shot pod (the hook Job, the helm test) as
// a process: its command with its ConfigMap volumes where the test wrote
// them, its env, and the given address overrides. It returns the exit code
// and output.
func (c *pgCluster) runClientPod(t testing.TB, name string, spec corev1.PodSpec, overrides ...string) (int, string) {
	t.Helper()
	ctr := spec.Containers[0]
	argv := onHost(append(append([]string{}, ctr.Command...), ctr.Args...), mountDirs(spec, ctr, c.configMaps))
	env := append(c.podEnv(t, ctr, pod{name: name, ip: "127.0.0.1"}), overrides...)
	logPath := filepath.Join(c.dir, name+".log")
	_ = os.Remove(logPath)
	p := start(c.t, c.dir, name, env, argv...)
	if !p.wait(90 * time.Second) {
		p.kill()
		t.Errorf("%s did not end within 90 s", name)
	}
	out, _ := os.ReadFile(logPath)
	return p.cmd.ProcessState.ExitCode(), string(out)
}

func (c *pgCluster) dumpLogsOnFailure() {
	if !c.t.Failed() {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	sort.Strings(logs)
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		c.t.Logf("--- %s\n%s", filepath.Base(l), strings.Join(lines, "\n"))
	}
	c.t.Logf("--- label patches: %v", c.api.history())
}
