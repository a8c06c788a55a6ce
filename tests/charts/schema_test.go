package charts

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/nova-platform/nova/tests/render"
)

// Bad values fail the install with a message that names the field.
func TestSchemasRejectBadValuesNamingTheField(t *testing.T) {
	cases := []struct {
		chart, name string
		set         map[string]string
		want        []string
	}{
		{"redis-sentinel", "even member count", map[string]string{"replicas": "2"}, []string{"/replicas"}},
		{"redis-sentinel", "too few members", map[string]string{"replicas": "1"}, []string{"/replicas", "minimum"}},
		{"redis-sentinel", "wrong type", map[string]string{"persistence.size": "5"}, []string{"/persistence/size"}},
		{"redis-sentinel", "unknown field", map[string]string{"replicaCount": "3"}, []string{"replicaCount", "not allowed"}},
		{"redis-sentinel", "latest tag", map[string]string{"image.tag": "latest"}, []string{"/image/tag"}},
		{"postgres-ha", "too few etcd members", map[string]string{"etcd.replicas": "1"}, []string{"/etcd/replicas"}},
		{"postgres-ha", "bad anti-affinity", map[string]string{"antiAffinity": "sometimes"}, []string{"/antiAffinity"}},
		{"nova-services", "port out of range", map[string]string{"services.user-service.port": "70000"}, []string{"/services/user-service/port", "maximum"}},
		{"nova-services", "unknown database", map[string]string{"services.user-service.database": "nova_core"}, []string{"/services/user-service/database"}},
		{"nova-services", "unknown service field", map[string]string{"services.user-service.replica": "2"}, []string{"replica", "not allowed"}},
		{"nova", "bad global anti-affinity", map[string]string{"global.antiAffinity": "sometimes"}, []string{"/global/antiAffinity"}},
		{"nova", "unknown top-level field", map[string]string{"redis": "x"}, []string{"redis", "not allowed"}},
		{"nova", "subchart schema applies through the umbrella", map[string]string{"redis-sentinel.replicas": "4"}, []string{"redis-sentinel", "/replicas"}},
		{"nova", "tier namespace name", map[string]string{"global.tierNamespaces.redis": "Bad_Name"}, []string{"/global/tierNamespaces/redis"}},
	}
	for _, c := range cases {
		t.Run(c.chart+"/"+c.name, func(t *testing.T) {
			_, err := render.TemplateE(t, render.Options{Chart: c.chart, Set: c.set})
			if err == nil {
				t.Fatalf("values %v were accepted", c.set)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// The global block is defined once (charts/nova-common/global.schema.json);
// every chart's schema must carry exactly that block.
func TestGlobalSchemaIsTheSameInEveryChart(t *testing.T) {
	want := readJSON(t, render.Path("charts", "nova-common", "global.schema.json"))
	for _, chart := range render.Charts {
		schema := readJSON(t, render.Path("charts", chart, "values.schema.json"))
		got := schema["properties"].(map[string]any)["global"]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("charts/%s/values.schema.json: properties.global differs from charts/nova-common/global.schema.json; copy the fragment", chart)
		}
	}
}

// The definitions the charts share (image, resources, persistence, pdb, ...)
// are defined once (charts/nova-common/definitions.schema.json); a chart's
// schema carries the ones it uses, each exactly as there, and defines no
// other of its own under a shared name.
func TestSharedSchemaDefinitionsAreTheFragments(t *testing.T) {
	shared := readJSON(t, render.Path("charts", "nova-common", "definitions.schema.json"))["definitions"].(map[string]any)
	if len(shared) == 0 {
		t.Fatal("charts/nova-common/definitions.schema.json defines nothing")
	}
	for _, chart := range render.Charts {
		raw, err := os.ReadFile(render.Path("charts", chart, "values.schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		defs, _ := readJSON(t, render.Path("charts", chart, "values.schema.json"))["definitions"].(map[string]any)
		for name, want := range shared {
			got, ok := defs[name]
			if !ok {
				if strings.Contains(string(raw), `"#/definitions/`+name+`"`) {
					t.Errorf("charts/%s/values.schema.json refers to definition %s but does not carry it", chart, name)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("charts/%s/values.schema.json: definitions.%s differs from charts/nova-common/definitions.schema.json; copy the fragment", chart, name)
			}
		}
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// Rules the JSON schema cannot express are enforced by the templates, with
// messages that name the values.
func TestRedisTemplateChecks(t *testing.T) {
	cases := map[string]struct {
		set  map[string]string
		want string
	}{
		"quorum above replicas":   {map[string]string{"sentinel.quorum": "4"}, "sentinel.quorum (4) must not exceed replicas (3)"},
		"quorum not a majority":   {map[string]string{"replicas": "5", "sentinel.quorum": "2"}, "sentinel.quorum (2) must be a majority of replicas (5)"},
		"negative timeout":        {map[string]string{"sentinel.downAfterMilliseconds": "-1"}, "/sentinel/downAfterMilliseconds"},
		"two members":             {map[string]string{"replicas": "2"}, "/replicas"},
		"unreadable memory limit": {map[string]string{"resources.limits.memory": "lots"}, "/resources/limits/memory"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := render.TemplateE(t, render.Options{Chart: "redis-sentinel", Set: c.set})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}
