// Package standin is a stand-in for the Nova services, for the proving
// grounds: a test fixture, not the Nova services. One binary plays every
// program of tests/contract/services-contract.yaml, the one its file is
// named after (/app/user-service plays user-service), as that program's
// code behaves at start and at its HTTP edge:
//
//   - it exits (status 101, as a Rust panic) when a variable the program
//     requires is missing, when a JWT key it needs does not parse or the pair
//     does not match, or when PostgreSQL or Redis, where the program needs
//     them at start, do not answer;
//   - it migrates (a table standin_migrations) when the program would;
//   - it listens on the port variable the program reads and serves its
//     health, liveness and readiness paths (readiness checks DATABASE_URL
//     and REDIS_URL for real), its Prometheus metrics where it has them, and
//     the rate limit in front of every route where the program has one;
//   - it stops as the program does: gracefully, or, as PID 1 without a
//     handler, not at all on SIGTERM.
//
// It also serves POST /standin/write, one write through a new connection to
// PostgreSQL and to Redis each, and GET /standin/written, for failover
// measurements; and, run as `<program> standin <command>`, the test
// commands of tools.go (no Nova program has arguments).
package standin

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/nova-platform/nova/tests/contract"
)

// Exit codes.
const (
	ExitPanic = 101 // what a Rust panic exits with: the program refused to start
	ExitUsage = 2
)

// Env is the process environment as a lookup.
type Env func(string) (string, bool)

// Main runs the program named by args[0] and returns its exit code.
func Main(args []string, env Env, stdout, stderr io.Writer) int {
	c, err := contract.Load()
	if err != nil {
		fmt.Fprintln(stderr, "nova-standin:", err)
		return ExitUsage
	}
	name := filepath.Base(args[0])
	if len(args) > 1 && args[1] == ToolCommand {
		return tool(args[2:], env, stdout, stderr)
	}
	p, ok := c.Programs[name]
	if !ok {
		fmt.Fprintf(stderr, "nova-standin: %q is no program of the contract: install the binary as /app/<program>\n", name)
		return ExitUsage
	}
	s := &server{name: name, p: p, env: env, log: stdout}
	if err := s.start(); err != nil {
		fmt.Fprintf(stderr, "thread 'main' panicked: %s: %v\n", name, err)
		return ExitPanic
	}
	return s.serve()
}

type server struct {
	name     string
	p        contract.Program
	env      Env
	log      io.Writer
	requests atomic.Int64
	listener net.Listener
}

func (s *server) get(name string) string {
	v, _ := s.env(name)
	return v
}

