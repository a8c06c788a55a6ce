// Command kubeschema turns the Kubernetes OpenAPI v2 spec (swagger.json) into
// one standalone, strict JSON schema per kind, laid out the way kubeconform's
// schema-location template {{ .ResourceKind }}{{ .KindSuffix }}.json expects.
//
// Usage (from the tools module):
//
//	go run ./kubeschema -spec path/to/swagger.json -out DIR
//
// Each generated file is a draft-04 schema (kubeconform's default draft):
//
//   - The kind's own definition is the document root. Every definition it
//     reaches through "$ref" is copied into a local "definitions" section under
//     its original name, so "#/definitions/X" refs resolve inside the file and
//     recursive types (JSONSchemaProps) need no special handling.
//   - Only validation keywords are kept (type, format, enum, properties,
//     additionalProperties, items, required, pattern, $ref); descriptions and
//     x-kubernetes-* extensions are dropped to keep files small.
//   - Strict: an object schema with "properties" and no "additionalProperties"
//     gets "additionalProperties": false. Maps (labels, annotations, resource
//     lists) keep their additionalProperties schema.
//   - IntOrString accepts a string or an integer; Quantity accepts a number or
//     a string that looks like a quantity ("500m", "1Gi").
//   - Null is accepted for every value below the document root, because Helm
//     renders empty values as null. Since definitions are shared, this also
//     lets array items be null; the API server treats both the same way.
//   - apiVersion and kind at the root are pinned to the kind's group/version.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	intOrStringFormat = "int-or-string"
	quantityName      = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	refPrefix         = "#/definitions/"

	// quantityPattern is the serialized form of resource.Quantity:
	// a signed decimal number with an optional binary/decimal SI suffix or exponent.
	quantityPattern = `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))?$`
)

// schema is a JSON schema (or swagger definition) object.
type schema = map[string]any

// gvk is one entry of a definition's x-kubernetes-group-version-kind list.
type gvk struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// apiVersion returns "group/version", or just "version" for the core group.
func (g gvk) apiVersion() string {
	if g.Group == "" {
		return g.Version
	}
	return g.Group + "/" + g.Version
}

// fileName mirrors kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json:
// the lowercased kind, then "-" + the first dot-separated part of the group
// (omitted for the core group), then "-" + the version.
func fileName(g gvk) string {
	suffix := ""
	if g.Group != "" {
		suffix = "-" + strings.ToLower(strings.Split(g.Group, ".")[0])
	}
	return strings.ToLower(g.Kind) + suffix + "-" + strings.ToLower(g.Version) + ".json"
}

func main() {
	spec := flag.String("spec", "", "path to the Kubernetes OpenAPI v2 swagger.json")
	out := flag.String("out", "", "directory to write the JSON schemas to")
	flag.Parse()
	if *spec == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	n, err := run(*spec, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeschema:", err)
		os.Exit(1)
	}
	fmt.Printf("kubeschema: wrote %d schema files to %s\n", n, *out)
}

