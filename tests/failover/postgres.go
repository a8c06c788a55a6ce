package failover

// The PostgreSQL half of the proving ground: the postgres-ha chart's render
// (patroni.yml, the ensure SQL, the callback and hook scripts, the etcd
// flags) run unchanged as Debian's etcd, Patroni and PostgreSQL processes.
//
// How a render becomes processes:
//   - The chart is rendered with a profile and patroni.configDir set to a
//     directory of the test (the value that says where the ConfigMap is
//     mounted); the patroni ConfigMap plus ensure.sql are written there with
//     the projected volume's mode, as the pod sees them.
//   - Each container's env is taken as the kubelet would build it: fieldRefs
//     from the pod's identity (name, namespace, pod IP = the member's loopback
//     address), secretKeyRefs from the rendered Secret, $(VAR) expanded. The
//     test then overrides only addresses (listen addresses, DNS names of the
//     etcd members, which it resolves itself) and directories (data dirs,
//     pgpass), through the PATRONI_*/ETCD_* env the chart documents.
//   - Member i of PostgreSQL listens on base+11+i (PostgreSQL 5432, Patroni
//     8008), etcd member i on base+21+i (2379/2380), base being a random
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
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	dns       map[string]string // rendered DNS names of the etcd members -> addresses

	pg          corev1.Container // the rendered postgres container
	etcdC       corev1.Container // the rendered etcd container
	podLabels   map[string]string
	pgPort      string
	restPort    string
	readiness   string // Patroni readiness path of the rendered probe
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

	// The config volume: the patroni ConfigMap and ensure.sql, as projected.
	patroniCM := render.Get[*corev1.ConfigMap](t, m, "nova-postgres-ha-patroni")
	ensureCM := render.Get[*corev1.ConfigMap](t, m, "nova-postgres-ha-ensure")
	mode := os.FileMode(0o555)
	for _, v := range pgSet.Spec.Template.Spec.Volumes {
		if v.Name == "config" && v.Projected != nil && v.Projected.DefaultMode != nil {
			mode = os.FileMode(*v.Projected.DefaultMode)
		}
	}
	writeFiles(t, configDir, patroniCM.Data, mode)
	writeFiles(t, configDir, map[string]string{"ensure.sql": ensureCM.Data["ensure.sql"]}, mode)
	// The hook Job's and helm test's scripts volume: the ensure ConfigMap.
	writeFiles(t, filepath.Join(c.dir, "ensure"), ensureCM.Data, 0o644)
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
	c.dns = map[string]string{}
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

func writeFiles(t *testing.T, dir string, files map[string]string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

func containerPort(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	t.Fatalf("container %s has no port %q", c.Name, name)
	return ""
}

func envValue(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value
		}
	}
	t.Fatalf("container %s has no literal env %s", c.Name, name)
	return ""
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

// secretValue is one key of one of the rendered Secrets.
func secretValue(t testing.TB, secrets map[string]*corev1.Secret, ref *corev1.SecretKeySelector) string {
	t.Helper()
	s, ok := secrets[ref.Name]
	if !ok {
		t.Fatalf("env refers to Secret %s, which the render lacks", ref.Name)
	}
	v, ok := s.Data[ref.Key]
	if !ok {
		v2, ok2 := s.StringData[ref.Key]
		if !ok2 {
			t.Fatalf("Secret %s has no key %s", ref.Name, ref.Key)
		}
		return v2
	}
	return string(v)
}

// pod is what the kubelet knows of a pod and a container's env may refer to.
type pod struct{ name, ip string }

// podEnv is a container's rendered env as the kubelet builds it (kubeletEnv)
// with this cluster's namespace and rendered Secrets.
func (c *pgCluster) podEnv(t testing.TB, ctr corev1.Container, p pod) []string {
	t.Helper()
	return kubeletEnv(t, ctr, p, c.ns, c.secrets)
}

