package release

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/release"
)

func TestNamespaces(t *testing.T) {
	manifest := `---
# Source: nova/templates/namespace.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: nova-database
  annotations:
    helm.sh/resource-policy: keep
---
# Source: nova/charts/redis-sentinel/templates/statefulset-redis.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: nova-redis-sentinel-redis
  namespace: nova-redis
---
# Source: nova/charts/postgres-ha/templates/statefulset-postgres.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: nova-postgres-ha-postgres
  namespace: nova-database
---
# Source: nova/charts/nova-services/templates/configmap-scripts.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: no-namespace
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cluster-scoped
`
	cases := []struct {
		name string
		rel  *release.Release
		want []string
	}{
		{"tier namespaces", &release.Release{Name: "nova", Namespace: "staging", Manifest: manifest},
			[]string{"nova-database", "nova-redis", "staging"}},
		{"release namespace only", &release.Release{Name: "nova", Namespace: "dev", Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"},
			[]string{"dev"}},
		{"object in the release namespace", &release.Release{Name: "nova", Namespace: "dev", Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: dev\n"},
			[]string{"dev"}},
		{"empty manifest", &release.Release{Name: "nova", Namespace: "dev"}, []string{"dev"}},
		{"hooks", &release.Release{Name: "nova", Namespace: "dev", Hooks: []*release.Hook{
			{Name: "ensure", Manifest: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ensure\n  namespace: nova-database\n"}}},
			[]string{"dev", "nova-database"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Namespaces(c.rel))
		})
	}
}

// The umbrella chart's tier namespaces are found in a real release.
func TestNamespacesOfTheChart(t *testing.T) {
	o := options(t, "local")
	o.Namespace = "staging"
	rel, err := Deploy(Offline(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{"staging"}, Namespaces(rel), "by default every object is in the release namespace")

	o = options(t, "local")
	o.Namespace = "staging"
	global, _ := o.Values["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
		o.Values["global"] = global
	}
	global["tierNamespaces"] = map[string]any{"enabled": true, "redis": "st-redis", "database": "st-database", "services": "st-services"}
	rel, err = Deploy(Offline(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{"st-database", "st-redis", "st-services", "staging"}, Namespaces(rel))
}