// start does what the program does before it listens.
func (s *server) start() error {
	for _, alternatives := range s.p.Required {
		if !s.anySet(alternatives) {
			return fmt.Errorf("%s must be set", strings.Join(alternatives, " or "))
		}
	}
	for trigger, needs := range s.p.RequiredWith {
		if s.get(trigger) != "" && !s.anySet(needs) {
			return fmt.Errorf("%s is set, so %s must be", trigger, strings.Join(needs, " and "))
		}
	}
	if err := s.checkJWTKeys(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if contract.Matches(s.p.ReachableAtStart, "postgresql") {
		if err := pingPostgres(ctx, s.get("DATABASE_URL")); err != nil {
			return fmt.Errorf("PostgreSQL at DATABASE_URL: %w", err)
		}
	}
	if contract.Matches(s.p.ReachableAtStart, "redis") {
		if err := pingRedis(ctx, s.redisURL()); err != nil {
			return fmt.Errorf("Redis at REDIS_URL: %w", err)
		}
	} else if u := s.get("REDIS_URL"); u != "" {
		if _, err := redis.ParseURL(u); err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
	}
	if s.p.MigratesAt(s.env) {
		if err := s.migrate(ctx); err != nil {
			// As user-service and messaging-service do: logged, not fatal.
			fmt.Fprintf(s.log, "%s: migrations failed: %v\n", s.name, err)
		} else {
			fmt.Fprintf(s.log, "%s: migrations applied\n", s.name)
		}
	}
	port := s.p.Listen.DefaultPort
	if v, err := strconv.Atoi(s.get(s.p.Listen.PortEnv)); err == nil {
		port = v
	}
	host := "0.0.0.0"
	if s.p.Listen.HostEnv != "" && s.get(s.p.Listen.HostEnv) != "" {
		host = s.get(s.p.Listen.HostEnv)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	s.listener = l
	return nil
}

func (s *server) anySet(names []string) bool {
	for _, n := range names {
		if s.get(n) != "" {
			return true
		}
	}
	return false
}

// redisURL is REDIS_URL, or the programs' default when unset.
func (s *server) redisURL() string {
	if u := s.get("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379"
}

// checkJWTKeys: where the program needs a JWT key (a required
// JWT_*_KEY_PEM / _FILE pair of alternatives), the PEM or the file it names
// must hold an RSA key; with both halves, they must be one pair.
func (s *server) checkJWTKeys() error {
	var private *rsa.PrivateKey
	var public *rsa.PublicKey
	for _, alternatives := range s.p.Required {
		for _, half := range []string{"PRIVATE", "PUBLIC"} {
			if !contract.Matches(alternatives, "JWT_"+half+"_KEY_PEM") {
				continue
			}
			data, err := s.pem("JWT_" + half + "_KEY")
			if err != nil {
				return err
			}
			if half == "PRIVATE" {
				if private, err = parsePrivate(data); err != nil {
					return fmt.Errorf("JWT private key: %w", err)
				}
			} else if public, err = parsePublic(data); err != nil {
				return fmt.Errorf("JWT public key: %w", err)
			}
		}
	}
	if private != nil && public != nil {
		digest := sha256.Sum256([]byte("nova-standin"))
		sig, err := rsa.SignPKCS1v15(rand.Reader, private, crypto.SHA256, digest[:])
		if err == nil {
			err = rsa.VerifyPKCS1v15(public, crypto.SHA256, digest[:], sig)
		}
		if err != nil {
			return fmt.Errorf("the JWT private and public keys are not one pair: %w", err)
		}
	}
	return nil
}

// pem reads <prefix>_FILE when set (it wins, as in user-service), else <prefix>_PEM.
func (s *server) pem(prefix string) ([]byte, error) {
	if f := s.get(prefix + "_FILE"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s_FILE: %w", prefix, err)
		}
		return data, nil
	}
	return []byte(s.get(prefix + "_PEM")), nil
}

func parsePrivate(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not RSA", k)
	}
	return rk, nil
}

func parsePublic(data []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PublicKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not RSA", k)
	}
	return rk, nil
}

func pingPostgres(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

func pingRedis(ctx context.Context, url string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	opt.MaxRetries = -1
	opt.ContextTimeoutEnabled = true // the caller's deadline bounds every read and write
	c := redis.NewClient(opt)
	defer c.Close()
	return c.Ping(ctx).Err()
}

func (s *server) migrate(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.get("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS standin_migrations (program text NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO standin_migrations (program) VALUES ($1)`, s.name)
	return err
}

// serve answers HTTP until the program would stop, and returns the exit code.
func (s *server) serve() int {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+s.p.Health, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "OK") })
	if path := s.p.Probes["liveness"]; path != "" && path != s.p.Health {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]bool{"alive": true}) })
	}
	if path := s.p.Probes["readiness"]; path != "" && path != s.p.Health {
		mux.HandleFunc("GET "+path, s.ready)
	}
	if s.p.Metrics != "" {
		mux.HandleFunc("GET "+s.p.Metrics, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprintf(w, "# TYPE standin_http_requests_total counter\nstandin_http_requests_total{program=%q} %d\n", s.name, s.requests.Load())
		})
	}
	mux.HandleFunc("GET /standin/ready", s.ready)
	mux.HandleFunc("POST /standin/write", s.write)
	mux.HandleFunc("GET /standin/written", s.written)
	var handler http.Handler = mux
	if s.p.RateLimit != nil {
		handler = s.rateLimited(mux)
	}
	srv := &http.Server{Handler: s.counted(handler), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(s.log, "%s (nova-standin) listens on %s\n", s.name, s.listener.Addr())

	stop := make(chan os.Signal, 1)
	if s.p.Sigterm.Graceful {
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	} else if os.Getpid() == 1 {
		// The program installs no handler, and the kernel drops SIGTERM to a
		// PID 1 without one. (The Go runtime has a handler; mimic the program.)
		signal.Ignore(syscall.SIGTERM)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(s.listener) }()
	select {
	case err := <-served:
		fmt.Fprintf(s.log, "%s: %v\n", s.name, err)
		return 1
	case sig := <-stop:
		fmt.Fprintf(s.log, "%s: %s, stopping gracefully\n", s.name, sig)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return 1
		}
		fmt.Fprintf(s.log, "%s: stopped\n", s.name)
		return 0
	}
}

func (s *server) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h.ServeHTTP(w, r)
	})
}

