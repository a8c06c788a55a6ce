package status

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	helmtime "helm.sh/helm/v3/pkg/time"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func meta(ns, name, chart, component string, extra ...string) metav1.ObjectMeta {
	labels := map[string]string{"app.kubernetes.io/instance": "nova", "app.kubernetes.io/name": chart, "app.kubernetes.io/component": component}
	for i := 0; i+1 < len(extra); i += 2 {
		labels[extra[i]] = extra[i+1]
	}
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func sts(ns, name, chart string, ready, desired int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: meta(ns, name, chart, "x"), Spec: appsv1.StatefulSetSpec{Replicas: &desired},
		Status: appsv1.StatefulSetStatus{ReadyReplicas: ready}}
}

func svc(ns, name, chart, component string, port int32, headless bool) *corev1.Service {
	s := &corev1.Service{ObjectMeta: meta(ns, name, chart, component), Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: port}}}}
	if headless {
		s.Spec.ClusterIP = "None"
	}
	return s
}

// tierNamespaces is the manifest of the umbrella chart's tier Namespaces.
func tierNamespaces(names ...string) string {
	var m string
	for _, n := range names {
		m += "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + n + "\n"
	}
	return m
}

func TestStatusReport(t *testing.T) {
	one := int32(1)
	objects := []runtime.Object{
		sts("nova-redis", "nova-redis-sentinel-redis", "redis-sentinel", 3, 3),
		sts("nova-database", "nova-postgres-ha-postgres", "postgres-ha", 3, 3),
		sts("nova-database", "nova-postgres-ha-etcd", "postgres-ha", 2, 3),
		&appsv1.Deployment{ObjectMeta: meta("nova-services", "user-service", "nova-services", "user-service"), Spec: appsv1.DeploymentSpec{Replicas: &one},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 1}},
		&corev1.Pod{ObjectMeta: meta("nova-database", "nova-postgres-ha-postgres-1", "postgres-ha", "postgres", "role", "primary")},
		&corev1.Pod{ObjectMeta: meta("nova-database", "nova-postgres-ha-postgres-0", "postgres-ha", "postgres", "role", "replica")},
		svc("nova-redis", "nova-redis-sentinel-master", "redis-sentinel", "master", 6379, false),
		svc("nova-redis", "nova-redis-sentinel-headless", "redis-sentinel", "headless", 6379, true),
		svc("nova-database", "nova-postgres-ha-primary", "postgres-ha", "primary", 5432, false),
		svc("nova-services", "user-service", "nova-services", "user-service", 8080, false),
	}
	rel := &release.Release{Name: "nova", Namespace: "nova", Version: 4, Labels: map[string]string{"nova-profile": "production"},
		Manifest: tierNamespaces("nova-redis", "nova-database", "nova-services"),
		Chart:    &chart.Chart{Metadata: &chart.Metadata{Name: "nova", Version: "0.1.0"}},
		Info:     &release.Info{Status: release.StatusDeployed, LastDeployed: helmtime.Time{Time: time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)}}}
	// The Redis pods; the Sentinel of the first names the third as master.
	objects = append(objects, threePods()...)
	objects[len(objects)-1].(*corev1.Pod).Labels[facts.LabelRole] = facts.RoleMaster
	objects = append(objects, authSecret(redisNS, "password", testPassword))
	s := startFakeSentinel(t, testPassword,
		master("nova-redis-sentinel-redis-2.nova-redis-sentinel-headless.nova-redis.svc.cluster.local", "master"))
	d := &dialer{addrs: map[string]string{redisNS + "/nova-redis-sentinel-redis-0": s.addr}}
	c := fake.NewSimpleClientset(objects...)
	report, err := Collect(context.Background(), c, rel, "nova-profile", WithSentinel(DialSentinels{Client: c, Dial: d.dial}))
	require.NoError(t, err)
	assert.False(t, report.Ready(), "one etcd member is not ready")
	assert.Equal(t, "nova-redis-sentinel-redis-2", report.RedisMaster)
	assert.Empty(t, report.RedisCheck, "the label and the Sentinel agree")
	assert.Equal(t, "nova-postgres-ha-postgres-1", report.PostgresLead)

	var out bytes.Buffer
	require.NoError(t, report.WriteTable(&out))
	golden := "testdata/status.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}

// Two releases named nova, in namespaces a and b (b with a tier namespace):
// the status of a shows a's objects only.
func TestStatusOfTheReleaseNamespacesOnly(t *testing.T) {
	objects := []runtime.Object{
		sts("a", "nova-redis-sentinel-redis", "redis-sentinel", 3, 3),
		sts("b", "nova-redis-sentinel-redis", "redis-sentinel", 1, 3),
		sts("b-database", "nova-postgres-ha-postgres", "postgres-ha", 1, 3),
		&corev1.Pod{ObjectMeta: meta("b-database", "nova-postgres-ha-postgres-0", "postgres-ha", "postgres", "role", "primary")},
		svc("a", "nova-redis-sentinel-master", "redis-sentinel", "master", 6379, false),
		svc("b", "nova-redis-sentinel-master", "redis-sentinel", "master", 6379, false),
		svc("b-database", "nova-postgres-ha-primary", "postgres-ha", "primary", 5432, false),
	}
	c := fake.NewSimpleClientset(objects...)
	ws, err := Workloads(context.Background(), c, "nova", []string{"a"})
	require.NoError(t, err)
	assert.Equal(t, []Workload{{"redis", "StatefulSet", "a", "nova-redis-sentinel-redis", 3, 3}}, ws)

	rel := func(ns, manifest string) *release.Release {
		return &release.Release{Name: "nova", Namespace: ns, Version: 1, Manifest: manifest,
			Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "nova", Version: "0.1.0"}}, Info: &release.Info{Status: release.StatusDeployed}}
	}
	report, err := Collect(context.Background(), c, rel("a", ""), "nova-profile")
	require.NoError(t, err)
	assert.Equal(t, ws, report.Workloads)
	assert.True(t, report.Ready(), "b's unready StatefulSets are not a's")
	assert.Equal(t, "unknown", report.PostgresLead, "b's leader is not a's")
	assert.Equal(t, []Endpoint{{"redis", "nova-redis-sentinel-master", "nova-redis-sentinel-master.a.svc:6379"}}, report.Endpoints)

	report, err = Collect(context.Background(), c, rel("b", tierNamespaces("b-database")), "nova-profile")
	require.NoError(t, err)
	assert.Len(t, report.Workloads, 2, "b's tier namespace is looked at")
	assert.Equal(t, "nova-postgres-ha-postgres-0", report.PostgresLead)
	assert.Len(t, report.Endpoints, 2)
	for _, w := range report.Workloads {
		assert.NotEqual(t, "a", w.Namespace)
	}
}
