package charts

import (
	"strings"
	"testing"
)

func TestUmbrellaNotesNameEveryTierAndItsNamespace(t *testing.T) {
	cases := map[string]struct {
		values map[string]any
		want   []string
	}{
		"release namespace": {map[string]any{}, []string{
			`release "nova"`, "redis-sentinel  namespace nova", "postgres-ha     namespace nova", "nova-services   namespace nova",
			"app.kubernetes.io/instance=nova", "Credentials: generated once by the charts"}},
		"gitops": {map[string]any{"global": map[string]any{"credentials": map[string]any{"source": "hook"}}},
			[]string{"Credentials: each missing Secret is created by the hook Jobs nova-<chart>-credentials"}},
		"external": {map[string]any{"global": map[string]any{"credentials": map[string]any{"source": "external"}}},
			[]string{"Credentials: from your secret manager (global.credentials.source=external): pods wait"}},
		"tier namespaces, one tier off": {map[string]any{
			"global":        map[string]any{"tierNamespaces": map[string]any{"enabled": true}},
			"nova-services": map[string]any{"enabled": false}},
			[]string{"redis-sentinel  namespace nova-redis", "postgres-ha     namespace nova-database", "nova-services   disabled"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := renderWithEngine(t, "nova", c.values, newFakeCluster())
			if err != nil {
				t.Fatal(err)
			}
			notes := out["nova/templates/NOTES.txt"]
			for _, w := range c.want {
				if !strings.Contains(notes, w) {
					t.Errorf("NOTES lack %q:\n%s", w, notes)
				}
			}
		})
	}
}
