package failover

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The etcd members of the postgres-ha render (Patroni's DCS), run with
// the rendered flags (env) on their own loopback addresses.

func (c *pgCluster) etcdEnv(i int) []string {
	env := c.podEnv(c.t, c.etcdC, pod{name: c.etcdNames[i], ip: c.etcdHosts[i]})
	for j, kv := range env {
		env[j] = c.dns.resolve(kv) // advertised and initial-cluster URLs name members by DNS
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
			if err := c.getJSON("http://"+net.JoinHostPort(c.etcdHosts[i], c.etcdPort)+"/health", &h); err != nil {
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
		resp, err := c.http.Post("http://"+net.JoinHostPort(c.etcdHosts[i], c.etcdPort)+"/v3/maintenance/status", "application/json", strings.NewReader("{}"))
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
