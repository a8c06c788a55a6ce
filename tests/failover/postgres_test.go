package failover

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// One cluster of the production profile (synchronous_mode on) goes through
// the story in order: bootstrap, leader lost, old leader back, graceful stop
// of the leader, one etcd member lost.
func TestPostgresFailover(t *testing.T) {
	begin := time.Now()
	c := newPostgresCluster(t, "production")
	if !c.patroniConf.Bootstrap.DCS.SynchronousMode {
		t.Fatal("the production profile renders synchronous_mode off; the no-loss assertions need it on")
	}

	t.Run("bootstrap: one leader, two streaming replicas, databases owned by the application role", func(t *testing.T) {
		leader := c.bootstrap(t)
		slots, err := c.query(leader, false, "postgres", "SELECT slot_name FROM pg_replication_slots ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != len(c.hosts)-1 {
			t.Errorf("pg_replication_slots on the leader has %d slots (%v), want %d", len(slots), slots, len(c.hosts)-1)
		}
		for i := range c.hosts {
			rows, err := c.query(i, true, c.writeDB(), "SELECT pg_is_in_recovery()")
			if err != nil {
				t.Fatalf("the application role cannot log in to member %d: %v", i, err)
			}
			if want := fmt.Sprint(i != leader); rows[0][0] != want {
				t.Errorf("member %d: pg_is_in_recovery() = %s, want %s", i, rows[0][0], want)
			}
		}
		checkDatabases(t, c, leader) // what post_bootstrap created

		primary, replicas := c.endpoints("primary"), c.endpoints("replicas")
		if len(primary) != 1 || len(replicas) != len(c.hosts)-1 {
			t.Fatalf("Services route to primary %v, replicas %v", primary, replicas)
		}
		// The post-install hook Job, then the helm test, against these processes.
		if code, out := c.runClientPod(t, "ensure-job", c.ensureJob.Spec.Template.Spec, "PGHOST="+c.hosts[primary[0]]); code != 0 {
			t.Errorf("the ensure Job exited %d:\n%s", code, out)
		}
		checkDatabases(t, c, leader)
		if code, out := c.runClientPod(t, "helm-test", c.testPod.Spec,
			"PRIMARY_HOST="+c.hosts[primary[0]], "REPLICAS_HOST="+c.hosts[replicas[0]]); code != 0 {
			t.Errorf("helm-test.sh exited %d:\n%s", code, out)
		}
		checkServiceDSNs(t, c, leader)
		checkRoleLabels(t, c, leader)
	})

	var killed pgFailover
	t.Run("SIGKILL the leader's Patroni and PostgreSQL: a new leader, no acknowledged row lost", func(t *testing.T) {
		killed = c.killLeader(t)
		t.Log(killed.report("PostgreSQL leader SIGKILL"))
		if killed.lost != 0 {
			t.Errorf("%d of %d acknowledged rows lost in synchronous mode", killed.lost, killed.acked)
		}
		if role := c.roleLabel(killed.leader); role != "primary" {
			t.Errorf("new leader %s labelled %q, want primary", c.names[killed.leader], role)
		}
	})

	t.Run("the old leader restarts and rejoins as a replica", func(t *testing.T) {
		old := -1 // the killed member, even when the kill scenario failed half way
		for i := range c.hosts {
			if !c.running(i) {
				old = i
			}
		}
		if old < 0 {
			t.Fatal("no member is down: the kill scenario did not kill the leader")
		}
		before := c.stable(t, 30*time.Second)
		// As a kubelet that applies fsGroup to the volume leaves it: group
		// rwx and setgid. PostgreSQL refuses such a data directory; the
		// chart's start script must make it 0700 again.
		if err := os.Chmod(c.dataDir(old), 0o770|os.ModeSetgid); err != nil {
			t.Fatal(err)
		}
		took, log := c.rejoin(t, old)
		if st, err := os.Stat(c.dataDir(old)); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("the old leader's data directory after the restart: %v, %v; want 0700", st.Mode(), err)
		}
		if rows, err := c.query(old, false, "postgres", "SELECT pg_is_in_recovery()"); err != nil || rows[0][0] != "true" {
			t.Errorf("the old leader, restarted on a group-writable data directory, is not a running replica: %v %v", rows, err)
		}
		rewound := strings.Contains(log, "pg_rewind: Done!")
		t.Logf("PostgreSQL old leader rejoined as a streaming replica after %.1f s (pg_rewind ran: %v)", took.Seconds(), rewound)
		if strings.Contains(log, "bootstrap from leader") {
			t.Errorf("the old leader was cloned again instead of rejoining with its data")
		}
		leader := c.stable(t, 30*time.Second)
		if leader != before {
			t.Errorf("leader changed from member %d to %d when the old leader came back", before, leader)
		}
		checkRoleLabels(t, c, leader)
	})

	t.Run("graceful stop of the leader: switchover, writes back in seconds", func(t *testing.T) {
		r := c.stopLeader(t)
		t.Log(r.report("PostgreSQL graceful stop of the leader"))
		if r.recovery > 30*time.Second {
			t.Errorf("writes came back after %.1f s; a graceful switchover should take seconds", r.recovery.Seconds())
		}
		if r.lost != 0 {
			t.Errorf("%d of %d acknowledged rows lost in a graceful switchover", r.lost, r.acked)
		}
		c.rejoin(t, r.old)
		checkRoleLabels(t, c, c.stable(t, 30*time.Second))
	})

	t.Run("etcd loses one member: the cluster keeps working", func(t *testing.T) {
		leader := c.stable(t, 30*time.Second)
		victim := c.etcdLeader() // the worst member to lose
		raftLeader := victim >= 0
		if !raftLeader {
			victim = 0
		}
		w := c.startWriter()
		if _, ok := w.firstAck(time.Now(), -1, 10*time.Second); !ok {
			w.stop()
			t.Fatal("the writer cannot write")
		}
		c.killEtcd(victim)
		// Longer than the leader lock's TTL: had Patroni lost the DCS, the
		// leader would have been demoted by now.
		dcs := c.patroniConf.Bootstrap.DCS
		hold := time.Duration(dcs.TTL+2*dcs.LoopWait) * time.Second
		time.Sleep(hold)
		ids, gap, _ := w.stop()
		if got := c.stable(t, 30*time.Second); got != leader {
			t.Errorf("leader changed from member %d to %d after losing one etcd member", leader, got)
		}
		lost := c.missing(t, leader, ids)
		t.Logf("PostgreSQL with one etcd member lost (%s, Raft leader: %v): leader kept for %.0f s, longest time without an acknowledged write %.2f s, %d of %d acknowledged rows lost",
			c.etcdNames[victim], raftLeader, hold.Seconds(), gap.Seconds(), lost, len(ids))
		if gap > time.Duration(dcs.TTL)*time.Second || lost != 0 {
			t.Errorf("writes disturbed: no acknowledged write for %.1f s, %d rows lost", gap.Seconds(), lost)
		}
		c.startEtcd(victim)
		c.etcdHealthy(t, 30*time.Second)
		c.stable(t, 30*time.Second)
	})

	if refused := c.api.refused(); len(refused) > 0 {
		t.Errorf("the fake Kubernetes API refused requests of the callback: %v", refused)
	}
	t.Logf("PostgreSQL failover test: %.0f s", time.Since(begin).Seconds())
}