// kubeletEnv is a container's rendered env as the kubelet builds it:
// fieldRefs from the pod, secretKeyRefs from the given Secrets, $(VAR)
// references to earlier variables expanded.
func kubeletEnv(t testing.TB, ctr corev1.Container, p pod, ns string, secrets map[string]*corev1.Secret) []string {
	t.Helper()
	vars := map[string]string{}
	var env []string
	for _, e := range ctr.Env {
		v := e.Value
		switch {
		case e.ValueFrom == nil:
			v = expandVars(v, vars)
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = p.name
			case "metadata.namespace":
				v = ns
			case "status.podIP":
				v = p.ip
			default:
				t.Fatalf("env %s: field %s is not known to the harness", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		case e.ValueFrom.SecretKeyRef != nil:
			v = secretValue(t, secrets, e.ValueFrom.SecretKeyRef)
		default:
			t.Fatalf("env %s: source %+v is not known to the harness", e.Name, e.ValueFrom)
		}
		vars[e.Name] = v
		env = append(env, e.Name+"="+v)
	}
	return env
}

// expandVars expands $(NAME) as Kubernetes does: defined names only, $$ escapes.
func expandVars(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := vars[name]; ok {
					b.WriteString(v)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// resolve replaces the rendered DNS names of the etcd members by their
// addresses: the test is the cluster's DNS.
func (c *pgCluster) resolve(s string) string {
	for name, ip := range c.dns {
		s = strings.ReplaceAll(s, name, ip)
	}
	return s
}

// withHost replaces the host of a rendered host:port (0.0.0.0, *) by host.
func withHost(hostPort, host string) string {
	_, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return hostPort
	}
	return net.JoinHostPort(host, port)
}

func (c *pgCluster) memberDir(i int) string { return filepath.Join(c.dir, fmt.Sprintf("member-%d", i)) }
func (c *pgCluster) dataDir(i int) string   { return filepath.Join(c.memberDir(i), "data") }

// ---- etcd

func (c *pgCluster) etcdEnv(i int) []string {
	env := c.podEnv(c.t, c.etcdC, pod{name: c.etcdNames[i], ip: c.etcdHosts[i]})
	for j, kv := range env {
		env[j] = c.resolve(kv) // advertised and initial-cluster URLs name members by DNS
	}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "ETCD_LISTEN_PEER_URLS", "ETCD_LISTEN_CLIENT_URLS":
			// Each member its own address instead of 0.0.0.0 (same ports).
			env = append(env, name+"="+strings.ReplaceAll(value, "0.0.0.0", c.etcdHosts[i]))
		}
	}
	return append(env, "ETCD_DATA_DIR="+filepath.Join(c.dir, fmt.Sprintf("etcd-%d", i), "data"))
}

// startEtcd starts etcd member i with the rendered flags (env).
func (c *pgCluster) startEtcd(i int) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Join(c.dir, fmt.Sprintf("etcd-%d", i)), 0o700); err != nil {
		c.t.Fatal(err)
	}
	argv := append([]string{filepath.Base(c.etcdC.Command[0])}, c.etcdC.Command[1:]...)
	argv = append(argv, c.etcdC.Args...)
	c.etcd[i] = start(c.t, c.dir, fmt.Sprintf("etcd-%d", i), c.etcdEnv(i), argv...)
}

func (c *pgCluster) killEtcd(i int) { c.etcd[i].kill() }

func (c *pgCluster) etcdRunning(i int) bool { return c.etcd[i] != nil && !c.etcd[i].exited() }