// run reads the spec, generates the schemas and writes them to outDir.
func run(specPath, outDir string) (int, error) {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return 0, err
	}
	var spec struct {
		Definitions map[string]schema `json:"definitions"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return 0, fmt.Errorf("parse %s: %w", specPath, err)
	}
	files, err := generate(spec.Definitions)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return 0, err
	}
	for name, s := range files {
		b, err := json.Marshal(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(outDir, name), append(b, '\n'), 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

// generate returns the schema for every kind in defs, keyed by file name.
//
// Skip rule: a definition that lists more than one group/version/kind
// (DeleteOptions, WatchEvent) is a helper type registered in every API group,
// not a resource anyone writes a manifest for, so it is skipped. Any other
// two kinds that map to the same file name are an error, because kubeconform
// could not tell them apart either.
func generate(defs map[string]schema) (map[string]schema, error) {
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)

	files := map[string]schema{}
	owner := map[string]string{}
	for _, name := range names {
		gvks, err := groupVersionKinds(defs[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(gvks) != 1 {
			continue
		}
		file := fileName(gvks[0])
		if prev, ok := owner[file]; ok {
			return nil, fmt.Errorf("%s and %s both map to %s", prev, name, file)
		}
		s, err := kindSchema(defs, name, gvks[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		owner[file] = name
		files[file] = s
	}
	return files, nil
}

// groupVersionKinds decodes the x-kubernetes-group-version-kind extension.
func groupVersionKinds(def schema) ([]gvk, error) {
	raw, ok := def["x-kubernetes-group-version-kind"]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var gvks []gvk
	if err := json.Unmarshal(b, &gvks); err != nil {
		return nil, fmt.Errorf("x-kubernetes-group-version-kind: %w", err)
	}
	return gvks, nil
}

// kindSchema builds the standalone schema document for one kind.
func kindSchema(defs map[string]schema, name string, g gvk) (schema, error) {
	reachable := map[string]bool{}
	if err := collectRefs(defs, defs[name], reachable); err != nil {
		return nil, err
	}

	root := convert(name, defs[name], false)
	root["$schema"] = "http://json-schema.org/draft-04/schema#"
	if props, ok := root["properties"].(schema); ok {
		if _, ok := props["apiVersion"]; ok {
			props["apiVersion"] = schema{"type": "string", "enum": []any{g.apiVersion()}}
		}
		if _, ok := props["kind"]; ok {
			props["kind"] = schema{"type": "string", "enum": []any{g.Kind}}
		}
	}
	if len(reachable) > 0 {
		local := schema{}
		for ref := range reachable {
			local[ref] = convert(ref, defs[ref], true)
		}
		root["definitions"] = local
	}
	return root, nil
}

// collectRefs adds to seen every definition reachable from s through $ref.
// Names already in seen are not walked again, which ends recursion.
func collectRefs(defs map[string]schema, s any, seen map[string]bool) error {
	switch v := s.(type) {
	case schema:
		if ref, ok := v["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, refPrefix)
			if _, ok := defs[name]; !ok || name == ref {
				return fmt.Errorf("unresolvable $ref %q", ref)
			}
			if seen[name] {
				return nil
			}
			seen[name] = true
			return collectRefs(defs, defs[name], seen)
		}
		for _, child := range v {
			if err := collectRefs(defs, child, seen); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range v {
			if err := collectRefs(defs, child, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// convert turns one swagger schema into a strict JSON schema. defName is the
// definition name when s is a whole definition, "" otherwise. nullable adds
// "null" to the allowed types; it is true for everything but the root.
func convert(defName string, s schema, nullable bool) schema {
	if ref, ok := s["$ref"].(string); ok {
		// The target definition is copied under the same name, so the ref
		// stays valid; in draft-04 any sibling of $ref is ignored anyway.
		return schema{"$ref": ref}
	}

	out := schema{}
	var types []any
	switch {
	case s["format"] == intOrStringFormat:
		types = []any{"integer", "string"}
	case defName == quantityName:
		types = []any{"number", "string"}
		out["pattern"] = quantityPattern
	default:
		switch t := s["type"].(type) {
		case string:
			types = []any{t}
		case []any:
			types = append(types, t...)
		}
		if f, ok := s["format"].(string); ok {
			out["format"] = f
		}
	}
	if len(types) > 0 {
		if nullable {
			types = append(types, "null")
		}
		if len(types) == 1 {
			out["type"] = types[0]
		} else {
			out["type"] = types
		}
	}

	if enum, ok := s["enum"].([]any); ok {
		if nullable {
			enum = append(append([]any{}, enum...), nil)
		}
		out["enum"] = enum
	}
	if req, ok := s["required"]; ok {
		out["required"] = req
	}
	if items, ok := s["items"].(schema); ok {
		out["items"] = convert("", items, true)
	}
	if props, ok := s["properties"].(schema); ok {
		converted := schema{}
		for name, p := range props {
			if ps, ok := p.(schema); ok {
				converted[name] = convert("", ps, true)
			}
		}
		out["properties"] = converted
		out["additionalProperties"] = false
	}
	switch ap := s["additionalProperties"].(type) {
	case bool:
		out["additionalProperties"] = ap
	case schema:
		out["additionalProperties"] = convert("", ap, true)
	}
	return out
}