// checkDatabases: the chart's databases exist with their schemas, all owned
// by the application role, which logs in with the rendered Secret's password.
func checkDatabases(t *testing.T, c *pgCluster, leader int) {
	t.Helper()
	want := map[string]string{"nova_auth": "auth public streaming", "nova_messaging": "messaging public"}
	if got := strings.Join(c.databases, " "); got != "nova_auth nova_messaging" {
		t.Errorf("the chart's databases are %q, want nova_auth nova_messaging", got)
	}
	for db, schemas := range want {
		rows, err := c.query(leader, true, db, `SELECT n.nspname, pg_get_userbyid(n.nspowner), pg_get_userbyid(d.datdba)
			FROM pg_namespace n, pg_database d
			WHERE d.datname = current_database() AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
			ORDER BY 1`)
		if err != nil {
			t.Errorf("the application role %s cannot query %s: %v", c.appRole, db, err)
			continue
		}
		var names []string
		for _, r := range rows {
			names = append(names, r[0])
			if r[1] != c.appRole || r[2] != c.appRole {
				t.Errorf("%s: schema %s owned by %s, database by %s, want %s", db, r[0], r[1], r[2], c.appRole)
			}
		}
		if got := strings.Join(names, " "); got != schemas {
			t.Errorf("%s has schemas %q, want %q", db, got, schemas)
		}
	}
}

// checkRoleLabels: every running member's pod is labelled with its role.
func checkRoleLabels(t *testing.T, c *pgCluster, leader int) {
	t.Helper()
	for i := range c.hosts {
		want := "replica"
		if i == leader {
			want = "primary"
		}
		if got := c.roleLabel(i); c.running(i) && got != want {
			t.Errorf("pod %s labelled %q, want %q", c.names[i], got, want)
		}
	}
}

func (r pgFailover) report(what string) string {
	return fmt.Sprintf("%s: first write on the new leader after %.1f s, %d of %d acknowledged rows lost (longest time without an acknowledged write %.1f s, %d refused)",
		what, r.recovery.Seconds(), r.lost, r.acked, r.gap.Seconds(), r.failed)
}

func init() { extraBenchmarks = append(extraBenchmarks, benchPostgres) }

// benchPostgres measures benchTrials SIGKILLs and graceful stops of the
// leader on one production-profile cluster, the old leader rejoining after
// each.
func benchPostgres(t *testing.T) []string {
	c := newPostgresCluster(t, "production")
	c.bootstrap(t)
	var kills, stops []trial
	for n := 0; n < benchTrials; n++ {
		r := c.killLeader(t)
		t.Logf("trial %d: %s", n+1, r.report("PostgreSQL leader SIGKILL"))
		kills = append(kills, trial{recovery: r.recovery, lost: r.lost, acked: r.acked})
		c.rejoin(t, r.old)
	}
	for n := 0; n < benchTrials; n++ {
		r := c.stopLeader(t)
		t.Logf("trial %d: %s", n+1, r.report("PostgreSQL graceful stop of the leader"))
		stops = append(stops, trial{recovery: r.recovery, lost: r.lost, acked: r.acked})
		c.rejoin(t, r.old)
	}
	return []string{benchRow("PostgreSQL: SIGKILL leader", kills), benchRow("PostgreSQL: graceful stop leader", stops)}
}