// etcdHealthy: the running members answer /health with a leader.
func (c *pgCluster) etcdHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	err := eventually(timeout, 200*time.Millisecond, func() error {
		for i := range c.etcdHosts {
			if !c.etcdRunning(i) {
				continue
			}
			var h struct{ Health string }
			if err := c.getJSON("http://"+net.JoinHostPort(c.etcdHosts[i], "2379")+"/health", &h); err != nil {
				return fmt.Errorf("etcd %d: %w", i, err)
			}
			if h.Health != "true" {
				return fmt.Errorf("etcd %d: health %q", i, h.Health)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("etcd not healthy: %v", err)
	}
}

// etcdLeader is the member that is etcd's Raft leader, -1 when unknown.
func (c *pgCluster) etcdLeader() int {
	for i := range c.etcdHosts {
		if !c.etcdRunning(i) {
			continue
		}
		var st struct {
			Header struct {
				MemberID string `json:"member_id"`
			} `json:"header"`
			Leader string `json:"leader"`
		}
		resp, err := c.http.Post("http://"+net.JoinHostPort(c.etcdHosts[i], "2379")+"/v3/maintenance/status", "application/json", strings.NewReader("{}"))
		if err != nil {
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err == nil && st.Leader != "" && st.Header.MemberID == st.Leader {
			return i
		}
	}
	return -1
}

// ---- Patroni and PostgreSQL

// memberEnv is the rendered env of member i's pod plus what differs on one
// host: listen addresses, etcd addresses, data directory and pgpass, and the
// fake Kubernetes API of the role-label callback.
func (c *pgCluster) memberEnv(i int) []string {
	env := c.podEnv(c.t, c.pg, pod{name: c.names[i], ip: c.hosts[i]})
	var etcdHosts []string
	for _, h := range c.patroniConf.Etcd3.Hosts {
		etcdHosts = append(etcdHosts, c.resolve(h))
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

// ---- the writer

// pgAck is one write that PostgreSQL acknowledged (committed).
type pgAck struct {
	id     int64
	at     time.Time
	member int
}

// pgWriter is an application: it writes one row at a time through the
// primary Service as the application role, reconnecting after an error,
// and records every acknowledged id.
type pgWriter struct {
	c      *pgCluster
	stopCh chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	acks   []pgAck
	failed int
}

func (c *pgCluster) startWriter() *pgWriter {
	w := &pgWriter{c: c, stopCh: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *pgWriter) run() {
	defer close(w.done)
	var conn *pgx.Conn
	member := -1
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-w.stopCh:
			return
		default:
		}
		if conn == nil {
			eps := w.c.endpoints("primary")
			if len(eps) == 0 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			member = eps[mrand.IntN(len(eps))]
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			var err error
			conn, err = w.c.conn(ctx, member, true, w.c.writeDB())
			cancel()
			if err != nil {
				conn = nil
				w.fail()
				time.Sleep(20 * time.Millisecond)
				continue
			}
		}
		id := w.c.nextID.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := conn.Exec(ctx, "INSERT INTO failover_writes (id) VALUES ($1)", id)
		cancel()
		if err != nil {
			conn.Close(context.Background())
			conn = nil
			w.fail()
			continue
		}
		w.mu.Lock()
		w.acks = append(w.acks, pgAck{id: id, at: time.Now(), member: member})
		w.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *pgWriter) fail() { w.mu.Lock(); w.failed++; w.mu.Unlock() }

// firstAck waits (bounded) for the first write acknowledged after t0 by a
// member other than not.
func (w *pgWriter) firstAck(t0 time.Time, not int, timeout time.Duration) (pgAck, bool) {
	var found pgAck
	err := eventually(timeout, 10*time.Millisecond, func() error {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, a := range w.acks {
			if a.at.After(t0) && a.member != not {
				found = a
				return nil
			}
		}
		return errors.New("no write yet")
	})
	return found, err == nil
}

// stop ends the writer and returns the acknowledged ids and the longest
// time without an acknowledged write.
func (w *pgWriter) stop() (ids []int64, gap time.Duration, failed int) {
	close(w.stopCh)
	<-w.done
	for j, a := range w.acks {
		ids = append(ids, a.id)
		if j > 0 && a.at.Sub(w.acks[j-1].at) > gap {
			gap = a.at.Sub(w.acks[j-1].at)
		}
	}
	return ids, gap, w.failed
}

// ---- scenarios (the tests and the benchmark run these)

// pgFailover is one measured failover.
type pgFailover struct {
	old, leader int
	recovery    time.Duration // fault to the first write acknowledged by the new leader
	gap         time.Duration // longest time without an acknowledged write
	acked, lost int
	failed      int // writes refused or connections failed meanwhile
}

// bootstrap starts etcd and all members at once (as the StatefulSets do
// with Parallel pod management) and waits for a stable cluster.
func (c *pgCluster) bootstrap(t testing.TB) int {
	t.Helper()
	for i := range c.etcdHosts {
		c.startEtcd(i)
	}
	c.etcdHealthy(t, 30*time.Second)
	started := time.Now()
	for i := range c.hosts {
		c.startMember(i)
	}
	c.waitReplicasCloned(t, 120*time.Second)
	leader := c.stable(t, 60*time.Second)
	t.Logf("PostgreSQL bootstrap: one leader and %d streaming replicas %.1f s after start", len(c.hosts)-1, time.Since(started).Seconds())
	c.prepareWrites(t, leader)
	return leader
}

// waitReplicasCloned waits until no member is still being cloned from the
// leader (patroni.yml asks pg_basebackup for a fast checkpoint: seconds).
func (c *pgCluster) waitReplicasCloned(t testing.TB, timeout time.Duration) {
	t.Helper()
	err := eventually(timeout, 200*time.Millisecond, func() error {
		leader, cloning := -1, false
		for i := range c.hosts {
			s, err := c.status(i)
			if err != nil {
				return fmt.Errorf("member %d: %w", i, err)
			}
			if s.leader() && s.State == "running" {
				leader = i
			}
			if s.State == "creating replica" || s.State == "stopped" || s.State == "starting" {
				cloning = true
			}
		}
		if leader < 0 || !cloning {
			if leader < 0 {
				return errors.New("no leader yet")
			}
			return nil
		}
		return errors.New("replicas are being cloned")
	})
	if err != nil {
		t.Fatalf("replicas not cloned: %v", err)
	}
}

// failLeader runs a writer, applies fault to the leader and measures: the
// time to the first write acknowledged by a new leader, and the acknowledged
// rows the new leader lacks.
func (c *pgCluster) failLeader(t testing.TB, fault func(leader int)) pgFailover {
	t.Helper()
	old := c.stable(t, 60*time.Second)
	w := c.startWriter()
	if _, ok := w.firstAck(time.Now(), -1, 10*time.Second); !ok {
		w.stop()
		t.Fatal("the writer cannot write before the fault")
	}
	time.Sleep(2 * time.Second)
	faulted := time.Now()
	fault(old)
	first, ok := w.firstAck(faulted, old, 60*time.Second)
	time.Sleep(500 * time.Millisecond)
	ids, gap, failed := w.stop()
	if !ok {
		t.Fatalf("no write acknowledged by a new leader within 60 s of the fault (%d acknowledged before)", len(ids))
	}
	r := pgFailover{old: old, recovery: first.at.Sub(faulted), gap: gap, acked: len(ids), failed: failed}
	r.leader = c.stable(t, 60*time.Second)
	if r.leader == old {
		t.Fatalf("member %d is still the leader", old)
	}
	r.lost = c.missing(t, r.leader, ids)
	return r
}

// killLeader: SIGKILL to the leader's Patroni and PostgreSQL.
func (c *pgCluster) killLeader(t testing.TB) pgFailover {
	return c.failLeader(t, c.killMember)
}

// stopLeader: the leader's pod is deleted (SIGTERM to Patroni).
func (c *pgCluster) stopLeader(t testing.TB) pgFailover {
	return c.failLeader(t, c.stopMember)
}

// rejoin restarts a stopped member and waits until it streams from the
// leader; it returns the time that took and the member's log of this start.
func (c *pgCluster) rejoin(t testing.TB, i int) (time.Duration, string) {
	t.Helper()
	logPath := filepath.Join(c.dir, fmt.Sprintf("patroni-%d.log", i))
	var offset int64
	if st, err := os.Stat(logPath); err == nil {
		offset = st.Size()
	}
	started := time.Now()
	c.startMember(i)
	leader := c.stable(t, 90*time.Second)
	took := time.Since(started)
	if leader == i {
		t.Errorf("restarted member %d came back as the leader", i)
	}
	data, _ := os.ReadFile(logPath)
	if int64(len(data)) >= offset {
		data = data[offset:]
	}
	return took, string(data)
}

// ---- client scripts of the chart

// runClientPod runs a rendered one-shot pod (the hook Job, the helm test) as
// a process: its command with the scripts volume at c.dir/ensure, its env,
// and the given address overrides. It returns the exit code and output.
func (c *pgCluster) runClientPod(t testing.TB, name string, spec corev1.PodSpec, overrides ...string) (int, string) {
	t.Helper()
	ctr := spec.Containers[0]
	argv := append(append([]string{}, ctr.Command...), ctr.Args...)
	for _, m := range ctr.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == "nova-postgres-ha-ensure" {
				for j, a := range argv {
					if strings.HasPrefix(a, m.MountPath+"/") {
						argv[j] = filepath.Join(c.dir, "ensure", strings.TrimPrefix(a, m.MountPath+"/"))
					}
				}
			}
		}
	}
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

// ---- the fake Kubernetes API of the role-label callback

// kubeAPI answers the pod PATCHes of role-label.sh over TLS and records the
// labels of each pod; anything else is refused and recorded as an error.
type kubeAPI struct {
	srv              *httptest.Server
	saDir            string
	token, namespace string
	mu               sync.Mutex
	podLabels        map[string]map[string]string
	patches          []labelPatch
	errors           []string
}

type labelPatch struct {
	Pod, Label, Value string
	At                time.Time
}

func (p labelPatch) String() string { return fmt.Sprintf("%s %s=%s", p.Pod, p.Label, p.Value) }

func newKubeAPI(t *testing.T, saDir, namespace string) *kubeAPI {
	t.Helper()
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	a := &kubeAPI{saDir: saDir, token: hex.EncodeToString(tok), namespace: namespace, podLabels: map[string]map[string]string{}}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	writeFiles(t, saDir, map[string]string{"token": a.token, "ca.crt": string(ca), "namespace": namespace}, 0o644)
	return a
}

func (a *kubeAPI) serve(w http.ResponseWriter, r *http.Request) {
	refuse := func(code int, format string, args ...any) {
		a.mu.Lock()
		a.errors = append(a.errors, fmt.Sprintf("%s %s: ", r.Method, r.URL.Path)+fmt.Sprintf(format, args...))
		a.mu.Unlock()
		http.Error(w, "refused", code)
	}
	prefix := "/api/v1/namespaces/" + a.namespace + "/pods/"
	podName := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Header.Get("Authorization") != "Bearer "+a.token:
		refuse(http.StatusUnauthorized, "bad token")
		return
	case r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, prefix) || podName == "" || strings.Contains(podName, "/"):
		refuse(http.StatusNotFound, "not a pod patch")
		return
	case r.Header.Get("Content-Type") != "application/merge-patch+json":
		refuse(http.StatusUnsupportedMediaType, "content type %q", r.Header.Get("Content-Type"))
		return
	}
	var patch struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&patch); err != nil || len(patch.Metadata.Labels) == 0 {
		refuse(http.StatusBadRequest, "body: %v", err)
		return
	}
	a.mu.Lock()
	if a.podLabels[podName] == nil {
		a.podLabels[podName] = map[string]string{}
	}
	for k, v := range patch.Metadata.Labels {
		a.podLabels[podName][k] = v
		a.patches = append(a.patches, labelPatch{Pod: podName, Label: k, Value: v, At: time.Now()})
	}
	labels, _ := json.Marshal(a.podLabels[podName])
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":%q,"namespace":%q,"labels":%s}}`, podName, a.namespace, labels)
}

func (a *kubeAPI) labels(podName string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]string{}
	for k, v := range a.podLabels[podName] {
		out[k] = v
	}
	return out
}

func (a *kubeAPI) history() []labelPatch {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]labelPatch(nil), a.patches...)
}

func (a *kubeAPI) refused() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.errors...)
}
