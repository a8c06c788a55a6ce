package charts

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/nova-platform/nova/tests/render"
)

// schemaDir holds the Kubernetes JSON schemas that `make schemas` generates
// from the k8s.io/kubernetes OpenAPI spec (no download at test time).
func schemaDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NOVA_KUBE_SCHEMAS")
	if dir == "" {
		t.Fatal("NOVA_KUBE_SCHEMAS is not set: run the tests through `make test` (it generates the schemas)")
	}
	if _, err := os.Stat(dir + "/deployment-apps-v1.json"); err != nil {
		t.Fatalf("no Kubernetes schemas in %s: run `make schemas`", dir)
	}
	return dir
}

type kubeconformSummary struct {
	Resources []struct {
		Filename string `json:"filename"`
		Kind     string `json:"kind"`
		Name     string `json:"name"`
		Status   string `json:"status"`
		Msg      string `json:"msg"`
	} `json:"resources"`
	Summary struct {
		Valid   int `json:"valid"`
		Invalid int `json:"invalid"`
		Errors  int `json:"errors"`
		Skipped int `json:"skipped"`
	} `json:"summary"`
}

// kubeconform validates a render strictly (unknown fields, wrong types,
// duplicate keys) and returns its per-resource verdicts.
func kubeconform(t *testing.T, manifest string) kubeconformSummary {
	t.Helper()
	cmd := exec.Command("kubeconform", "-strict", "-summary", "-output", "json", "-verbose",
		"-schema-location", schemaDir(t)+"/{{ .ResourceKind }}{{ .KindSuffix }}.json", "-")
	cmd.Stdin = strings.NewReader(manifest)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var s kubeconformSummary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("kubeconform output is not JSON (%v): %s %s", runErr, stdout.String(), stderr.String())
	}
	return s
}

func assertConforms(t *testing.T, o render.Options) {
	t.Helper()
	m := render.Render(t, o)
	s := kubeconform(t, m.Raw)
	for _, r := range s.Resources {
		if r.Status != "statusValid" {
			t.Errorf("%s %s: %s %s", r.Kind, r.Name, r.Status, r.Msg)
		}
	}
	if s.Summary.Valid != len(m.Objects) || s.Summary.Skipped != 0 {
		t.Errorf("kubeconform validated %d of %d objects (skipped %d)", s.Summary.Valid, len(m.Objects), s.Summary.Skipped)
	}
}

func TestEveryChartAndProfileConformsToKubernetesSchemas(t *testing.T) {
	for _, chart := range render.Charts {
		for _, profile := range append([]string{""}, render.Profiles...) {
			name := chart + "/" + profile
			if profile == "" {
				name = chart + "/defaults"
			}
			t.Run(name, func(t *testing.T) {
				assertConforms(t, render.Options{Chart: chart, Profile: profile})
			})
		}
	}
}

func TestUmbrellaVariantsConform(t *testing.T) {
	variants := map[string]render.Options{
		"consolidated-topology": {Chart: "nova", Profile: "production", Files: []string{"values/topology-consolidated.yaml"}},
		"tier-namespaces":       {Chart: "nova", Profile: "staging", Set: map[string]string{"global.tierNamespaces.enabled": "true"}},
	}
	for name, o := range variants {
		t.Run(name, func(t *testing.T) { assertConforms(t, o) })
	}
}

// The schema check itself must be able to fail: a manifest with an unknown
// field and one with a wrong type are both rejected.
func TestKubeconformRejectsInvalidObjects(t *testing.T) {
	bad := map[string]string{
		"unknown field": "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: []\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: three\n  selector: {}\n  template: {}\n",
	}
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			s := kubeconform(t, doc)
			if s.Summary.Invalid != 1 {
				t.Fatalf("kubeconform accepted an invalid object: %+v", s)
			}
		})
	}
}
