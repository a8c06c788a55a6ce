package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	helmrelease "helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/nova-platform/nova/installer/exit"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/status"
)

// seedRelease creates what a release named nova leaves in namespace ns: a
// StatefulSet (ready of 3), a PVC, a kept credential Secret and a Pending pod.
func seedRelease(t *testing.T, c kubernetes.Interface, ns string, ready int32) {
	t.Helper()
	ctx := context.Background()
	three := int32(3)
	instance := map[string]string{"app.kubernetes.io/instance": "nova", "app.kubernetes.io/name": "redis-sentinel", "app.kubernetes.io/component": "redis"}
	_, err := c.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "nova-redis-sentinel-redis", Namespace: ns, Labels: instance},
		Spec: appsv1.StatefulSetSpec{Replicas: &three}, Status: appsv1.StatefulSetStatus{ReadyReplicas: ready}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{
		Name: "data-nova-redis-sentinel-redis-0", Namespace: ns, Labels: instance}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "nova-redis-sentinel-auth", Namespace: ns,
		Labels:      map[string]string{"app.kubernetes.io/instance": "nova", "app.kubernetes.io/part-of": "nova"},
		Annotations: map[string]string{"helm.sh/resource-policy": "keep"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "nova-redis-sentinel-redis-0", Namespace: ns, Labels: instance},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "redis"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available (" + ns + ")"}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func dataLeft(t *testing.T, c kubernetes.Interface, ns string) (pvcs, secrets int) {
	t.Helper()
	p, err := c.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	s, err := c.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	return len(p.Items), len(s.Items)
}

// Two releases named nova, in namespaces a and b, on one cluster: status,
// logs and cleanup of a see and touch a's objects only.
func TestTwoReleasesOfTheSameNameStayApart(t *testing.T) {
	h := newHarness(t)
	h.cfgs = map[string]*action.Configuration{}
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false", "-n", "a"), h.err.String())
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false", "-n", "b"), h.err.String())
	seedRelease(t, h.kube, "a", 3)
	seedRelease(t, h.kube, "b", 1)

	require.Equal(t, exit.CodeOK, h.run("status", "-n", "a", "-o", "json"), h.err.String())
	var report status.Report
	require.NoError(t, json.Unmarshal(h.out.Bytes(), &report))
	assert.Equal(t, []status.Workload{{Tier: "redis", Kind: "StatefulSet", Namespace: "a", Name: "nova-redis-sentinel-redis", Ready: 3, Desired: 3}},
		report.Workloads, "b's StatefulSet is not a's")

	require.Equal(t, exit.CodeOK, h.run("logs", "redis", "-n", "a"), h.err.String())
	assert.Equal(t, "[nova-redis-sentinel-redis-0/redis] fake logs\n", h.out.String(), "b's pod of the same name is not streamed")

	require.Equal(t, exit.CodeOK, h.run("cleanup", "-n", "a"), h.err.String())
	assert.Contains(t, h.out.String(), "persistentvolumeclaim/data-nova-redis-sentinel-redis-0 in namespace a")
	assert.Contains(t, h.out.String(), "secret/nova-redis-sentinel-auth in namespace a")
	assert.NotContains(t, h.out.String(), "in namespace b")

	// The release of a is gone now: -n a is where its data is looked for.
	require.Equal(t, exit.CodeOK, h.run("cleanup", "-n", "a", "--delete-data", "--yes"), h.err.String())
	assert.Contains(t, h.err.String(), `looking for the data of release "nova" in namespace "a" only`)
	assert.Contains(t, h.out.String(), "deleted persistentvolumeclaim/data-nova-redis-sentinel-redis-0 in namespace a")
	assert.Contains(t, h.out.String(), "deleted secret/nova-redis-sentinel-auth in namespace a")
	assert.NotContains(t, h.out.String(), "in namespace b")
	pvcs, secrets := dataLeft(t, h.kube, "a")
	assert.Zero(t, pvcs+secrets, "a's data is deleted")
	pvcs, secrets = dataLeft(t, h.kube, "b")
	assert.Equal(t, 1, pvcs, "b's PVC remains")
	assert.Equal(t, 1, secrets, "b's credentials remain")
	rel, err := release.Last(h.cfgs["b"], "nova")
	require.NoError(t, err)
	assert.NotNil(t, rel, "b's release remains")
}

