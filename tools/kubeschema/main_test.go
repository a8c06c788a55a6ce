package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	tests := []struct {
		g    gvk
		want string
	}{
		{gvk{"", "v1", "Service"}, "service-v1.json"},
		{gvk{"apps", "v1", "Deployment"}, "deployment-apps-v1.json"},
		{gvk{"policy", "v1", "PodDisruptionBudget"}, "poddisruptionbudget-policy-v1.json"},
		{gvk{"rbac.authorization.k8s.io", "v1", "Role"}, "role-rbac-v1.json"},
		{gvk{"autoscaling", "v2", "HorizontalPodAutoscaler"}, "horizontalpodautoscaler-autoscaling-v2.json"},
		{gvk{"networking.k8s.io", "v1", "NetworkPolicy"}, "networkpolicy-networking-v1.json"},
		{gvk{"resource.k8s.io", "v1beta2", "DeviceClass"}, "deviceclass-resource-v1beta2.json"},
	}
	for _, tt := range tests {
		if got := fileName(tt.g); got != tt.want {
			t.Errorf("fileName(%+v) = %q, want %q", tt.g, got, tt.want)
		}
	}
}

func TestWritesOneFilePerKind(t *testing.T) {
	schemas := generateFixture(t)
	var got []string
	for name := range schemas {
		got = append(got, name)
	}
	sort.Strings(got)
	// DeleteOptions lists two GVKs and is skipped; non-kinds get no file.
	want := []string{
		"customresourcedefinition-apiextensions-v1.json",
		"deployment-apps-v1.json",
		"role-rbac-v1.json",
		"service-v1.json",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files = %v, want %v", got, want)
	}
}

func TestFileNameCollisionIsAnError(t *testing.T) {
	kind := func(group string) schema {
		return schema{"type": "object", "x-kubernetes-group-version-kind": []any{
			map[string]any{"group": group, "kind": "Widget", "version": "v1"},
		}}
	}
	defs := map[string]schema{"a.Widget": kind("example.com"), "b.Widget": kind("example.org")}
	if _, err := generate(defs); err == nil {
		t.Fatal("expected an error for two kinds mapping to widget-example-v1.json")
	}
}

func TestRefsResolveToLocalDefinitions(t *testing.T) {
	for file, s := range generateFixture(t) {
		defs, _ := s["definitions"].(schema)
		for _, ref := range refsIn(s) {
			if _, ok := defs[strings.TrimPrefix(ref, refPrefix)]; !ok {
				t.Errorf("%s: $ref %s has no local definition", file, ref)
			}
		}
		// Only what the kind reaches is copied.
		for name := range defs {
			if strings.HasSuffix(name, ".Unused") || strings.HasSuffix(name, ".DeleteOptions") {
				t.Errorf("%s: unreachable definition %s copied", file, name)
			}
		}
	}
	service := generateFixture(t)["service-v1.json"]
	serviceDefs, _ := service["definitions"].(schema)
	if _, ok := serviceDefs["io.k8s.api.core.v1.PodSpec"]; ok {
		t.Error("service-v1.json contains PodSpec, which Service does not reference")
	}
}

func TestDeployment(t *testing.T) {
	s := generateFixture(t)["deployment-apps-v1.json"]
	valid := `{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "web", "labels": {"app": "web", "any/key": "x"}, "creationTimestamp": null},
		"spec": {"replicas": 2, "template": {"nodeSelector": null, "containers": [
			{"name": "web", "port": 8080, "limits": {"cpu": 1, "memory": "1Gi"}, "pullPolicy": "Always"},
			{"name": "side", "port": "http", "limits": {"cpu": "500m", "memory": 1.5}, "pullPolicy": null}]}}}`
	expectValid(t, s, valid)

	invalid := map[string]string{
		"unknown field in pod spec": `{"spec": {"template": {"containers": [], "foo": "bar"}}}`,
		"unknown top-level field":   `{"spec": {"template": {"containers": []}}, "bogus": 1}`,
		"replicas as a word":        `{"spec": {"replicas": "three", "template": {"containers": []}}}`,
		"missing required spec":     `{"kind": "Deployment"}`,
		"missing container name":    `{"spec": {"template": {"containers": [{"port": 80}]}}}`,
		"port as a boolean":         `{"spec": {"template": {"containers": [{"name": "a", "port": true}]}}}`,
		"port as a float":           `{"spec": {"template": {"containers": [{"name": "a", "port": 80.5}]}}}`,
		"cpu as a word":             `{"spec": {"template": {"containers": [{"name": "a", "limits": {"cpu": "lots"}}]}}}`,
		"cpu as a list":             `{"spec": {"template": {"containers": [{"name": "a", "limits": {"cpu": [1]}}]}}}`,
		"enum value":                `{"spec": {"template": {"containers": [{"name": "a", "pullPolicy": "Sometimes"}]}}}`,
		"wrong kind":                `{"kind": "StatefulSet", "spec": {"template": {"containers": []}}}`,
		"wrong apiVersion":          `{"apiVersion": "apps.example.com/v1", "spec": {"template": {"containers": []}}}`,
		"null document root":        `null`,
	}
	for name, doc := range invalid {
		t.Run(name, func(t *testing.T) { expectInvalid(t, s, doc) })
	}
}

