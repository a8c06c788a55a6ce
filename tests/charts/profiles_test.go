package charts

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/nova-platform/nova/tests/render"
)

func hpaMinReplicas(m *render.Manifest, target string) int32 {
	for _, h := range render.All[*autoscalingv2.HorizontalPodAutoscaler](m) {
		if h.Spec.ScaleTargetRef.Name == target && h.Spec.MinReplicas != nil {
			return *h.Spec.MinReplicas
		}
	}
	return 0
}

// serviceDeployments are the Deployments of the application tier.
func serviceDeployments(m *render.Manifest) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range render.All[*appsv1.Deployment](m) {
		if d.Labels["app.kubernetes.io/name"] == "nova-services" {
			out = append(out, d)
		}
	}
	return out
}

func pvcSize(t *testing.T, s *appsv1.StatefulSet) string {
	t.Helper()
	if len(s.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%s: %d volume claim templates", s.Name, len(s.Spec.VolumeClaimTemplates))
	}
	q := s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]
	return q.String()
}

func TestLocalProfileFitsALaptop(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local"})
	if n := len(render.All[*autoscalingv2.HorizontalPodAutoscaler](m)); n != 0 {
		t.Errorf("local renders %d HPAs, want none", n)
	}
	for _, d := range serviceDeployments(m) {
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			t.Errorf("%s: replicas %v, want 1", d.Name, d.Spec.Replicas)
		}
	}
	for _, s := range render.All[*appsv1.StatefulSet](m) {
		if *s.Spec.Replicas != 3 {
			t.Errorf("%s: %d members, want 3 so failover still works locally", s.Name, *s.Spec.Replicas)
		}
		if s.Spec.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			t.Errorf("%s: hard anti-affinity cannot schedule on one node", s.Name)
		}
		if q := resource.MustParse(pvcSize(t, s)); q.Cmp(resource.MustParse("2Gi")) > 0 {
			t.Errorf("%s: volume %s is not small", s.Name, q.String())
		}
	}
}

func TestProductionProfileHasTheSeedNumbers(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production"})
	sizes := map[string]string{"nova-redis-sentinel-redis": "5Gi", "nova-postgres-ha-postgres": "20Gi"}
	for name, size := range sizes {
		if got := pvcSize(t, render.Get[*appsv1.StatefulSet](t, m, name)); got != size {
			t.Errorf("%s: volume %s, want %s", name, got, size)
		}
	}
	pg := render.Get[*appsv1.StatefulSet](t, m, "nova-postgres-ha-postgres").Spec.Template.Spec.Containers[0].Resources
	assertResources(t, "postgres", pg, "250m", "1", "512Mi", "1Gi")
	redis := render.Get[*appsv1.StatefulSet](t, m, "nova-redis-sentinel-redis").Spec.Template.Spec.Containers[0].Resources
	if redis.Limits.Memory().String() != "512Mi" || redis.Requests.Memory().String() != "256Mi" {
		t.Errorf("redis memory %s/%s, want 256Mi/512Mi", redis.Requests.Memory(), redis.Limits.Memory())
	}
	user := render.Get[*appsv1.Deployment](t, m, "user-service").Spec.Template.Spec.Containers[0].Resources
	assertResources(t, "user-service", user, "500m", "2", "512Mi", "2Gi")
	ranges := map[string][2]int32{"user-service": {3, 10}, "messaging-service": {2, 8}}
	for name, want := range ranges {
		h := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, m, name)
		if *h.Spec.MinReplicas != want[0] || h.Spec.MaxReplicas != want[1] {
			t.Errorf("%s HPA %d-%d, want %d-%d", name, *h.Spec.MinReplicas, h.Spec.MaxReplicas, want[0], want[1])
		}
	}
	for _, w := range workloads(m) {
		a := w.Template.Spec.Affinity
		required := a != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) == 1
		// Data tiers: one member per node. Services autoscale: soft + zone spread.
		if isService := w.Meta.Labels["app.kubernetes.io/name"] == "nova-services"; required == isService {
			t.Errorf("%s: required anti-affinity %v, want %v", w.Meta.Name, required, !isService)
		}
	}
}

