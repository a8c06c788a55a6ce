package standin

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/ports"
)

// The stand-in runs as a real process: built once, installed under each
// program's name, against a real redis-server and PostgreSQL on loopback.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nova-standin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = filepath.Join(dir, "app")
	bin := filepath.Join(binDir, "nova-standin")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/nova-standin").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the stand-in: %v\n%s", err, out)
		os.Exit(1)
	}
	for _, p := range []string{"user-service", "messaging-service", "search-service", "auth-service"} {
		if err := os.Symlink(bin, filepath.Join(binDir, p)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// started is a process of the test, stopped at its end.
func started(t *testing.T, name string, cmd *exec.Cmd) *bytes.Buffer {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return &out
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dialable(addr string) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}

// startRedis runs redis-server with a password; it returns a REDIS_URL.
func startRedis(t *testing.T) string {
	t.Helper()
	need.Command(t, "redis-server", "redis-server")
	port := ports.One(t)
	started(t, "redis-server", exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--requirepass", "redis-pass", "--save", "", "--appendonly", "no", "--dir", t.TempDir()))
	waitFor(t, "redis-server", 10*time.Second, dialable(fmt.Sprintf("127.0.0.1:%d", port)))
	return fmt.Sprintf("redis://:redis-pass@127.0.0.1:%d/0", port)
}

// startPostgres runs a throwaway PostgreSQL 15 (as the postgres user when
// root); it returns a DATABASE_URL.
func startPostgres(t *testing.T) string {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(bin + "/postgres"); err != nil {
		t.Fatal("PostgreSQL 15 is not installed: apt-get install postgresql-15 (bash .ci/run does)")
	}
	dir, err := os.MkdirTemp("", "nova-standin-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var as []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("no postgres user (postgresql-common creates it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		as = []string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--init-groups", "--"}
	}
	run := func(argv ...string) *exec.Cmd {
		argv = append(append([]string{}, as...), argv...)
		return exec.Command(argv[0], argv[1:]...)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("pg-pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := run(bin+"/initdb", "-D", data, "-U", "nova", "--pwfile", pw, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := ports.One(t)
	started(t, "postgres", run(bin+"/postgres", "-D", data, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=", "-c", "fsync=off"))
	waitFor(t, "postgres", 20*time.Second, dialable(fmt.Sprintf("127.0.0.1:%d", port)))
	url := fmt.Sprintf("postgres://nova:pg-pass@127.0.0.1:%d/postgres", port)
	waitFor(t, "postgres accepts logins", 20*time.Second, func() bool {
		c, err := pgx.Connect(context.Background(), url)
		if err == nil {
			c.Close(context.Background())
		}
		return err == nil
	})
	return url
}

// keyPair writes a PKCS#8/PKIX RSA pair as the chart's JWT Job does.
func keyPair(t *testing.T, dir string) (private, public string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	private, public = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	if err := os.WriteFile(private, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(public, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		t.Fatal(err)
	}
	return private, public
}

// program is one run of the stand-in as a program.
type program struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	base string
}

func run(t *testing.T, name string, env map[string]string) *program {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name))
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &program{cmd: cmd, out: started(t, name, cmd)}
	return p
}

// exits waits for the program to end and returns its code.
func (p *program) exits(t *testing.T, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("still running after %s:\n%s", d, p.out)
		return -1
	}
}

func (p *program) listening(t *testing.T, port int) {
	t.Helper()
	p.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, p.cmd.Path+" listens", 20*time.Second, dialable(fmt.Sprintf("127.0.0.1:%d", port)))
}

func (p *program) get(t *testing.T, path string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// userServiceEnv is what the chart gives user-service (ports aside).
func userServiceEnv(t *testing.T, db, redis string, port int) map[string]string {
	t.Helper()
	private, public := keyPair(t, t.TempDir())
	return map[string]string{"APP_HOST": "127.0.0.1", "APP_PORT": strconv.Itoa(port), "APP_ENV": "production", "RUN_MIGRATIONS": "false",
		"DATABASE_URL": db, "REDIS_URL": redis, "JWT_SECRET": "x", "JWT_PRIVATE_KEY_FILE": private, "JWT_PUBLIC_KEY_FILE": public,
		"S3_BUCKET_NAME": "b", "S3_REGION": "r", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "CLOUDFRONT_URL": "https://c",
		"CLICKHOUSE_URL": "http://clickhouse.invalid:8123", "KAFKA_BROKERS": "kafka.invalid:9092"}
}

func without(env map[string]string, drop ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for _, d := range drop {
		delete(out, d)
	}
	return out
}

func with(env map[string]string, kv ...string) map[string]string {
	out := without(env)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// user-service refuses to start as the real one does, and once started it
// serves the real paths, its metrics and its rate limit.
func TestUserService(t *testing.T) {
	db, redis := startPostgres(t), startRedis(t)
	port := ports.One(t)
	env := userServiceEnv(t, db, redis, port)

	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"no S3 bucket":         {without(env, "S3_BUCKET_NAME"), "S3_BUCKET_NAME must be set"},
		"no key pair":          {without(env, "JWT_PRIVATE_KEY_FILE"), "JWT_PRIVATE_KEY_PEM or JWT_PRIVATE_KEY_FILE must be set"},
		"unreadable key file":  {with(env, "JWT_PUBLIC_KEY_FILE", "/nonexistent/public.pem"), "JWT_PUBLIC_KEY_FILE"},
		"keys of two pairs":    {with(env, "JWT_PUBLIC_KEY_FILE", func() string { _, p := keyPair(t, t.TempDir()); return p }()), "not one pair"},
		"PostgreSQL not there": {with(env, "DATABASE_URL", "postgres://nova:x@127.0.0.1:1/nova_auth"), "PostgreSQL at DATABASE_URL"},
		"Redis not there":      {with(env, "REDIS_URL", "redis://127.0.0.1:1/0"), "Redis at REDIS_URL"},
	} {
		t.Run(name, func(t *testing.T) {
			p := run(t, "user-service", c.env)
			if code := p.exits(t, 30*time.Second); code != ExitPanic || !strings.Contains(p.out.String(), c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, ExitPanic, c.want, p.out)
			}
		})
	}

	p := run(t, "user-service", env)
	p.listening(t, port)
	for path, want := range map[string]int{"/api/v1/health": 200, "/api/v1/health/live": 200, "/api/v1/health/ready": 200, "/health": 404, "/ready": 404} {
		if code, body := p.get(t, path); code != want {
			t.Errorf("GET %s: %d %s, want %d", path, code, body, want)
		}
	}
	if code, body := p.get(t, "/metrics"); code != 200 || !strings.Contains(body, "standin_http_requests_total{program=\"user-service\"}") {
		t.Errorf("GET /metrics: %d %s", code, body)
	}
	for seq := 1; seq <= 3; seq++ {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/standin/write?run=r1&seq=%d", p.base, seq), nil)
		if code, body := do(t, req); code != 200 || !strings.Contains(body, `"postgres":"ok"`) || !strings.Contains(body, `"redis":"ok"`) {
			t.Errorf("POST /standin/write: %d %s", code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, p.base+"/standin/write?run=r2&seq=7&target=redis", nil)
	if code, body := do(t, req); code != 200 || strings.Contains(body, "postgres") {
		t.Errorf("POST /standin/write?target=redis: %d %s", code, body)
	}
	for target, want := range map[string]string{"postgres": `{"seqs":[1,2,3]}`, "redis": `{"seqs":[1,2,3]}`} {
		if code, body := p.get(t, "/standin/written?run=r1&target="+target); code != 200 || strings.TrimSpace(body) != want {
			t.Errorf("GET /standin/written of r1 in %s: %d %s, want %s", target, code, body, want)
		}
	}
	if code, body := p.get(t, "/standin/written?run=r2&target=postgres"); code != 200 || strings.TrimSpace(body) != `{"seqs":[]}` {
		t.Errorf("GET /standin/written of r2 in postgres: %d %s, want none", code, body)
	}
	// The test commands run with the program's environment, not as it.
	get := exec.Command(filepath.Join(binDir, "user-service"), ToolCommand, "get", p.base+"/api/v1/health/ready")
	out, err := get.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "HTTP 200\n") || !strings.Contains(string(out), `"redis":"ok"`) {
		t.Errorf("standin get of the readiness path: %v\n%s", err, out)
	}
	get = exec.Command(filepath.Join(binDir, "user-service"), ToolCommand, "get", p.base+"/ready")
	if out, err := get.CombinedOutput(); err == nil || !strings.Contains(string(out), "HTTP 404") {
		t.Errorf("standin get of a path that is not there: %v\n%s, want a failure", err, out)
	}
	// The limiter: 100 requests per client, then 429, also for the probe paths.
	client := []string{"X-Forwarded-For", "192.0.2.7"}
	for i := 0; i < 100; i++ {
		if code, _ := p.get(t, "/api/v1/health", client...); code != 200 {
			t.Fatalf("request %d of the client: %d", i+1, code)
		}
	}
	if code, _ := p.get(t, "/api/v1/health/ready", client...); code != http.StatusTooManyRequests {
		t.Errorf("request 101 of the client: %d, want 429", code)
	}
	if code, _ := p.get(t, "/api/v1/health", "X-Forwarded-For", "192.0.2.8"); code != 200 {
		t.Errorf("another client: %d", code)
	}
	// Graceful: SIGTERM ends it, with status 0.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.exits(t, 35*time.Second); code != 0 || !strings.Contains(p.out.String(), "stopped") {
		t.Errorf("after SIGTERM: exit %d\n%s", code, p.out)
	}
}

// Migrations run when user-service's would (APP_ENV not production and
// RUN_MIGRATIONS not false) and not otherwise; messaging's always.
func TestMigrations(t *testing.T) {
	db, redis := startPostgres(t), startRedis(t)
	count := func() int {
		c, err := pgx.Connect(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		var n int
		if err := c.QueryRow(context.Background(), `SELECT count(*) FROM standin_migrations`).Scan(&n); err != nil {
			return 0
		}
		return n
	}
	for i, c := range []struct {
		env  []string
		name string
		want int
	}{
		{[]string{"APP_ENV", "production", "RUN_MIGRATIONS", "true"}, "user-service", 0},
		{[]string{"APP_ENV", "development", "RUN_MIGRATIONS", "false"}, "user-service", 0},
		{[]string{"APP_ENV", "development", "RUN_MIGRATIONS", "true"}, "user-service", 1},
		{nil, "messaging-service", 2},
	} {
		port := ports.One(t)
		env := userServiceEnv(t, db, redis, port)
		if c.name == "messaging-service" {
			env = map[string]string{"PORT": strconv.Itoa(port), "DATABASE_URL": db, "JWT_PUBLIC_KEY_FILE": env["JWT_PUBLIC_KEY_FILE"], "REDIS_URL": redis}
		}
		p := run(t, c.name, with(env, c.env...))
		p.listening(t, port)
		if got := count(); got != c.want {
			t.Errorf("case %d (%s %v): %d migrations recorded, want %d\n%s", i, c.name, c.env, got, c.want, p.out)
		}
		_ = p.cmd.Process.Kill()
	}
}

// search-service listens on PORT (8081 without it) and exits without a
// Redis; messaging-service needs the public key only.
func TestSearchAndMessaging(t *testing.T) {
	db, redis := startPostgres(t), startRedis(t)
	port := ports.One(t)
	p := run(t, "search-service", map[string]string{"PORT": strconv.Itoa(port), "DATABASE_URL": db})
	if code := p.exits(t, 30*time.Second); code != ExitPanic || !strings.Contains(p.out.String(), "Redis at REDIS_URL") {
		t.Errorf("search-service without REDIS_URL: exit %d\n%s", code, p.out)
	}
	p = run(t, "search-service", map[string]string{"PORT": strconv.Itoa(port), "DATABASE_URL": db, "REDIS_URL": redis})
	p.listening(t, port)
	if code, _ := p.get(t, "/health"); code != 200 {
		t.Errorf("search-service /health: %d", code)
	}

	_, public := keyPair(t, t.TempDir())
	port = ports.One(t)
	m := run(t, "messaging-service", map[string]string{"PORT": strconv.Itoa(port), "DATABASE_URL": db, "REDIS_URL": redis, "APNS_CERTIFICATE_PATH": "/x"})
	if code := m.exits(t, 30*time.Second); code != ExitPanic || !strings.Contains(m.out.String(), "JWT_PUBLIC_KEY_PEM or JWT_PUBLIC_KEY_FILE must be set") {
		t.Errorf("messaging-service without a public key: exit %d\n%s", code, m.out)
	}
	m = run(t, "messaging-service", map[string]string{"PORT": strconv.Itoa(port), "DATABASE_URL": db, "JWT_PUBLIC_KEY_FILE": public, "APNS_CERTIFICATE_PATH": "/x"})
	if code := m.exits(t, 30*time.Second); code != ExitPanic || !strings.Contains(m.out.String(), "APNS_BUNDLE_ID") {
		t.Errorf("messaging-service with an APNs certificate and no bundle id: exit %d\n%s", code, m.out)
	}
	m = run(t, "messaging-service", map[string]string{"PORT": strconv.Itoa(port), "DATABASE_URL": db, "JWT_PUBLIC_KEY_FILE": public})
	m.listening(t, port)
	if code, _ := m.get(t, "/health"); code != 200 {
		t.Errorf("messaging-service /health: %d", code)
	}
	if code, _ := m.get(t, "/metrics"); code != 404 {
		t.Errorf("messaging-service serves Prometheus metrics (%d); the real one answers JSON", code)
	}
	// Not PID 1 here: SIGTERM ends it at once, as shareProcessNamespace makes it in a pod.
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	if code := m.exits(t, 5*time.Second); code == 0 {
		t.Errorf("messaging-service has no graceful stop, but exited 0 on SIGTERM")
	}
}

func TestUnknownProgram(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(binDir, "nova-standin"), filepath.Join(dir, "feed-service")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "feed-service")).CombinedOutput()
	var exit *exec.ExitError
	if !errorsAs(err, &exit) || exit.ExitCode() != ExitUsage || !strings.Contains(string(out), `"feed-service" is no program of the contract`) {
		t.Errorf("unknown program: %v\n%s", err, out)
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// The Sentinel-aware client of `standin sentinel`: given only a Sentinel's
// address and the master name, it finds the master and writes through it.
func TestSentinelClient(t *testing.T) {
	need.Command(t, "redis-sentinel", "redis-sentinel")
	url := startRedis(t)
	redisPort := url[strings.LastIndex(url, ":")+1 : strings.LastIndex(url, "/")]
	port := ports.One(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	err := os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\nrequirepass redis-pass\n"+
		"sentinel monitor nova 127.0.0.1 %s 1\nsentinel auth-pass nova redis-pass\n", port, redisPort)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	started(t, "redis-sentinel", exec.Command("redis-sentinel", conf))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, "redis-sentinel", 10*time.Second, dialable(addr))
	cmd := exec.Command(filepath.Join(binDir, "messaging-service"), ToolCommand, "sentinel", addr, "nova")
	cmd.Env = []string{"REDIS_URL=" + url}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "master 127.0.0.1:"+redisPort+"\n") || !strings.Contains(string(out), "through the failover client: ok") {
		t.Errorf("standin sentinel: %v\n%s", err, out)
	}
	cmd = exec.Command(filepath.Join(binDir, "messaging-service"), ToolCommand, "sentinel", addr, "other")
	cmd.Env = []string{"REDIS_URL=" + url}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "get-master-addr-by-name other") {
		t.Errorf("standin sentinel of an unknown master: %v\n%s, want a failure naming it", err, out)
	}
	cmd = exec.Command(filepath.Join(binDir, "messaging-service"), ToolCommand, "sentinel")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "usage:") {
		t.Errorf("standin sentinel without arguments: %v\n%s, want the usage", err, out)
	}
}
