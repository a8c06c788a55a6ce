package values

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	helmvalues "helm.sh/helm/v3/pkg/cli/values"

	nova "github.com/nova-platform/nova"

	"github.com/nova-platform/nova/installer/exit"
)

func TestEmbeddedProfiles(t *testing.T) {
	ps, err := Profiles(nova.Profiles)
	require.NoError(t, err)
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		assert.NotEmpty(t, p.Description, p.Name)
	}
	assert.Equal(t, []string{"local", "production", "staging", "gitops", "topology-consolidated"}, names)
	p, err := ResolveProfile(nova.Profiles, "local")
	require.NoError(t, err)
	assert.Contains(t, p.Description, "one-node laptop cluster")
}

func TestUnknownProfileListsTheValidOnes(t *testing.T) {
	_, err := ResolveProfile(nova.Profiles, "prod")
	require.Error(t, err)
	assert.Equal(t, exit.CodeBadInput, exit.Code(err))
	assert.Equal(t, `unknown profile "prod": use one of local, production, staging, or a values file path`, err.Error())
}

// Precedence: profile < -f files in order < --set flags.
func TestValuesPrecedence(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	profile := &Profile{Name: "p", Data: []byte("a: profile\nb: profile\nc: profile\nd: profile\nnested: {x: profile, z: profile}\n")}
	f1 := write("1.yaml", "b: file1\nc: file1\nd: file1\nnested: {x: file1}\n")
	f2 := write("2.yaml", "c: file2\nd: file2\n")
	cases := []struct {
		name  string
		flags helmvalues.Options
		want  map[string]any
	}{
		{"profile only", helmvalues.Options{}, map[string]any{"a": "profile", "b": "profile", "c": "profile", "d": "profile"}},
		{"files in order", helmvalues.Options{ValueFiles: []string{f1, f2}}, map[string]any{"a": "profile", "b": "file1", "c": "file2", "d": "file2"}},
		{"set wins", helmvalues.Options{ValueFiles: []string{f1, f2}, Values: []string{"d=set"}}, map[string]any{"b": "file1", "c": "file2", "d": "set"}},
		{"set-string", helmvalues.Options{StringValues: []string{"a=007"}}, map[string]any{"a": "007"}},
		{"set-json", helmvalues.Options{JSONValues: []string{`a={"k":1}`}}, map[string]any{"a": map[string]any{"k": float64(1)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Merge(Inputs{Profile: profile, Flags: c.flags})
			require.NoError(t, err)
			for k, v := range c.want {
				assert.Equal(t, v, got[k], k)
			}
		})
	}
	got, err := Merge(Inputs{Profile: profile, Flags: helmvalues.Options{ValueFiles: []string{f1}}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"x": "file1", "z": "profile"}, got["nested"], "maps merge key by key")
}

func TestBadValuesInputs(t *testing.T) {
	cases := map[string]helmvalues.Options{
		"unreadable file": {ValueFiles: []string{"/nonexistent/values.yaml"}},
		"bad --set":       {Values: []string{"a.b[=1"}},
	}
	for name, flags := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Merge(Inputs{Flags: flags})
			require.Error(t, err)
			assert.Equal(t, exit.CodeBadInput, exit.Code(err))
		})
	}
	_, err := Merge(Inputs{Flags: helmvalues.Options{ValueFiles: []string{"/nonexistent/values.yaml"}}})
	assert.True(t, strings.Contains(err.Error(), "/nonexistent/values.yaml"), err.Error())
}

// A profile file is recorded as "custom": a path is no valid label value.
func TestProfileFromAFile(t *testing.T) {
	p, err := ResolveProfile(nova.Profiles, "../../values/staging.yaml")
	require.NoError(t, err)
	assert.True(t, p.File)
	assert.Equal(t, "custom", p.Label())
	named, err := ResolveProfile(nova.Profiles, "staging")
	require.NoError(t, err)
	assert.Equal(t, "staging", named.Label())
	assert.Equal(t, named.Data, p.Data)
}
