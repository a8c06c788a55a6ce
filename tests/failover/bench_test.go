package failover

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// benchTrials is how many times `make bench-failover` repeats each scenario.
const benchTrials = 5

// trial is one measured failover.
type trial struct {
	recovery time.Duration // from the fault to the first acknowledged write
	lost     int           // acknowledged writes missing afterwards
	acked    int
}

// benchRow prints "scenario  min  median  max  lost" for a set of trials.
func benchRow(name string, trials []trial) string {
	if len(trials) == 0 {
		return fmt.Sprintf("%-34s %s", name, "no trials")
	}
	d := make([]time.Duration, len(trials))
	lost, acked := 0, 0
	for i, tr := range trials {
		d[i] = tr.recovery
		lost += tr.lost
		acked += tr.acked
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return fmt.Sprintf("%-34s %6.2f s %6.2f s %6.2f s   %d of %d", name,
		d[0].Seconds(), d[len(d)/2].Seconds(), d[len(d)-1].Seconds(), lost, acked)
}

func benchHeader() string {
	return fmt.Sprintf("%-34s %8s %8s %8s   %s", "scenario (5 trials)", "min", "median", "max", "acknowledged writes lost")
}

// TestFailoverBenchmark measures failover (make bench-failover); skipped in
// `make test`, where the failover tests assert behaviour instead.
func TestFailoverBenchmark(t *testing.T) {
	if os.Getenv("NOVA_BENCH_FAILOVER") == "" {
		t.Skip("a benchmark: run it with `make bench-failover`")
	}
	rows := []string{benchHeader()}
	rows = append(rows, benchRow("Redis: SIGKILL master (HAProxy)", benchRedisKill(t)))
	for _, extra := range extraBenchmarks {
		rows = append(rows, extra(t)...)
	}
	fmt.Println("\n" + strings.Join(rows, "\n"))
}

// extraBenchmarks lets other scenarios (PostgreSQL) add rows.
var extraBenchmarks []func(t *testing.T) []string

// benchRedisKill: a writer writes through HAProxy; the master's redis and
// sentinel get SIGKILL; recovery is the time to the first acknowledged write
// after the kill; then the old master is started again for the next trial.
func benchRedisKill(t *testing.T) []trial {
	c := newRedisCluster(t, "production")
	for i := range c.hosts {
		c.startMember(i)
	}
	c.startHAProxy()
	var trials []trial
	for n := 0; n < benchTrials; n++ {
		old := c.stable(90 * time.Second)
		w := startWriter(c)
		time.Sleep(time.Second)
		killed := time.Now()
		c.killMember(old)
		if err := eventually(60*time.Second, 20*time.Millisecond, func() error { return c.writeThroughHAProxy(fmt.Sprintf("bench-%d", n)) }); err != nil {
			t.Fatalf("trial %d: no write after the kill: %v", n, err)
		}
		recovery := time.Since(killed)
		time.Sleep(500 * time.Millisecond)
		acked, _, _ := w.stop()
		master := c.stable(60 * time.Second)
		lost := 0
		for _, k := range acked {
			if n, err := c.do(master, "EXISTS", k); err != nil || n != int64(1) {
				lost++
			}
		}
		trials = append(trials, trial{recovery: recovery, lost: lost, acked: len(acked)})
		t.Logf("Redis SIGKILL trial %d: first write after %.2f s, %d of %d acknowledged writes lost", n+1, recovery.Seconds(), lost, len(acked))
		c.startMember(old)
	}
	return trials
}
