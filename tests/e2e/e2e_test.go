// Package e2e runs nova-installer, helm and the charts against the Kubernetes
// proving ground (tests/cluster): a real API server, scheduler, controllers,
// Pod Security admission and PDB enforcement, with kwok simulating the nodes
// and the pod lifecycle (no container runs). Each test starts its own cluster.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/tests/cluster"
)

// installerBin is nova-installer built from this checkout by TestMain.
var installerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nova-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	installerBin = filepath.Join(dir, "nova-installer")
	build := exec.Command("go", "build", "-o", installerBin, "./installer/cmd/nova-installer")
	build.Dir = cluster.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building nova-installer: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a command printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

// env is one cluster plus a private helm home, so tests never read the
// user's helm repositories or registry logins.
type env struct {
	c      *cluster.Cluster
	client kubernetes.Interface
	home   string
}

func newEnv(t *testing.T, nodes int) *env {
	t.Helper()
	c := cluster.ForTest(t, nodes)
	client, err := c.Client()
	require.NoError(t, err)
	return &env{c: c, client: client, home: t.TempDir()}
}

func (e *env) environ() []string {
	return append(os.Environ(),
		"KUBECONFIG="+e.c.Kubeconfig,
		"HELM_CACHE_HOME="+filepath.Join(e.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(e.home, "config"),
		"HELM_DATA_HOME="+filepath.Join(e.home, "data"),
		"NO_COLOR=1")
}

func (e *env) run(t *testing.T, binary string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = e.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", binary, strings.Join(args, " "), err)
	}
	t.Logf("$ %s %s -> exit %d", filepath.Base(binary), strings.Join(args, " "), r.code)
	return r
}

// installer runs nova-installer with the cluster's kubeconfig.
func (e *env) installer(t *testing.T, args ...string) result {
	t.Helper()
	return e.run(t, installerBin, append([]string{"--kubeconfig", e.c.Kubeconfig}, args...)...)
}

// helm runs the pinned helm from ./bin.
func (e *env) helm(t *testing.T, args ...string) result {
	t.Helper()
	return e.run(t, filepath.Join(cluster.BinDir(), "helm"), args...)
}

func (e *env) mustSucceed(t *testing.T, r result) result {
	t.Helper()
	require.Zero(t, r.code, "%s", r)
	return r
}

// workloads maps "Kind/name" to the workload's readiness and generation.
type workload struct {
	ready, desired int32
	generation     int64
	template       string // pod template annotations, for rollout checks
}

func (e *env) workloads(t *testing.T, ns string) map[string]workload {
	t.Helper()
	ctx := context.Background()
	out := map[string]workload{}
	sts, err := e.client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, s := range sts.Items {
		out["StatefulSet/"+s.Name] = workload{s.Status.ReadyReplicas, *s.Spec.Replicas, s.Generation, annotations(s.Spec.Template)}
	}
	deps, err := e.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, d := range deps.Items {
		out["Deployment/"+d.Name] = workload{d.Status.ReadyReplicas, *d.Spec.Replicas, d.Generation, annotations(d.Spec.Template)}
	}
	return out
}

func annotations(tmpl corev1.PodTemplateSpec) string {
	var keys []string
	for k, v := range tmpl.Annotations {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// requireAllReady asserts every StatefulSet and Deployment in ns is fully
// ready and returns them.
func (e *env) requireAllReady(t *testing.T, ns string) map[string]workload {
	t.Helper()
	ws := e.workloads(t, ns)
	require.NotEmpty(t, ws, "no workloads in %s", ns)
	for name, w := range ws {
		require.Equal(t, w.desired, w.ready, "%s ready replicas", name)
	}
	return ws
}

// waitAllReady waits, at most d, until every StatefulSet and Deployment in
// ns is fully ready.
func (e *env) waitAllReady(t *testing.T, ns string, d time.Duration) {
	t.Helper()
	eventually(t, d, "every workload in "+ns+" ready", func() error {
		for name, w := range e.workloads(t, ns) {
			if w.ready != w.desired {
				return fmt.Errorf("%s: %d of %d ready", name, w.ready, w.desired)
			}
		}
		return nil
	})
}

// secrets maps the release's own Secrets (not helm's release records) to
// their data.
func (e *env) secrets(t *testing.T, ns string) map[string]map[string][]byte {
	t.Helper()
	list, err := e.client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=nova"})
	require.NoError(t, err)
	out := map[string]map[string][]byte{}
	for _, s := range list.Items {
		out[s.Name] = s.Data
	}
	return out
}

func (e *env) pvcs(t *testing.T, ns string) []corev1.PersistentVolumeClaim {
	t.Helper()
	list, err := e.client.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	return list.Items
}

// releaseRecords counts helm's release Secrets in ns.
func (e *env) releaseRecords(t *testing.T, ns string) int {
	t.Helper()
	list, err := e.client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
	require.NoError(t, err)
	return len(list.Items)
}

// eventually retries check every 250 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still waiting for %s: %v", d, what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// podNodes maps each pod of a StatefulSet to its node.
func (e *env) podNodes(t *testing.T, ns string, sts *appsv1.StatefulSet) map[string]string {
	t.Helper()
	sel := metav1.FormatLabelSelector(sts.Spec.Selector)
	pods, err := e.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: sel})
	require.NoError(t, err)
	out := map[string]string{}
	for _, p := range pods.Items {
		out[p.Name] = p.Spec.NodeName
	}
	return out
}