func TestStrictAndMaps(t *testing.T) {
	s := generateFixture(t)["deployment-apps-v1.json"]
	defs := s["definitions"].(schema)
	for _, name := range []string{"io.k8s.api.core.v1.PodSpec", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"} {
		if ap := defs[name].(schema)["additionalProperties"]; ap != false {
			t.Errorf("%s: additionalProperties = %v, want false", name, ap)
		}
	}
	labels := defs["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].(schema)["properties"].(schema)["labels"].(schema)
	if ap, ok := labels["additionalProperties"].(schema); !ok || ap["type"] == nil {
		t.Errorf("labels must stay a map of strings, got %v", labels)
	}
}

func TestRecursiveTypes(t *testing.T) {
	s := generateFixture(t)["customresourcedefinition-apiextensions-v1.json"]
	expectValid(t, s, `{"schema": {"type": "object", "properties": {
		"list": {"type": "array", "items": {"type": "object", "properties": {"leaf": {"type": "string"}}}}}}}`)
	expectInvalid(t, s, `{"schema": {"properties": {"list": {"items": {"properties": {"leaf": {"typo": "string"}}}}}}}`)
}

func TestRoleKeepsCoreTypes(t *testing.T) {
	s := generateFixture(t)["role-rbac-v1.json"]
	expectValid(t, s, `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "rules": ["a", null]}`)
	expectInvalid(t, s, `{"apiVersion": "rbac.authorization.k8s.io/v1", "rules": [1]}`)
	if _, ok := s["definitions"]; ok {
		t.Error("role-rbac-v1.json references nothing, so it needs no definitions section")
	}
}

// generateFixture runs the program on testdata/swagger.json and reads the
// written files back. A generator that loops on recursive types fails here
// instead of hanging the test binary.
func generateFixture(t *testing.T) map[string]schema {
	t.Helper()
	dir := t.TempDir()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := run(filepath.Join("testdata", "swagger.json"), dir)
		done <- result{n, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("generation did not finish; recursive type handling loops?")
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != res.n {
		t.Fatalf("run reported %d files, wrote %d", res.n, len(entries))
	}
	out := map[string]schema{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var s schema
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = s
	}
	return out
}

func refsIn(v any) []string {
	var refs []string
	switch v := v.(type) {
	case schema:
		if ref, ok := v["$ref"].(string); ok {
			refs = append(refs, ref)
		}
		for _, child := range v {
			refs = append(refs, refsIn(child)...)
		}
	case []any:
		for _, child := range v {
			refs = append(refs, refsIn(child)...)
		}
	}
	return refs
}

func expectValid(t *testing.T, s schema, doc string) {
	t.Helper()
	if err := validate(s, s, decode(t, doc), ""); err != nil {
		t.Errorf("expected valid, got %v\ndocument: %s", err, doc)
	}
}

func expectInvalid(t *testing.T, s schema, doc string) {
	t.Helper()
	if err := validate(s, s, decode(t, doc), ""); err == nil {
		t.Errorf("expected a validation error for %s", doc)
	}
}

func decode(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("bad test document %s: %v", doc, err)
	}
	return v
}

// validate is a small draft-04 validator covering only the keywords the
// generator emits, so the tests need no third-party module. kubeconform's real
// validator is exercised end to end outside these tests.
func validate(root, s schema, v any, path string) error {
	if ref, ok := s["$ref"].(string); ok {
		defs, _ := root["definitions"].(schema)
		target, ok := defs[strings.TrimPrefix(ref, refPrefix)].(schema)
		if !ok {
			return fmt.Errorf("%s: unresolved $ref %s", path, ref)
		}
		return validate(root, target, v, path)
	}
	if t, ok := s["type"]; ok && !typeAllowed(t, v) {
		return fmt.Errorf("%s: %v is not of type %v", path, v, t)
	}
	if enum, ok := s["enum"].([]any); ok && !contains(enum, v) {
		return fmt.Errorf("%s: %v not in %v", path, v, enum)
	}
	if p, ok := s["pattern"].(string); ok {
		if str, ok := v.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", path, str, p)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := v[r.(string)]; !ok {
					return fmt.Errorf("%s: missing required %v", path, r)
				}
			}
		}
		props, _ := s["properties"].(schema)
		for key, child := range v {
			if ps, ok := props[key].(schema); ok {
				if err := validate(root, ps, child, path+"/"+key); err != nil {
					return err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: unknown field %q", path, key)
				}
			case schema:
				if err := validate(root, ap, child, path+"/"+key); err != nil {
					return err
				}
			}
		}
	case []any:
		if items, ok := s["items"].(schema); ok {
			for i, child := range v {
				if err := validate(root, items, child, fmt.Sprintf("%s/%d", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func typeAllowed(t, v any) bool {
	allowed, ok := t.([]any)
	if !ok {
		allowed = []any{t}
	}
	for _, a := range allowed {
		switch a {
		case "null":
			if v == nil {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "integer":
			if f, ok := v.(float64); ok && f == float64(int64(f)) {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		}
	}
	return false
}

func contains(list []any, v any) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
