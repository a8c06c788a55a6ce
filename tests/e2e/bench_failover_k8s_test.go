package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nova-platform/nova/tests/cluster"
)

// benchK8sTrials is how many times `make bench-failover-k8s` repeats each scenario.
const benchK8sTrials = 5

// TestFailoverBenchmarkK8s is `make bench-failover-k8s`: the local profile
// on the real node, and a client that writes through the chart's Services
// (the messaging-service stand-in, one write every 0.1 s, each on a new
// connection with a 2 s timeout) while the Redis master or the PostgreSQL
// leader loses its pod or its container.
func TestFailoverBenchmarkK8s(t *testing.T) {
	if os.Getenv("NOVA_BENCH_FAILOVER_K8S") != "1" {
		t.Skip("a benchmark: run it with make bench-failover-k8s")
	}
	c := cluster.ForRealTest(t)
	client, err := c.Client()
	require.NoError(t, err)
	e := &env{c: c, client: client, home: t.TempDir()}
	const ns = "nova"
	start := time.Now()
	// Synchronous replication, as production has it: a commit waits for a
	// replica, so no acknowledged row may be lost.
	e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-f", filepath.Join(c.Dir(), cluster.ValuesFile),
		"--set", "postgres-ha.patroni.synchronousMode=true", "-n", ns, "--create-namespace", "--timeout", "8m"))
	deploy := time.Since(start)
	e.requireAllReady(t, ns)

	b := &k8sBench{e: e, ns: ns}
	rows := []string{benchK8sHeader()}
	for _, s := range []struct {
		name, target string
		fault        func(t *testing.T) string
		// A container killed again in the same pod waits out the kubelet's
		// restart back-off (10 s, 20 s, ...): a new pod after each trial
		// makes every trial a first crash.
		newPodAfter bool
	}{
		{"Redis master pod deleted", "redis", b.deleteRedisMaster, false},
		{"Redis master container killed", "redis", b.killRedisMaster, true},
		{"PostgreSQL leader pod deleted", "postgres", b.deletePostgresLeader, false},
		{"PostgreSQL leader container killed", "postgres", b.killPostgresLeader, true},
	} {
		var trials []k8sTrial
		for i := 0; i < benchK8sTrials; i++ {
			tr := b.trial(t, fmt.Sprintf("%s-%d-%d", s.target, len(rows), i), s.target, s.fault)
			trials = append(trials, tr)
			if s.newPodAfter {
				b.steady(t)
				require.NoError(t, client.CoreV1().Pods(ns).Delete(context.Background(), tr.faultedPod, metav1.DeleteOptions{}))
				time.Sleep(2 * time.Second)
			}
		}
		rows = append(rows, benchK8sRow(s.name, trials))
	}
	fmt.Printf("\nFailover on the real node, local profile with PostgreSQL synchronous mode, through the chart's Services (%d trials each):\n\n%s\n",
		benchK8sTrials, strings.Join(rows, "\n"))
	fmt.Printf("\nnova-installer deploy --profile local to every workload Ready (images imported): %.1f s\n", deploy.Seconds())
}

type k8sBench struct {
	e  *env
	ns string
}

// k8sTrial is one measured fault.
type k8sTrial struct {
	gap         time.Duration // longest stretch without an acknowledged write
	failed      int           // writes that failed or timed out
	acked, lost int           // acknowledged writes, and those missing afterwards
	faultedPod  string
}

func benchK8sHeader() string {
	return fmt.Sprintf("| %-36s | %s | %s | %s |\n|---|---|---|---|", "scenario",
		"longest stretch without an acknowledged write, min / median / max", "failed writes per trial", "acknowledged writes lost")
}

