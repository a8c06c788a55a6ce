package failover

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// One cluster goes through the whole story, in order: bootstrap, master
// lost, old master back, full restart, graceful switchover.
func TestRedisSentinelFailover(t *testing.T) {
	c := newRedisCluster(t, "production")
	for i := range c.hosts {
		c.startMember(i)
	}
	c.startHAProxy()

	t.Run("bootstrap: one master, replicas in sync, Sentinels agree", func(t *testing.T) {
		if master := c.stable(60 * time.Second); master != 0 {
			t.Errorf("master is member %d, want the bootstrap member 0", master)
		}
		if err := eventually(10*time.Second, 100*time.Millisecond, func() error { return c.writeThroughHAProxy("bootstrap") }); err != nil {
			t.Fatalf("no write through HAProxy after bootstrap: %v", err)
		}
		checkServiceRedisURLs(t, c)
		// Sentinels find each other through hello messages every 2 s.
		if err := eventually(20*time.Second, 200*time.Millisecond, func() error {
			for i := range c.hosts {
				reply, err := redisDo(c.hosts[i]+":"+c.sentPort, c.password, "SENTINEL", "master", c.master)
				if err != nil {
					return err
				}
				if others := field(reply, "num-other-sentinels"); others != "2" {
					return fmt.Errorf("Sentinel %d knows %s other Sentinels, want 2", i, others)
				}
				if q := field(reply, "quorum"); q != "2" {
					return fmt.Errorf("Sentinel %d quorum %s, want 2", i, q)
				}
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
		// Each pod labels itself with its Redis's role (role-label.sh).
		if err := c.roleLabelsFollow(15 * time.Second); err != nil {
			t.Errorf("role labels after bootstrap: %v", err)
		}
		// The chart's helm test pod, against these processes.
		if err := eventually(15*time.Second, 500*time.Millisecond, func() error {
			if code := c.runHelmTest(); code != 0 {
				return fmt.Errorf("helm-test.sh exited %d", code)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	})

	t.Run("SIGKILL the master: a replica takes over, acknowledged keys kept", func(t *testing.T) {
		old := c.stable(30 * time.Second)
		keys := writeKeys(t, c, "before-kill", 200)
		waitReplicated(t, c, keys[len(keys)-1])
		killed := time.Now()
		c.killMember(old)
		if err := eventually(30*time.Second, 50*time.Millisecond, func() error { return c.writeThroughHAProxy("after-kill") }); err != nil {
			t.Fatalf("no write through HAProxy: %v", err)
		}
		t.Logf("Redis master SIGKILL: first write through HAProxy after %.2f s", time.Since(killed).Seconds())
		master := c.stable(30 * time.Second)
		if master == old {
			t.Fatal("the killed member is master")
		}
		assertKeys(t, c, master, keys)
		// The label follows: the new master's pod says master, the lost
		// one unknown, within about one check interval.
		if err := c.roleLabelsFollow(15 * time.Second); err != nil {
			t.Errorf("role labels after the failover: %v", err)
		}
		for _, p := range c.api.history() {
			if p.Pod == c.names[master] && p.Value == "master" && p.At.After(killed) {
				t.Logf("Redis master SIGKILL: the new master's pod labelled master %.2f s after the kill", p.At.Sub(killed).Seconds())
				break
			}
		}
	})

	t.Run("old master restarts as a replica", func(t *testing.T) {
		for i := range c.hosts {
			if c.redis[i].exited() {
				c.startMember(i)
				master := c.stable(60 * time.Second)
				if master == i {
					t.Errorf("restarted old master %s came back as master", c.hosts[i])
				}
			}
		}
		if err := c.roleLabelsFollow(15 * time.Second); err != nil {
			t.Errorf("role labels after the restart: %v", err)
		}
	})

	t.Run("the master's redis crashes and restarts at once: writes resume within 3 s", func(t *testing.T) {
		// As the kubelet restarts a killed container, before Sentinel's
		// down-after-milliseconds: the replicas must full-sync at once (a
		// diskless sync delay keeps the master refusing writes, NOREPLICAS).
		old := c.stable(30 * time.Second)
		w := startWriter(c)
		time.Sleep(time.Second)
		c.redis[old].kill()
		c.startRedis(old)
		if err := eventually(30*time.Second, 50*time.Millisecond, func() error { return c.writeThroughHAProxy("after-crash") }); err != nil {
			t.Fatalf("no write through HAProxy after the crash: %v", err)
		}
		time.Sleep(time.Second)
		acked, failed, gap := w.stop()
		t.Logf("Redis master crash and restart: %d writes acknowledged, %d refused; longest time without an acknowledged write %.2f s",
			len(acked), failed, gap.Seconds())
		if gap > 3*time.Second {
			t.Errorf("writes stopped for %.2f s after the master's redis restarted, want <= 3 s", gap.Seconds())
		}
		c.stable(60 * time.Second)
	})

	t.Run("all members stop at once and start in reverse order: one master, data kept", func(t *testing.T) {
		master := c.stable(30 * time.Second)
		keys := writeKeys(t, c, "before-restart", 100)
		waitReplicated(t, c, keys[len(keys)-1])
		size, _ := c.do(master, "DBSIZE")
		var wg sync.WaitGroup
		for i := range c.hosts {
			wg.Add(1)
			go func() { defer wg.Done(); c.stopMember(i, false) }()
		}
		wg.Wait()
		for i := len(c.hosts) - 1; i >= 0; i-- {
			c.startMember(i)
		}
		master = c.stable(90 * time.Second)
		if got, _ := c.do(master, "DBSIZE"); got != size {
			t.Errorf("DBSIZE %v after the restart, want %v", got, size)
		}
		assertKeys(t, c, master, keys)
		if err := c.roleLabelsFollow(15 * time.Second); err != nil {
			t.Errorf("role labels after the full restart: %v", err)
		}
	})

	t.Run("graceful stop of the master: switchover with writes blocked well under a second", func(t *testing.T) {
		old := c.stable(30 * time.Second)
		w := startWriter(c)
		time.Sleep(time.Second)
		c.preStop(old)
		// When the hook ends the kubelet stops the pod and its address goes
		// away: by then HAProxy must route nowhere but to the new master.
		for n := range 20 {
			reply, err := redisDo(c.haAddr, c.password, "INFO", "replication")
			info, _ := reply.(string)
			if err != nil || infoField(info, "role") != "master" {
				t.Errorf("connection %d through HAProxy after the preStop hook: role %q, err %v; want the new master", n, infoField(info, "role"), err)
			}
		}
		// and every other replica replicates from the new master itself, not
		// through the member about to stop.
		master := -1
		for i := range c.hosts {
			if role, _ := c.role(i); i != old && role == "master" {
				master = i
			}
		}
		if master < 0 {
			t.Fatal("no member is master after the preStop hook")
		}
		for i := range c.hosts {
			if i == old || i == master {
				continue
			}
			reply, err := c.do(i, "INFO", "replication")
			info, _ := reply.(string)
			if host, link := infoField(info, "master_host"), infoField(info, "master_link_status"); err != nil || host != c.hosts[master] || link != "up" {
				t.Errorf("after the preStop hook member %d replicates from %q (link %q, err %v), want the new master %s", i, host, link, err, c.hosts[master])
			}
		}
		c.stopMember(old, false)
		time.Sleep(2 * time.Second)
		acked, failed, gap := w.stop()
		window := w.lastRefused.Sub(w.firstRefused)
		t.Logf("Redis graceful switchover: %d writes acknowledged, %d refused within %.2f s; longest time without an acknowledged write %.2f s",
			len(acked), failed, window.Seconds(), gap.Seconds())
		// Without the preStop switchover the writes would stop for Sentinel's
		// down-after-milliseconds (2 s) and an election; waiting for the
		// Sentinels to name the new master cost 1.21 s. (The refusals may be
		// spread out, seconds apart, without a gap: the gap is the measure.)
		if gap > time.Second {
			t.Errorf("%.2f s without an acknowledged write; the switchover should take well under a second", gap.Seconds())
		}
		master = c.stable(30 * time.Second)
		assertKeys(t, c, master, acked)
		if err := c.roleLabelsFollow(15 * time.Second); err != nil {
			t.Errorf("role labels after the switchover: %v", err)
		}
	})
}

func hostOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i]
		}
	}
	return addr
}

// field reads a field of a Sentinel reply given as a flat name/value list.
func field(reply any, name string) string {
	list, _ := reply.([]any)
	for i := 0; i+1 < len(list); i += 2 {
		if list[i] == name {
			return fmt.Sprint(list[i+1])
		}
	}
	return ""
}

func writeKeys(t *testing.T, c *redisCluster, prefix string, n int) []string {
	t.Helper()
	var keys []string
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("%s-%d", prefix, i)
		if err := eventually(10*time.Second, 100*time.Millisecond, func() error { return c.writeThroughHAProxy(k) }); err != nil {
			t.Fatalf("write %s: %v", k, err)
		}
		keys = append(keys, k)
	}
	return keys
}

// waitReplicated waits until every running replica has key.
func waitReplicated(t *testing.T, c *redisCluster, key string) {
	t.Helper()
	err := eventually(10*time.Second, 100*time.Millisecond, func() error {
		for i := range c.hosts {
			if c.redis[i].exited() {
				continue
			}
			if n, err := c.do(i, "EXISTS", key); err != nil || n != int64(1) {
				return fmt.Errorf("member %d lacks %s (%v)", i, key, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func assertKeys(t *testing.T, c *redisCluster, member int, keys []string) {
	t.Helper()
	missing := 0
	for _, k := range keys {
		if n, err := c.do(member, "EXISTS", k); err != nil || n != int64(1) {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged keys lost", missing, len(keys))
	}
}

// writer writes through HAProxy every 10 ms and records acknowledged keys
// and the longest time between two acknowledgements.
type writer struct {
	stopCh                    chan struct{}
	done                      chan struct{}
	acked                     []string
	failed                    int
	gap                       time.Duration // longest time without an acknowledged write
	firstRefused, lastRefused time.Time
}

func startWriter(c *redisCluster) *writer {
	w := &writer{stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		last := time.Now()
		for i := 0; ; i++ {
			select {
			case <-w.stopCh:
				return
			default:
			}
			k := fmt.Sprintf("writer-%d", i)
			if c.writeThroughHAProxy(k) == nil {
				now := time.Now()
				if now.Sub(last) > w.gap {
					w.gap = now.Sub(last)
				}
				last = now
				w.acked = append(w.acked, k)
			} else {
				w.failed++
				if w.firstRefused.IsZero() {
					w.firstRefused = time.Now()
				}
				w.lastRefused = time.Now()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return w
}

func (w *writer) stop() ([]string, int, time.Duration) {
	close(w.stopCh)
	<-w.done
	return w.acked, w.failed, w.gap
}
