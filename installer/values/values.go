// Package values holds the deployment profiles (values/*.yaml, embedded in the
// binary) and merges the values of a deployment in helm's order:
// chart defaults < profile < -f files (in order) < --set, --set-string,
// --set-file, --set-json.
package values

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/exit"
)

// Profile is one values/*.yaml file.
type Profile struct {
	Name        string
	Description string // the first comment line of the file
	Preset      bool   // a preset combines with a profile: its leading comment starts "# Preset "
	File        bool   // read from a path the user gave, not built in
	Data        []byte
}

// Label is how the release records the profile: its name, or "custom" for a
// file (a path is no valid label value).
func (p Profile) Label() string {
	if p.File {
		return "custom"
	}
	return p.Name
}

// Profiles lists the embedded profiles, then the presets, by name.
func Profiles(fsys fs.FS) ([]Profile, error) {
	names, err := fs.Glob(fsys, "values/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []Profile
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(path.Base(n), ".yaml")
		out = append(out, Profile{Name: name, Description: firstComment(data), Preset: bytes.HasPrefix(data, []byte("# Preset ")), Data: data})
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Preset && out[j].Preset })
	return out, nil
}

// firstComment is the first sentence of the file's leading comment, without
// a "Profile "x": " or "Preset "x": " prefix.
func firstComment(data []byte) string {
	var words []string
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		words = append(words, strings.Fields(strings.TrimLeft(line, "#"))...)
	}
	text := strings.Join(words, " ")
	if i := strings.Index(text, ". "); i >= 0 {
		text = text[:i+1]
	}
	if i := strings.Index(text, `": `); i >= 0 && (strings.HasPrefix(text, "Profile ") || strings.HasPrefix(text, "Preset ")) {
		text = text[i+3:]
	}
	return text
}

// ResolveProfile finds a profile by name, or reads it from a file path.
func ResolveProfile(fsys fs.FS, nameOrPath string) (Profile, error) {
	if strings.ContainsAny(nameOrPath, "/.") {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return Profile{}, exit.BadInput(fmt.Errorf("profile file %s: %w", nameOrPath, err))
		}
		return Profile{Name: nameOrPath, File: true, Data: data}, nil
	}
	all, err := Profiles(fsys)
	if err != nil {
		return Profile{}, err
	}
	var names []string
	for _, p := range all {
		if p.Name == nameOrPath && !p.Preset {
			return p, nil
		}
		if !p.Preset {
			names = append(names, p.Name)
		}
	}
	return Profile{}, exit.BadInput(fmt.Errorf("unknown profile %q: use one of %s, or a values file path", nameOrPath, strings.Join(names, ", ")))
}

// Inputs are what a deployment's values come from.
type Inputs struct {
	Profile *Profile       // nil: none
	Flags   values.Options // -f, --set, --set-string, --set-file, --set-json
}

// Merge returns the user-supplied values: the profile, then -f files in
// order, then the --set flags (helm merges these over the chart defaults).
func Merge(in Inputs) (map[string]any, error) {
	base := map[string]any{}
	if in.Profile != nil {
		if err := yaml.Unmarshal(in.Profile.Data, &base); err != nil {
			return nil, exit.BadInput(fmt.Errorf("profile %s: %w", in.Profile.Name, err))
		}
		if base == nil {
			base = map[string]any{}
		}
	}
	for _, f := range in.Flags.ValueFiles {
		if _, err := os.Stat(f); err != nil && !strings.Contains(f, "://") {
			return nil, exit.BadInput(fmt.Errorf("values file %s: %w", f, err))
		}
	}
	user, err := in.Flags.MergeValues(getter.All(cli.New()))
	if err != nil {
		return nil, exit.BadInput(err)
	}
	return Deep(base, user), nil
}

// HookTimeoutKey is the umbrella chart's global value that tells its hook
// Jobs Helm's --timeout (they end 10 s before it, with their own message).
const HookTimeoutKey = "hookTimeoutSeconds"

// minHookTimeout is the chart schema's minimum of global.hookTimeoutSeconds.
const minHookTimeout = 60 * time.Second

// WithHookTimeout returns v with global.hookTimeoutSeconds set to timeout
// (at least the chart's minimum), unless the user set it.
func WithHookTimeout(v map[string]any, timeout time.Duration) map[string]any {
	global, _ := v["global"].(map[string]any)
	if _, set := global[HookTimeoutKey]; set {
		return v
	}
	if timeout < minHookTimeout {
		timeout = minHookTimeout
	}
	return Deep(v, map[string]any{"global": map[string]any{HookTimeoutKey: int(timeout / time.Second)}})
}

// Deep merges b over a: maps merge key by key, anything else in b replaces a.
func Deep(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = Deep(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