func benchK8sRow(name string, trials []k8sTrial) string {
	gaps := make([]time.Duration, len(trials))
	var failed []string
	lost, acked := 0, 0
	for i, tr := range trials {
		gaps[i] = tr.gap
		failed = append(failed, fmt.Sprint(tr.failed))
		lost += tr.lost
		acked += tr.acked
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return fmt.Sprintf("| %-36s | %.2f / %.2f / %.2f s | %s | %d of %d |", name,
		gaps[0].Seconds(), gaps[len(gaps)/2].Seconds(), gaps[len(gaps)-1].Seconds(), strings.Join(failed, ", "), lost, acked)
}

// trial waits for a steady release, starts the writer, injects the fault,
// and measures until writes have succeeded steadily for 3 s (at most 90 s).
func (b *k8sBench) trial(t *testing.T, run, target string, fault func(t *testing.T) string) k8sTrial {
	t.Helper()
	b.steady(t)
	w := startStandinWriter(t, b.standinURL(t), target, run)
	time.Sleep(time.Second)
	faulted := time.Now()
	pod := fault(t)
	deadline := faulted.Add(90 * time.Second)
	for time.Now().Before(deadline) && !(time.Since(faulted) > 5*time.Second && w.steadyFor(3*time.Second)) {
		time.Sleep(200 * time.Millisecond)
	}
	w.stop()
	tr := k8sTrial{gap: w.longestGap(), failed: w.failures(), acked: len(w.acked), faultedPod: pod}
	written := b.written(t, target, run)
	for _, seq := range w.acked {
		if !written[seq] {
			tr.lost++
		}
	}
	t.Logf("%s (%s): longest stretch without a write %.2f s, %d failed, %d of %d acknowledged writes lost; errors: %s",
		run, pod, tr.gap.Seconds(), tr.failed, tr.lost, tr.acked, w.errorSummary())
	return tr
}

// steady: every workload Ready, a master and a leader named.
func (b *k8sBench) steady(t *testing.T) {
	t.Helper()
	b.e.waitAllReady(t, b.ns, 3*time.Minute)
	eventually(t, 2*time.Minute, "a Redis master and a PostgreSQL leader", func() error {
		master, leader := b.e.roles(t, b.ns)
		if strings.HasPrefix(master, "unknown") || strings.HasPrefix(leader, "unknown") {
			return fmt.Errorf("master %s, leader %s", master, leader)
		}
		return nil
	})
	// The replicas catch up and the Sentinels settle before the next fault.
	time.Sleep(5 * time.Second)
}

func (b *k8sBench) deleteRedisMaster(t *testing.T) string {
	master, _ := b.e.roles(t, b.ns)
	require.NoError(t, b.e.client.CoreV1().Pods(b.ns).Delete(context.Background(), master, metav1.DeleteOptions{}))
	return master
}

func (b *k8sBench) deletePostgresLeader(t *testing.T) string {
	_, leader := b.e.roles(t, b.ns)
	require.NoError(t, b.e.client.CoreV1().Pods(b.ns).Delete(context.Background(), leader, metav1.DeleteOptions{}))
	return leader
}

func (b *k8sBench) killRedisMaster(t *testing.T) string {
	master, _ := b.e.roles(t, b.ns)
	b.kill(t, master, "redis")
	return master
}

func (b *k8sBench) killPostgresLeader(t *testing.T) string {
	_, leader := b.e.roles(t, b.ns)
	b.kill(t, leader, "postgres")
	return leader
}

// kill SIGKILLs a container of a pod.
func (b *k8sBench) kill(t *testing.T, pod, container string) {
	p, err := b.e.client.CoreV1().Pods(b.ns).Get(context.Background(), pod, metav1.GetOptions{})
	require.NoError(t, err)
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container {
			require.NoError(t, b.e.c.KillContainer(context.Background(), cs.ContainerID))
			return
		}
	}
	t.Fatalf("pod %s has no container %s", pod, container)
}

