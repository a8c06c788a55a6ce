package failover

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PostgreSQL scenarios: bootstrap, replicas cloned, a leader lost or
// stopped and the old leader back. The tests and the benchmark run these.

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
