package charts

import (
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"

	"github.com/nova-platform/nova/tests/render"
)

// fakeCluster answers helm's lookup function from a fake dynamic client, the
// way a real API server would during `helm upgrade`.
type fakeCluster struct {
	client *dynamicfake.FakeDynamicClient
}

func newFakeCluster(objects ...k8sruntime.Object) fakeCluster {
	return fakeCluster{dynamicfake.NewSimpleDynamicClient(scheme.Scheme, objects...)}
}

func (f fakeCluster) GetClientFor(apiVersion, kind string) (dynamic.NamespaceableResourceInterface, bool, error) {
	gvr, _ := schemaGVR(apiVersion, kind)
	return f.client.Resource(gvr), true, nil
}

func schemaGVR(apiVersion, kind string) (schema.GroupVersionResource, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	return gv.WithResource(strings.ToLower(kind) + "s"), err
}

// renderUpgrade renders redis-sentinel as `helm upgrade` would, against the fake cluster.
func renderUpgrade(t *testing.T, cluster fakeCluster) (map[string]string, error) {
	t.Helper()
	return renderWithEngine(t, "redis-sentinel", map[string]any{}, cluster)
}

// renderWithEngine renders a chart with helm's engine (every template, NOTES.txt
// included) as release "nova" in namespace "nova", revision 2.
func renderWithEngine(t *testing.T, chart string, values map[string]any, cluster fakeCluster) (map[string]string, error) {
	t.Helper()
	if err := render.BuildDependencies(); err != nil {
		t.Fatal(err)
	}
	chrt, err := loader.Load(render.Path("charts", chart))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(chrt, values,
		chartutil.ReleaseOptions{Name: "nova", Namespace: "nova", IsUpgrade: true, Revision: 2}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	return engine.RenderWithClientProvider(chrt, vals, cluster)
}

func renderedPassword(t *testing.T, out map[string]string) string {
	t.Helper()
	m, err := render.Decode(out["redis-sentinel/templates/secret.yaml"])
	if err != nil {
		t.Fatal(err)
	}
	return string(render.Get[*corev1.Secret](t, m, "nova-redis-sentinel-auth").Data["password"])
}

func existingSecret(data map[string][]byte) *corev1.Secret {
	s := &corev1.Secret{Data: data}
	s.Name, s.Namespace = "nova-redis-sentinel-auth", "nova"
	return s
}

func TestGeneratedPasswordIsReusedOnUpgrade(t *testing.T) {
	cluster := newFakeCluster(existingSecret(map[string][]byte{"password": []byte("kept-across-upgrades")}))
	for i := 0; i < 2; i++ {
		out, err := renderUpgrade(t, cluster)
		if err != nil {
			t.Fatal(err)
		}
		if got := renderedPassword(t, out); got != "kept-across-upgrades" {
			t.Fatalf("upgrade %d rendered password %q, want the existing one", i, got)
		}
	}
}

func TestPasswordIsGeneratedWhenNoSecretExists(t *testing.T) {
	first, err := renderUpgrade(t, newFakeCluster())
	if err != nil {
		t.Fatal(err)
	}
	second, err := renderUpgrade(t, newFakeCluster())
	if err != nil {
		t.Fatal(err)
	}
	a, b := renderedPassword(t, first), renderedPassword(t, second)
	if len(a) != 32 || a == b {
		t.Errorf("generated passwords %q and %q: want 32 random characters each", a, b)
	}
	if strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		t.Errorf("generated password %q has characters that need quoting in URLs", a)
	}
}

func TestExistingSecretWithoutTheKeyFailsInsteadOfRegenerating(t *testing.T) {
	cluster := newFakeCluster(existingSecret(map[string][]byte{"other": []byte("x")}))
	_, err := renderUpgrade(t, cluster)
	if err == nil {
		t.Fatal("render succeeded: a new password would have replaced the existing one")
	}
	for _, want := range []string{"nova/nova-redis-sentinel-auth", `"password"`, "exists"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestUnreadableSecretFailsTheRender(t *testing.T) {
	cluster := newFakeCluster()
	cluster.client.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "nova-redis-sentinel-auth", nil)
	})
	_, err := renderUpgrade(t, cluster)
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("want a forbidden error instead of a silently new password, got %v", err)
	}
}

// decodeAll decodes every manifest template of a helm engine render.
func decodeAll(t *testing.T, out map[string]string) *render.Manifest {
	t.Helper()
	all := &render.Manifest{}
	for name, doc := range out {
		if !strings.HasSuffix(name, ".yaml") || strings.Contains(name, "/tests/") {
			continue
		}
		m, err := render.Decode(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		all.Objects = append(all.Objects, m.Objects...)
	}
	return all
}

// podAnnotations maps each workload to its pod template annotations.
func podAnnotations(m *render.Manifest) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range render.All[*appsv1.StatefulSet](m) {
		out["StatefulSet/"+s.Name] = s.Spec.Template.Annotations
	}
	for _, d := range render.All[*appsv1.Deployment](m) {
		out["Deployment/"+d.Name] = d.Spec.Template.Annotations
	}
	return out
}

// The install renders fresh credentials; the first upgrade reads them back
// through lookup. The checksum annotations must agree, or every pod would
// roll on the first upgrade after an install.
func TestFirstUpgradeAfterInstallRollsNothing(t *testing.T) {
	for _, chart := range []string{"redis-sentinel", "postgres-ha", "nova-services"} {
		t.Run(chart, func(t *testing.T) {
			install, err := renderWithEngine(t, chart, map[string]any{}, newFakeCluster())
			if err != nil {
				t.Fatal(err)
			}
			installed := decodeAll(t, install)
			var existing []k8sruntime.Object
			for _, s := range render.All[*corev1.Secret](installed) {
				existing = append(existing, s)
			}
			if len(existing) == 0 {
				t.Fatal("the install rendered no Secret")
			}
			upgrade, err := renderWithEngine(t, chart, map[string]any{}, newFakeCluster(existing...))
			if err != nil {
				t.Fatal(err)
			}
			upgraded := decodeAll(t, upgrade)
			before, after := podAnnotations(installed), podAnnotations(upgraded)
			if len(before) == 0 {
				t.Fatal("no workloads rendered")
			}
			withChecksum := 0
			for name, ann := range before {
				if ann["checksum/secret"] != "" {
					withChecksum++
				}
				if !reflect.DeepEqual(ann, after[name]) {
					t.Errorf("%s pod annotations changed on the first upgrade:\ninstall %v\nupgrade %v", name, ann, after[name])
				}
			}
			if withChecksum == 0 {
				t.Error("no workload carries a checksum/secret annotation")
			}
		})
	}
}