// ready checks the program's database and Redis for real.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if url := s.get("DATABASE_URL"); url != "" {
		checks["postgresql"] = result(pingPostgres(ctx, url), &ok)
	}
	if url := s.get("REDIS_URL"); url != "" {
		checks["redis"] = result(pingRedis(ctx, url), &ok)
	}
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"program": s.name, "ready": ok, "checks": checks})
}

func result(err error, ok *bool) string {
	if err != nil {
		*ok = false
		return err.Error()
	}
	return "ok"
}

// write: one row through a new PostgreSQL connection and one set member
// through a new Redis connection (?target=postgres or redis for one of
// them), each labelled with the caller's ?run= and ?seq= so that
// GET /standin/written can tell which acknowledged writes survived.
func (s *server) write(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	q := r.URL.Query()
	target, run := q.Get("target"), q.Get("run")
	seq, _ := strconv.ParseInt(q.Get("seq"), 10, 64)
	out := map[string]string{}
	ok := true
	if target == "" || target == "postgres" {
		out["postgres"] = result(s.writePostgres(ctx, run, seq), &ok)
	}
	if target == "" || target == "redis" {
		out["redis"] = result(s.writeRedis(ctx, run, seq), &ok)
	}
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, out)
}

const writesTable = `CREATE TABLE IF NOT EXISTS standin_writes (id bigserial PRIMARY KEY, program text NOT NULL,
	run text NOT NULL DEFAULT '', seq bigint NOT NULL DEFAULT 0, at timestamptz NOT NULL DEFAULT now())`

func (s *server) writePostgres(ctx context.Context, run string, seq int64) error {
	conn, err := pgx.Connect(ctx, s.get("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, writesTable); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO standin_writes (program, run, seq) VALUES ($1, $2, $3)`, s.name, run, seq)
	return err
}

// redisWrites is the set of a run's writes in Redis.
func (s *server) redisWrites(run string) string { return "standin:writes:" + s.name + ":" + run }

func (s *server) writeRedis(ctx context.Context, run string, seq int64) error {
	c, err := s.redisClient()
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SAdd(ctx, s.redisWrites(run), seq).Err()
}

func (s *server) redisClient() (*redis.Client, error) {
	opt, err := redis.ParseURL(s.redisURL())
	if err != nil {
		return nil, err
	}
	opt.MaxRetries = -1
	opt.ContextTimeoutEnabled = true // the caller's deadline bounds every read and write
	return redis.NewClient(opt), nil
}

// written answers GET /standin/written?target=postgres|redis&run=R with
// the seq of every write of run R that the database holds.
func (s *server) written(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	q := r.URL.Query()
	run := q.Get("run")
	seqs := []int64{}
	var err error
	switch q.Get("target") {
	case "postgres":
		seqs, err = s.writtenPostgres(ctx, run)
	case "redis":
		var c *redis.Client
		if c, err = s.redisClient(); err == nil {
			defer c.Close()
			var members []string
			members, err = c.SMembers(ctx, s.redisWrites(run)).Result()
			for _, m := range members {
				n, _ := strconv.ParseInt(m, 10, 64)
				seqs = append(seqs, n)
			}
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "target must be postgres or redis"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	writeJSON(w, http.StatusOK, map[string]any{"seqs": seqs})
}

func (s *server) writtenPostgres(ctx context.Context, run string) ([]int64, error) {
	conn, err := pgx.Connect(ctx, s.get("DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, writesTable); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `SELECT seq FROM standin_writes WHERE program = $1 AND run = $2`, s.name, run)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// rateLimited is the program's limiter in front of every route: per client
// key (the first X-Forwarded-For entry, else the peer IP) a counter in Redis;
// over the limit, 429; every allowed request renews the window; on a Redis
// error the request passes.
func (s *server) rateLimited(h http.Handler) http.Handler {
	opt, err := redis.ParseURL(s.redisURL())
	if err != nil {
		return h
	}
	opt.MaxRetries = -1
	opt.ContextTimeoutEnabled = true // the caller's deadline bounds every read and write
	c := redis.NewClient(opt)
	limit, window := int64(s.p.RateLimit.Requests), time.Duration(s.p.RateLimit.WindowSeconds)*time.Second
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "rate_limit:ip:" + clientIP(r)
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		count, err := c.Get(ctx, key).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			h.ServeHTTP(w, r)
			return
		}
		if count >= limit {
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			return
		}
		_ = c.Set(ctx, key, count+1, window).Err()
		h.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		return strings.TrimSpace(strings.Split(xff, ",")[0])
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
