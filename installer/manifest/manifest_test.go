package manifest

import (
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestDocumentsInOrderWithoutEmptyOnes(t *testing.T) {
	rendered := `---
# Source: a/templates/empty.yaml
---
# Source: a/templates/one.yaml
kind: ConfigMap
metadata: {name: one}
---
# Source: a/templates/two.yaml
# a comment
kind: Secret
metadata: {name: two}
---

---
kind: Service
metadata: {name: three}
`
	got := Documents(rendered)
	want := []string{
		"# Source: a/templates/one.yaml\nkind: ConfigMap\nmetadata: {name: one}\n",
		"# Source: a/templates/two.yaml\n# a comment\nkind: Secret\nmetadata: {name: two}\n",
		"kind: Service\nmetadata: {name: three}\n",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Documents:\n%q\nwant\n%q", got, want)
	}
	// More than nine documents keep their order (manifest-10 after manifest-9).
	var many string
	for i := 0; i < 12; i++ {
		many += "---\nkind: ConfigMap\nmetadata: {name: c" + string(rune('a'+i)) + "}\n"
	}
	docs := Documents(many)
	if len(docs) != 12 || docs[11] != "kind: ConfigMap\nmetadata: {name: cl}\n" {
		t.Errorf("12 documents out of order: %q", docs)
	}
}

// A file in a ConfigMap that ends the render keeps its last line break
// (HAProxy refuses a config without one).
func TestABlockScalarAtTheEndKeepsItsNewline(t *testing.T) {
	rendered := "---\nkind: ConfigMap\ndata:\n  haproxy.cfg: |\n    global\n    defaults\n"
	docs := Documents(rendered)
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	var cm struct{ Data map[string]string }
	if err := yaml.Unmarshal([]byte(docs[0]), &cm); err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["haproxy.cfg"]; got != "global\ndefaults\n" {
		t.Errorf("haproxy.cfg = %q, want its last line break kept", got)
	}
}
