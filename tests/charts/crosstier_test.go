package charts

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/render"
)

// probe renders the helpers-probe fixture, which writes nova-common helper
// outputs into a ConfigMap.
func probe(t *testing.T, set map[string]string) map[string]string {
	t.Helper()
	m := render.Render(t, render.Options{ChartDir: render.Path("tests", "testdata", "helpers-probe"), Namespace: "apps", Set: set})
	return render.Get[*corev1.ConfigMap](t, m, "probe").Data
}

// Cross-tier references follow global.tierNamespaces through one helper.
func TestCrossTierReferencesFollowTierNamespaces(t *testing.T) {
	cases := []struct {
		name                         string
		set                          map[string]string
		host, redisNS, peerNamespace string
	}{
		{"release namespace", nil, "nova-postgres-ha-primary.apps.svc.cluster.local", "apps", "apps"},
		{"tier namespaces", map[string]string{"global.tierNamespaces.enabled": "true", "global.tierNamespaces.redis": "nova-redis",
			"global.tierNamespaces.database": "nova-database", "global.tierNamespaces.services": "nova-services", "global.clusterDomain": "k8s.internal"},
			"nova-postgres-ha-primary.nova-database.svc.k8s.internal", "nova-redis", "nova-services"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := probe(t, c.set)
			if data["postgresPrimaryHost"] != c.host {
				t.Errorf("postgres primary host %q, want %q", data["postgresPrimaryHost"], c.host)
			}
			if data["redisNamespace"] != c.redisNS {
				t.Errorf("redis namespace %q, want %q", data["redisNamespace"], c.redisNS)
			}
			var peers []networkingv1.NetworkPolicyPeer
			if err := yaml.UnmarshalStrict([]byte(data["servicesPeer"]), &peers); err != nil {
				t.Fatalf("peer is not a NetworkPolicy peer list: %v\n%s", err, data["servicesPeer"])
			}
			if len(peers) != 1 || peers[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != c.peerNamespace ||
				peers[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "nova-services" || peers[0].PodSelector.MatchLabels["app.kubernetes.io/instance"] != "nova" {
				t.Errorf("services peer %+v, want namespace %s and the release's nova-services pods", peers, c.peerNamespace)
			}
		})
	}
	_, err := render.TemplateE(t, render.Options{ChartDir: render.Path("tests", "testdata", "helpers-probe"), Set: map[string]string{"global.tierNamespaces.enabled": "true"}})
	if err == nil || !strings.Contains(err.Error(), "global.tierNamespaces.database must name a namespace") {
		t.Errorf("tier namespaces on without names: want an error naming the value, got %v", err)
	}
}

func TestImageReference(t *testing.T) {
	cases := []struct {
		set  map[string]string
		want string
	}{
		{nil, "docker.io/library/redis:7.0.15"},
		{map[string]string{"global.imageRegistry": "mirror.local:5000"}, "mirror.local:5000/library/redis:7.0.15"},
		{map[string]string{"image.registry": ""}, "library/redis:7.0.15"},
		{map[string]string{"image.digest": "sha256:" + strings.Repeat("ab", 32)}, "docker.io/library/redis@sha256:" + strings.Repeat("ab", 32)},
	}
	for _, c := range cases {
		if got := probe(t, c.set)["image"]; got != c.want {
			t.Errorf("%v: image %q, want %q", c.set, got, c.want)
		}
	}
	_, err := render.TemplateE(t, render.Options{ChartDir: render.Path("tests", "testdata", "helpers-probe"), Set: map[string]string{"image.tag": "latest"}})
	if err == nil || !strings.Contains(err.Error(), `image.tag: pin an image version (got "latest"`) {
		t.Errorf("latest tag: want a clear refusal, got %v", err)
	}
}
