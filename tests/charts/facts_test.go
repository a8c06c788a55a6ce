package charts

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/nova-platform/nova/tests/render"
)

// What nova-installer relies on about the rendered objects (installer/facts)
// is what the charts render: a rename on either side fails here.
func TestInstallerFactsMatchTheRender(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: map[string]string{
		"global.tierNamespaces.enabled":  "true",
		"redis-sentinel.metrics.enabled": "true",
		"postgres-ha.metrics.enabled":    "true",
	}})
	selects := func(selector string, set map[string]string) bool {
		t.Helper()
		sel, err := labels.Parse(selector)
		if err != nil {
			t.Fatalf("selector %q: %v", selector, err)
		}
		return sel.Matches(labels.Set(set))
	}

	// Every workload of a tier: its chart names a tier, the release selects it.
	tiers := map[string]bool{}
	for _, w := range workloads(m) {
		tier, ok := facts.Tiers[w.Meta.Labels[facts.LabelName]]
		if !ok {
			t.Errorf("%s: %s=%q is no chart of facts.Tiers", w.Meta.Name, facts.LabelName, w.Meta.Labels[facts.LabelName])
		}
		if _, ok := facts.TierOrder[tier]; !ok {
			t.Errorf("tier %q has no place in facts.TierOrder", tier)
		}
		tiers[tier] = true
		if !selects(facts.Release("nova"), w.Meta.Labels) || !selects(facts.Release("nova"), w.Template.Labels) {
			t.Errorf("%s: facts.Release does not select it or its pods", w.Meta.Name)
		}
	}
	if len(tiers) != len(facts.Tiers) {
		t.Errorf("workloads of tiers %v, facts.Tiers has %d", tiers, len(facts.Tiers))
	}

	// The Redis pods: status asks their Sentinel container on its named port,
	// logs reaches that container as "sentinel".
	var redis *appsv1.StatefulSet
	for _, s := range render.All[*appsv1.StatefulSet](m) {
		if selects(facts.ChartComponent("nova", facts.ChartRedis, facts.ComponentRedis), s.Spec.Template.Labels) {
			redis = s
		}
	}
	if redis == nil {
		t.Fatal("no StatefulSet's pods match facts.ChartComponent(redis-sentinel, redis)")
	}
	if !selects(facts.Component("nova", facts.ComponentRedis), redis.Spec.Template.Labels) {
		t.Error("facts.Component(redis) does not select the Redis pods (logs redis)")
	}
	// The Redis master: the pods plus the role label the sidecar sets.
	master := map[string]string{facts.LabelRole: facts.RoleMaster}
	for k, v := range redis.Spec.Template.Labels {
		master[k] = v
	}
	if !selects(facts.RedisMaster("nova"), master) || selects(facts.RedisMaster("nova"), redis.Spec.Template.Labels) {
		t.Errorf("facts.RedisMaster %q must select a Redis pod labelled %s=%s, and only then", facts.RedisMaster("nova"), facts.LabelRole, facts.RoleMaster)
	}
	sentinel := container(t, redis.Spec.Template.Spec, facts.SentinelContainer)
	named := false
	for _, p := range sentinel.Ports {
		named = named || p.Name == facts.SentinelPort
	}
	if !named {
		t.Errorf("container %s has no port named %q", facts.SentinelContainer, facts.SentinelPort)
	}
	if envOf(sentinel)["REDIS_PASSWORD_FILE"].Value == "" {
		t.Error("the Sentinel container has no REDIS_PASSWORD_FILE, which status reads the password through")
	}

	// The PostgreSQL leader: the primary Service and status select it by the
	// role label Patroni sets.
	primary := render.Get[*corev1.Service](t, m, "nova-postgres-ha-primary")
	leader := map[string]string{}
	for k, v := range primary.Spec.Selector {
		leader[k] = v
	}
	if primary.Spec.Selector[facts.LabelRole] != facts.RolePrimary || !selects(facts.PostgresLeader("nova"), leader) {
		t.Errorf("primary Service selects %v; facts.PostgresLeader is %q", primary.Spec.Selector, facts.PostgresLeader("nova"))
	}

	// Exporter Services are the ones status leaves out of the endpoints.
	metrics := 0
	for _, s := range render.All[*corev1.Service](m) {
		if s.Labels[facts.LabelComponent] == facts.ComponentMetrics {
			metrics++
		}
	}
	if metrics == 0 {
		t.Errorf("no Service of component %q with the exporters on", facts.ComponentMetrics)
	}

	// The generated credentials: cleanup finds them with facts.ReleaseData.
	for _, s := range render.All[*corev1.Secret](m) {
		if s.Annotations["helm.sh/resource-policy"] == "keep" && !selects(facts.ReleaseData("nova"), s.Labels) {
			t.Errorf("kept Secret %s is not selected by facts.ReleaseData", s.Name)
		}
	}

	// The tier namespaces carry the Pod Security labels the installer gives
	// the namespace it creates.
	namespaces := render.All[*corev1.Namespace](m)
	if len(namespaces) == 0 {
		t.Fatal("no tier Namespace rendered")
	}
	for _, ns := range namespaces {
		for k, v := range facts.PodSecurity {
			if ns.Labels[k] != v {
				t.Errorf("Namespace %s: %s=%q, the installer sets %q", ns.Name, k, ns.Labels[k], v)
			}
		}
	}
}
