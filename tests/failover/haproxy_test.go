package failover

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The chart's rendered HAProxy in front of three members that speak just
// enough RESP for its check (AUTH, PING, INFO replication, QUIT) and answer
// WHO with their name: so the test sees where each client connection lands.
// Member 2 accepts and never answers, as a member that is stopping.
func TestHAProxyFollowsTheMaster(t *testing.T) {
	c := newRedisCluster(t, "production")
	members := make([]*roleMember, len(c.hosts))
	for i, h := range c.hosts {
		members[i] = startRoleMember(t, fmt.Sprintf("member-%d", i), h+":"+c.redisPort)
	}
	members[0].setRole("master")
	members[1].setRole("slave")
	members[2].setRole("") // never answers
	started := time.Now()
	c.startHAProxy()
	health := "http://" + hostOf(c.haAddr) + ":8404/healthz"

	t.Run("not Ready until its checks have told the master from the others", func(t *testing.T) {
		// Every server counts as up until its first check ends: member 2's
		// ends after the chart's `timeout check` (2 s).
		var unready bool
		err := eventually(10*time.Second, 20*time.Millisecond, func() error {
			code, err := httpStatus(health)
			if err != nil {
				return err
			}
			if code != http.StatusOK {
				unready = true
				return fmt.Errorf("/healthz %d", code)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("HAProxy Ready %.2f s after its start", time.Since(started).Seconds())
		if !unready {
			t.Error("/healthz answered 200 while a member's first check was still pending")
		}
		for range 20 {
			if got := whoThrough(t, c.haAddr); got != "member-0" {
				t.Fatalf("a client connection reached %s once Ready, want the master member-0", got)
			}
		}
	})

	t.Run("a master demoted to replica gets no new connection after a few check intervals", func(t *testing.T) {
		members[0].setRole("slave")
		members[1].setRole("master")
		demoted := time.Now()
		var lastElsewhere time.Time
		for time.Since(demoted) < 3*time.Second {
			if whoThrough(t, c.haAddr) != "member-1" {
				lastElsewhere = time.Now()
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := lastElsewhere.Sub(demoted)
		t.Logf("the last connection that did not reach the new master: %.2f s after the demotion", took.Seconds())
		// Four check intervals (250 ms): a replica's answer to the check
		// is final, it does not wait for `timeout check`.
		if took > time.Second {
			t.Errorf("connections reached a member other than the new master for %.2f s after the demotion, want <= 1 s", took.Seconds())
		}
	})
}

// roleMember is a member stand-in for HAProxy's check; role "" never answers.
type roleMember struct {
	name string
	mu   sync.Mutex
	role string
}

func (m *roleMember) setRole(r string) { m.mu.Lock(); m.role = r; m.mu.Unlock() }

func (m *roleMember) getRole() string { m.mu.Lock(); defer m.mu.Unlock(); return m.role }

func startRoleMember(t *testing.T, name, addr string) *roleMember {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	m := &roleMember{name: name}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go m.serve(conn)
		}
	}()
	return m
}

func (m *roleMember) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		role := m.getRole()
		if role == "" {
			continue
		}
		var reply string
		switch cmd, _, _ := strings.Cut(strings.TrimSpace(line), " "); strings.ToUpper(cmd) {
		case "AUTH", "QUIT":
			reply = "+OK\r\n"
		case "PING":
			reply = "+PONG\r\n"
		case "INFO":
			info := "# Replication\r\nrole:" + role + "\r\nconnected_slaves:0\r\n"
			reply = fmt.Sprintf("$%d\r\n%s\r\n", len(info), info)
		case "WHO":
			reply = "+" + m.name + "\r\n"
		default:
			reply = "-ERR unknown command\r\n"
		}
		if _, err := conn.Write([]byte(reply)); err != nil || strings.EqualFold(strings.TrimSpace(line), "QUIT") {
			return
		}
	}
}

// whoThrough opens one client connection through HAProxy and asks WHO.
func whoThrough(t *testing.T, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "no connection: " + err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := conn.Write([]byte("WHO\r\n")); err != nil {
		return "write: " + err.Error()
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "read: " + err.Error()
	}
	return strings.TrimPrefix(strings.TrimSpace(line), "+")
}

func httpStatus(url string) (int, error) {
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