// While and after a deploy, progress and the reasons of a failure come from
// the namespaces of the release being deployed (its pending record names the
// tier namespaces), never from a release of the same name elsewhere.
func TestProgressAndExplainLookInTheReleaseNamespaces(t *testing.T) {
	kube := k8sfake.NewSimpleClientset()
	seedRelease(t, kube, "a", 1)
	seedRelease(t, kube, "a-database", 2)
	seedRelease(t, kube, "b", 0)
	env := &Env{KubeClient: func() (kubernetes.Interface, error) { return kube, nil }}
	closed := make(chan struct{})
	close(closed) // watchProgress then polls once

	cfg := release.Offline()
	var out bytes.Buffer
	watchProgress(kube, cfg, "nova", "a", &out, closed)
	assert.Equal(t, "[redis] StatefulSet nova-redis-sentinel-redis: 1/3 ready\n", out.String(), "no release record yet: the deploy namespace")
	why := explain(env, cfg, "nova", "a")
	assert.Contains(t, why, "pod/nova-redis-sentinel-redis-0 in a: Unschedulable")
	assert.NotContains(t, why, "(b)")
	assert.NotContains(t, why, "a-database")

	require.NoError(t, cfg.Releases.Create(&helmrelease.Release{Name: "nova", Namespace: "a", Version: 1,
		Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "nova", Version: "0.1.0"}}, Info: &helmrelease.Info{Status: helmrelease.StatusPendingInstall},
		Manifest: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a-database\n"}))
	out.Reset()
	watchProgress(kube, cfg, "nova", "a", &out, closed)
	assert.Contains(t, out.String(), "nova-redis-sentinel-redis: 1/3 ready")
	assert.Contains(t, out.String(), "nova-redis-sentinel-redis: 2/3 ready", "the tier namespace of the pending release")
	assert.NotContains(t, out.String(), "0/3", "b's StatefulSet")
	why = explain(env, cfg, "nova", "a")
	assert.Contains(t, why, "pod/nova-redis-sentinel-redis-0 in a: Unschedulable")
	assert.Contains(t, why, "pod/nova-redis-sentinel-redis-0 in a-database: Unschedulable")
	assert.NotContains(t, why, " in b:")
}

// cleanup reads the release's tier namespaces before it uninstalls it: the
// data there is found too.
func TestCleanupFindsDataInTierNamespaces(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false", "-n", "a", "--set", "global.tierNamespaces.enabled=true",
		"--set", "global.tierNamespaces.redis=a-redis", "--set", "global.tierNamespaces.database=a-database", "--set", "global.tierNamespaces.services=a-services"), h.err.String())
	seedRelease(t, h.kube, "a-redis", 3)
	seedRelease(t, h.kube, "b", 3)
	require.Equal(t, exit.CodeOK, h.run("cleanup", "-n", "a", "--delete-data", "--yes"), h.err.String())
	assert.Contains(t, h.out.String(), "deleted persistentvolumeclaim/data-nova-redis-sentinel-redis-0 in namespace a-redis")
	assert.Contains(t, h.out.String(), "deleted secret/nova-redis-sentinel-auth in namespace a-redis")
	assert.NotContains(t, h.out.String(), "in namespace b")
	pvcs, secrets := dataLeft(t, h.kube, "b")
	assert.Equal(t, 2, pvcs+secrets, "b's data remains")
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// When the deploy ends, progress prints the state it ended in: a rolling
// StatefulSet's last line is "3/3 ready", not the "2/3" of the last tick.
func TestProgressEndsWithTheFinalState(t *testing.T) {
	kube := k8sfake.NewSimpleClientset()
	seedRelease(t, kube, "a", 2)
	defer func(old time.Duration) { progressInterval = old }(progressInterval)
	progressInterval = time.Hour // no tick: only the first and the final poll

	var out lockedBuffer
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { watchProgress(kube, release.Offline(), "nova", "a", &out, stop); close(done) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "2/3 ready") }, 5*time.Second, 10*time.Millisecond)

	ctx := context.Background()
	sts, err := kube.AppsV1().StatefulSets("a").Get(ctx, "nova-redis-sentinel-redis", metav1.GetOptions{})
	require.NoError(t, err)
	sts.Status.ReadyReplicas = 3
	_, err = kube.AppsV1().StatefulSets("a").UpdateStatus(ctx, sts, metav1.UpdateOptions{})
	require.NoError(t, err)
	close(stop)
	<-done
	assert.Equal(t, "[redis] StatefulSet nova-redis-sentinel-redis: 2/3 ready\n[redis] StatefulSet nova-redis-sentinel-redis: 3/3 ready\n", out.String())
}