// standinURL is the messaging-service stand-in's address on the pod network
// (the machine is on the node's bridge); its writes go through the Services.
func (b *k8sBench) standinURL(t *testing.T) string {
	t.Helper()
	pods, err := b.e.client.CoreV1().Pods(b.ns).List(context.Background(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/component=messaging-service", FieldSelector: "status.phase=Running"})
	require.NoError(t, err)
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			for _, port := range c.Ports {
				if port.Name == "http" && p.Status.PodIP != "" && podReady(p) {
					return fmt.Sprintf("http://%s:%d", p.Status.PodIP, port.ContainerPort)
				}
			}
		}
	}
	t.Fatal("no Ready messaging-service pod with an http port")
	return ""
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// written is the set of a run's writes the database holds now.
func (b *k8sBench) written(t *testing.T, target, run string) map[int64]bool {
	t.Helper()
	var out struct{ Seqs []int64 }
	eventually(t, time.Minute, "the written writes of "+run, func() error {
		resp, err := http.Get(fmt.Sprintf("%s/standin/written?target=%s&run=%s", b.standinURL(t), target, run))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return json.NewDecoder(resp.Body).Decode(&out)
	})
	set := map[int64]bool{}
	for _, s := range out.Seqs {
		set[s] = true
	}
	return set
}

// standinWriter asks the stand-in for one write every 0.1 s, one at a time.
type standinWriter struct {
	mu     sync.Mutex
	start  time.Time
	acks   []time.Time // when each acknowledged write was acknowledged
	acked  []int64
	errors map[string]int
	fail   int
	quit   chan struct{}
	done   chan struct{}
}

func startStandinWriter(t *testing.T, base, target, run string) *standinWriter {
	t.Helper()
	w := &standinWriter{start: time.Now(), errors: map[string]int{}, quit: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 3 * time.Second}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for seq := int64(1); ; seq++ {
			resp, err := client.Post(fmt.Sprintf("%s/standin/write?target=%s&run=%s&seq=%d", base, target, run, seq), "", nil)
			var body map[string]string
			if err == nil {
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
			}
			w.mu.Lock()
			switch {
			case err != nil:
				w.fail++
				w.errors["client: "+firstWords(err.Error())]++
			case resp.StatusCode != http.StatusOK:
				w.fail++
				w.errors[firstWords(body[target])]++
			default:
				w.acks = append(w.acks, time.Now())
				w.acked = append(w.acked, seq)
			}
			w.mu.Unlock()
			select {
			case <-w.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *standinWriter) stop() { close(w.quit); <-w.done }

// steadyFor: every write of the last d was acknowledged.
func (w *standinWriter) steadyFor(d time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.acks)
	return n > 0 && time.Since(w.acks[n-1]) < 300*time.Millisecond && w.longestGapSinceLocked(time.Now().Add(-d)) < 300*time.Millisecond &&
		time.Since(w.firstAckAfterLastFailureLocked()) >= d
}

func (w *standinWriter) firstAckAfterLastFailureLocked() time.Time {
	// The acknowledgements are in order; a failure shows as a gap > 0.3 s.
	last := w.start
	for i := 1; i < len(w.acks); i++ {
		if w.acks[i].Sub(w.acks[i-1]) > 300*time.Millisecond {
			last = w.acks[i]
		}
	}
	return last
}

func (w *standinWriter) longestGapSinceLocked(since time.Time) time.Duration {
	var longest time.Duration
	for i := 1; i < len(w.acks); i++ {
		if w.acks[i].After(since) {
			if g := w.acks[i].Sub(w.acks[i-1]); g > longest {
				longest = g
			}
		}
	}
	return longest
}

// longestGap is the longest stretch between two acknowledged writes.
func (w *standinWriter) longestGap() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.longestGapSinceLocked(w.start)
}

func (w *standinWriter) failures() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fail
}

func (w *standinWriter) errorSummary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parts []string
	for msg, n := range w.errors {
		parts = append(parts, fmt.Sprintf("%d x %s", n, msg))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// firstWords keeps an error message short enough to group by.
func firstWords(s string) string {
	if len(s) > 90 {
		s = s[:90]
	}
	return s
}