func assertResources(t *testing.T, name string, r corev1.ResourceRequirements, cpuReq, cpuLim, memReq, memLim string) {
	t.Helper()
	want := map[string]string{"cpu request": cpuReq, "cpu limit": cpuLim, "memory request": memReq, "memory limit": memLim}
	got := map[string]string{"cpu request": r.Requests.Cpu().String(), "cpu limit": r.Limits.Cpu().String(),
		"memory request": r.Requests.Memory().String(), "memory limit": r.Limits.Memory().String()}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s %s, want %s", name, k, got[k], v)
		}
	}
}

func TestConsolidatedTopologyReplacesTheSplitServices(t *testing.T) {
	for _, profile := range render.Profiles {
		m := render.Render(t, render.Options{Chart: "nova", Profile: profile, Files: []string{"values/topology-consolidated.yaml"}})
		var names []string
		for _, d := range serviceDeployments(m) {
			names = append(names, d.Name)
		}
		// search-service stays: search is a binary of its own, which no Nova image merges.
		if strings.Join(names, " ") != "api-service realtime-service search-service" {
			t.Errorf("%s: deployments %v, want [api-service realtime-service search-service]", profile, names)
		}
		if profile == "production" {
			h := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, m, "api-service")
			if *h.Spec.MinReplicas != 3 || h.Spec.MaxReplicas != 10 {
				t.Errorf("api-service HPA %d-%d, want 3-10", *h.Spec.MinReplicas, h.Spec.MaxReplicas)
			}
		}
	}
	m := render.Render(t, render.Options{Chart: "nova", Files: []string{"values/topology-consolidated.yaml"},
		Set: map[string]string{"nova-services.services.streaming-service.enabled": "true"}})
	render.Get[*appsv1.Deployment](t, m, "streaming-service")
}

func TestTierNamespaces(t *testing.T) {
	want := map[string]string{"redis-sentinel": "nova-redis", "postgres-ha": "nova-database", "nova-services": "nova-services"}
	m := render.Render(t, render.Options{Chart: "nova", Set: map[string]string{"global.tierNamespaces.enabled": "true", "global.tierNamespaces.database": "db"}})
	want["postgres-ha"] = "db"
	published := map[string]map[string][]byte{}
	for _, o := range metaObjects(m) {
		if _, isNS := o.(*corev1.Namespace); isNS {
			continue
		}
		chart := o.GetLabels()["app.kubernetes.io/name"]
		if s, ok := o.(*corev1.Secret); ok && o.GetNamespace() == want["nova-services"] && chart != "nova-services" {
			published[s.Name] = s.Data // a data tier's client key, for the services' pods
			continue
		}
		if o.GetNamespace() != want[chart] {
			t.Errorf("%s (%s): namespace %q, want %q", o.GetName(), chart, o.GetNamespace(), want[chart])
		}
	}
	// Pods read Secrets of their own namespace only: the data tiers publish
	// the client key, with the same value, in the services' namespace.
	for name, key := range map[string]string{"nova-postgres-ha-auth": "app-password", "nova-redis-sentinel-auth": "password"} {
		var original *corev1.Secret
		for _, s := range render.All[*corev1.Secret](m) {
			if s.Name == name && s.Namespace != want["nova-services"] {
				original = s
			}
		}
		if original == nil || len(published[name]) != 1 || string(published[name][key]) != string(original.Data[key]) || len(original.Data[key]) == 0 {
			t.Errorf("%s: published %v, want exactly %s with the original's value", name, published[name], key)
		}
	}
	var created []string
	for _, ns := range render.All[*corev1.Namespace](m) {
		created = append(created, ns.Name)
		if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("namespace %s: not labelled for Pod Security restricted", ns.Name)
		}
		if ns.Annotations["helm.sh/resource-policy"] != "keep" {
			t.Errorf("namespace %s would be deleted (with its PVCs) on uninstall", ns.Name)
		}
	}
	if len(created) != 3 {
		t.Errorf("created namespaces %v, want 3", created)
	}

	// Off (the default): everything in the release namespace, no Namespace objects.
	m = render.Render(t, render.Options{Chart: "nova", Namespace: "team-a"})
	for _, o := range metaObjects(m) {
		if o.GetNamespace() != "team-a" {
			t.Errorf("%s: namespace %q, want the release namespace", o.GetName(), o.GetNamespace())
		}
	}
	if n := len(render.All[*corev1.Namespace](m)); n != 0 {
		t.Errorf("%d Namespace objects rendered with tier namespaces off", n)
	}
}
