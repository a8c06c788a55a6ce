package preflight

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	helmvalues "helm.sh/helm/v3/pkg/cli/values"
	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	nova "github.com/nova-platform/nova"
	"github.com/nova-platform/nova/installer/chartsource"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

func render(t *testing.T, profile string) string {
	t.Helper()
	c, err := chartsource.LoadTree(nova.Charts, "charts", "nova")
	require.NoError(t, err)
	p, err := values.ResolveProfile(nova.Profiles, profile)
	require.NoError(t, err)
	var files helmvalues.Options
	if profile != "local" { // the template of the endpoints the other profiles require
		files.ValueFiles = []string{"../../values/examples/external-endpoints.yaml"}
	}
	vals, err := values.Merge(values.Inputs{Profile: &p, Flags: files})
	require.NoError(t, err)
	out, err := release.Render(release.Offline(), release.DeployOptions{Release: "nova", Namespace: "nova", Chart: c, Values: vals, Timeout: time.Minute})
	require.NoError(t, err)
	return out
}

func node(name string, ready, cordoned bool) *corev1.Node {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Unschedulable: cordoned},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}}}
}

func defaultClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard",
		Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}}
}

// cluster is a fake API with a server version and an SSAR answer.
func cluster(gitVersion string, allow bool, objs ...runtime.Object) *fake.Clientset {
	c := fake.NewSimpleClientset(objs...)
	c.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: gitVersion}
	c.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		review := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		review.Status.Allowed = allow || review.Spec.ResourceAttributes.Resource != "statefulsets"
		return true, review, nil
	})
	return c
}

func results(t *testing.T, in Input) map[string]Result {
	t.Helper()
	rs, err := Run(context.Background(), in, nil)
	require.NoError(t, err)
	out := map[string]Result{}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out
}

func TestHealthyClusterPasses(t *testing.T) {
	c := cluster("v1.37.0", true, node("a", true, false), node("b", true, false), node("c", true, false), defaultClass())
	rs := results(t, Input{Client: c, Manifest: render(t, "production"), KubeVersion: ">=1.28.0-0", Profile: "production"})
	for id, r := range rs {
		assert.True(t, r.OK, "%s: %s", id, r.Detail)
	}
	assert.Len(t, rs, 4)
	assert.Contains(t, rs["nodes-anti-affinity"].Detail, "3 Ready schedulable nodes for 3 members")
}

func TestTooFewNodesForHardAntiAffinity(t *testing.T) {
	c := cluster("v1.37.0", true, node("a", true, false), node("b", true, false), node("c", true, true), node("d", false, false), defaultClass())
	r := results(t, Input{Client: c, Manifest: render(t, "production"), KubeVersion: ">=1.28.0-0", Profile: "production"})["nodes-anti-affinity"]
	require.False(t, r.OK)
	assert.Contains(t, r.Detail, `needs 3 nodes (hard anti-affinity of profile "production"), the cluster has 2 Ready schedulable nodes`)
	assert.Contains(t, r.Hint, "--profile local or staging")
	// The same cluster is fine for the local profile (soft anti-affinity).
	r = results(t, Input{Client: c, Manifest: render(t, "local"), KubeVersion: ">=1.28.0-0", Profile: "local"})["nodes-anti-affinity"]
	assert.True(t, r.OK, r.Detail)
}

func TestNoDefaultStorageClass(t *testing.T) {
	c := cluster("v1.37.0", true, node("a", true, false))
	r := results(t, Input{Client: c, Manifest: render(t, "local"), KubeVersion: ">=1.28.0-0"})["storage-class"]
	require.False(t, r.OK)
	assert.Equal(t, "missing a default StorageClass", r.Detail)
	assert.Contains(t, r.Hint, "global.storageClass")
}

func TestAccessDenied(t *testing.T) {
	c := cluster("v1.37.0", false, node("a", true, false), defaultClass())
	r := results(t, Input{Client: c, Manifest: render(t, "local"), KubeVersion: ">=1.28.0-0"})["permissions"]
	require.False(t, r.OK)
	assert.Equal(t, "denied: create statefulsets in nova", r.Detail)
}

func TestOldClusterStopsTheChecks(t *testing.T) {
	c := cluster("v1.27.3", true)
	rs, err := Run(context.Background(), Input{Client: c, Manifest: render(t, "local"), KubeVersion: ">=1.28.0-0"}, nil)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, "server v1.27.3 does not satisfy >=1.28.0-0", rs[0].Detail)
	var b bytes.Buffer
	require.NoError(t, rs.WriteTable(&b))
	assert.True(t, strings.HasPrefix(b.String(), "[FAIL] kube-api"), b.String())
	assert.Len(t, Failed(rs), 1)
}

func TestSkipCheck(t *testing.T) {
	c := cluster("v1.37.0", true, node("a", true, false))
	rs, err := Run(context.Background(), Input{Client: c, Manifest: render(t, "local"), KubeVersion: ">=1.28.0-0"}, []string{"storage-class"})
	require.NoError(t, err)
	for _, r := range rs {
		assert.NotEqual(t, "storage-class", r.ID)
	}
	assert.Empty(t, Failed(rs))
}

func TestResourceNames(t *testing.T) {
	for kind, want := range map[string]string{"NetworkPolicy": "networkpolicies", "PodDisruptionBudget": "poddisruptionbudgets",
		"StatefulSet": "statefulsets", "Ingress": "ingresses", "HorizontalPodAutoscaler": "horizontalpodautoscalers"} {
		assert.Equal(t, want, resourceOf(kind), kind)
	}
}
