package manifest

import (
	"reflect"
	"testing"
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
		"# Source: a/templates/one.yaml\nkind: ConfigMap\nmetadata: {name: one}",
		"# Source: a/templates/two.yaml\n# a comment\nkind: Secret\nmetadata: {name: two}",
		"kind: Service\nmetadata: {name: three}",
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
	if len(docs) != 12 || docs[11] != "kind: ConfigMap\nmetadata: {name: cl}" {
		t.Errorf("12 documents out of order: %q", docs)
	}
}
