package charts

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nova-platform/nova/tests/render"
)

var recommendedLabels = []string{
	"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "helm.sh/chart",
}

func TestEveryObjectCarriesTheRecommendedLabels(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: map[string]string{"global.tierNamespaces.enabled": "true"}})
	for _, o := range metaObjects(m) {
		for _, l := range recommendedLabels {
			if o.GetLabels()[l] == "" {
				t.Errorf("%s: label %s missing", o.GetName(), l)
			}
		}
		if got := o.GetLabels()["app.kubernetes.io/instance"]; got != "nova" {
			t.Errorf("%s: instance label %q, want the release name", o.GetName(), got)
		}
	}
	for _, w := range workloads(m) {
		sel, err := metav1.LabelSelectorAsSelector(w.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(labels.Set(w.Template.Labels)) {
			t.Errorf("%s: selector %v does not match its pod labels", w.Meta.Name, sel)
		}
	}
}

func TestAntiAffinityFollowsTheMode(t *testing.T) {
	for _, mode := range []string{"soft", "hard", "none"} {
		t.Run(mode, func(t *testing.T) {
			m := render.Render(t, render.Options{Chart: "nova", Set: map[string]string{"global.antiAffinity": mode}})
			ws := workloads(m)
			if len(ws) == 0 {
				t.Fatal("no workloads rendered")
			}
			for _, w := range ws {
				a := w.Template.Spec.Affinity
				switch mode {
				case "none":
					if a != nil {
						t.Errorf("%s: affinity rendered for mode none: %+v", w.Meta.Name, a)
					}
					continue
				case "soft":
					if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 0 {
						t.Fatalf("%s: want one preferred term only, got %+v", w.Meta.Name, a)
					}
					assertTermSelectsOwnPods(t, w, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm)
				case "hard":
					if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 0 {
						t.Fatalf("%s: want one required term only, got %+v", w.Meta.Name, a)
					}
					assertTermSelectsOwnPods(t, w, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0])
				}
			}
		})
	}
}

func assertTermSelectsOwnPods(t *testing.T, w workload, term corev1.PodAffinityTerm) {
	t.Helper()
	if term.TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("%s: topology key %q", w.Meta.Name, term.TopologyKey)
	}
	sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(w.Template.Labels)) {
		t.Errorf("%s: anti-affinity selector %v does not match its own pods", w.Meta.Name, sel)
	}
}

func TestChartAntiAffinityOverridesGlobal(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Set: map[string]string{"global.antiAffinity": "soft", "redis-sentinel.antiAffinity": "hard"}})
	for _, w := range workloads(m) {
		required := w.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		isRedis := w.Meta.Labels["app.kubernetes.io/name"] == "redis-sentinel"
		if isRedis != (len(required) == 1) {
			t.Errorf("%s: required terms %d (redis: %v)", w.Meta.Name, len(required), isRedis)
		}
	}
}

func TestPodsMeetPodSecurityRestricted(t *testing.T) {
	for _, profile := range render.Profiles {
		m := render.Render(t, render.Options{Chart: "nova", Profile: profile})
		for _, w := range workloads(m) {
			ps := w.Template.Spec.SecurityContext
			if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s/%s: pod security context not restricted: %+v", profile, w.Meta.Name, ps)
			}
			for _, c := range append(w.Template.Spec.InitContainers, w.Template.Spec.Containers...) {
				sc := c.SecurityContext
				ok := sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation &&
					sc.Capabilities != nil && fmt.Sprint(sc.Capabilities.Drop) == "[ALL]" && len(sc.Capabilities.Add) == 0 &&
					sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem &&
					(sc.Privileged == nil || !*sc.Privileged)
				if !ok {
					t.Errorf("%s/%s/%s: container security context not restricted: %+v", profile, w.Meta.Name, c.Name, sc)
				}
			}
		}
	}
}

func TestImagesArePinnedAndFollowTheRegistryOverride(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Set: map[string]string{"global.imageRegistry": "mirror.example.com"}})
	for _, w := range workloads(m) {
		for _, c := range w.Template.Spec.Containers {
			if !strings.HasPrefix(c.Image, "mirror.example.com/") {
				t.Errorf("%s/%s: image %q ignores global.imageRegistry", w.Meta.Name, c.Name, c.Image)
			}
			tag := c.Image[strings.LastIndex(c.Image, ":")+1:]
			if strings.Contains(tag, "/") || tag == "latest" || c.ImagePullPolicy == corev1.PullAlways {
				t.Errorf("%s/%s: image %q (%s) is not pinned", w.Meta.Name, c.Name, c.Image, c.ImagePullPolicy)
			}
		}
	}
	// "latest" fails the render with a message naming the value.
	_, err := render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{"services.user-service.image.tag": "latest"}})
	if err == nil || !strings.Contains(err.Error(), "/services/user-service/image/tag") {
		t.Errorf("latest accepted or error does not name the value: %v", err)
	}
	// An image without a tag of its own fails (the services' fall back to the chart's appVersion).
	_, err = render.TemplateE(t, render.Options{Chart: "nova-services", Set: map[string]string{"waitForDependencies.image.tag": ""}})
	if err == nil || !strings.Contains(err.Error(), "/waitForDependencies/image") {
		t.Errorf("empty tag accepted or error does not name the value: %v", err)
	}
}

func TestPullSecretsFromGlobalAndChart(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Set: map[string]string{
		"global.imagePullSecrets[0]": "mirror-creds", "redis-sentinel.imagePullSecrets[0].name": "redis-creds"}})
	for _, w := range workloads(m) {
		var names []string
		for _, s := range w.Template.Spec.ImagePullSecrets {
			names = append(names, s.Name)
		}
		want := "[mirror-creds]"
		if w.Meta.Labels["app.kubernetes.io/name"] == "redis-sentinel" {
			want = "[mirror-creds redis-creds]"
		}
		if fmt.Sprint(names) != want {
			t.Errorf("%s: pull secrets %v, want %s", w.Meta.Name, names, want)
		}
	}
}

// A PDB never blocks every eviction and always selects its own pods.
func TestDisruptionBudgetsLeaveRoomForEvictions(t *testing.T) {
	for _, profile := range render.Profiles {
		m := render.Render(t, render.Options{Chart: "nova", Profile: profile})
		ws := workloads(m)
		for _, pdb := range render.All[*policyv1.PodDisruptionBudget](m) {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			var matched []workload
			for _, w := range ws {
				if w.Meta.Namespace == pdb.Namespace && sel.Matches(labels.Set(w.Template.Labels)) {
					matched = append(matched, w)
				}
			}
			if len(matched) != 1 {
				t.Fatalf("%s/%s: selects %d workloads, want 1", profile, pdb.Name, len(matched))
			}
			replicas := int32(1)
			if r := matched[0].Replicas; r != nil {
				replicas = *r
			}
			if hpaMin := hpaMinReplicas(m, matched[0].Meta.Name); hpaMin > 0 {
				replicas = hpaMin
			}
			if pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.IntValue() >= int(replicas) {
				t.Errorf("%s/%s: minAvailable %s with %d replicas blocks every eviction", profile, pdb.Name, pdb.Spec.MinAvailable, replicas)
			}
		}
	}
}
