// Package chartsource loads the umbrella chart from wherever the user points:
// the charts embedded in the binary (default), a directory, a packaged .tgz,
// a chart repository (repo/name with --repo) or an OCI registry (oci://).
package chartsource

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/registry"
)

// Umbrella is the name of the umbrella chart.
const Umbrella = "nova"

// Options say where the chart comes from.
type Options struct {
	Ref     string // "" = embedded; a directory, a .tgz, repo/name or oci://...
	Version string // chart version constraint for repositories and registries
	RepoURL string // chart repository URL for a plain name
	// PlainHTTP talks to an OCI registry without TLS (a local test registry).
	PlainHTTP bool
}

// Loader loads charts; Embedded is the file system with charts/<name>/...
type Loader struct {
	Embedded fs.FS
	Settings *cli.EnvSettings
	// Locate resolves repository and OCI references to a local file (helm's
	// ChartPathOptions.LocateChart); replaceable in tests.
	Locate func(ref string, opts Options) (string, error)
}

// Load returns the umbrella chart with its dependencies in place.
func (l *Loader) Load(o Options) (*chart.Chart, error) {
	switch {
	case o.Ref == "":
		return LoadTree(l.Embedded, "charts", Umbrella)
	case isLocal(o.Ref):
		if info, err := os.Stat(o.Ref); err == nil && info.IsDir() {
			return loadDir(o.Ref)
		}
		return loader.Load(o.Ref)
	default:
		locate := l.Locate
		if locate == nil {
			locate = l.locate
		}
		file, err := locate(o.Ref, o)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", o.Ref, err)
		}
		return loader.Load(file)
	}
}

func isLocal(ref string) bool {
	if strings.HasPrefix(ref, "oci://") {
		return false
	}
	_, err := os.Stat(ref)
	return err == nil || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "/")
}

func (l *Loader) locate(ref string, o Options) (string, error) {
	settings := l.Settings
	if settings == nil {
		settings = cli.New()
	}
	cpo := action.ChartPathOptions{Version: o.Version, RepoURL: o.RepoURL}
	if strings.HasPrefix(ref, "oci://") {
		client, err := newRegistryClient(settings, o.PlainHTTP)
		if err != nil {
			return "", err
		}
		install := action.NewInstall(&action.Configuration{RegistryClient: client})
		install.ChartPathOptions = cpo
		install.SetRegistryClient(client)
		return install.LocateChart(ref, settings)
	}
	return cpo.LocateChart(ref, settings)
}

// loadDir loads a chart directory. When its file:// dependencies have not been
// built into charts/, they are assembled from the sibling directories, as in
// this repository's layout (no `helm dependency build` needed).
func loadDir(dir string) (*chart.Chart, error) {
	c, err := loader.Load(dir)
	if err == nil && missingDependencies(c) == nil {
		return c, err
	}
	clean := strings.TrimSuffix(dir, "/")
	return LoadTree(os.DirFS(path.Dir(clean)), ".", path.Base(clean))
}

func missingDependencies(c *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range c.Dependencies() {
		have[d.Name()] = true
	}
	for _, d := range c.Metadata.Dependencies {
		if !have[d.Name] {
			return fmt.Errorf("dependency %s missing", d.Name)
		}
	}
	return nil
}

// LoadTree loads root/name from fsys and, recursively, every file://../<dep>
// dependency from its sibling directory root/<dep>. Built dependencies under
// <chart>/charts/ are ignored.
func LoadTree(fsys fs.FS, root, name string) (*chart.Chart, error) {
	var files []*loader.BufferedFile
	base := path.Join(root, name)
	err := fs.WalkDir(fsys, base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, base), "/")
		if d.IsDir() {
			if rel == "charts" {
				return fs.SkipDir
			}
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", name, err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", name, err)
	}
	for _, dep := range c.Metadata.Dependencies {
		sibling, ok := strings.CutPrefix(dep.Repository, "file://../")
		if !ok {
			return nil, fmt.Errorf("chart %s: dependency %s is not a sibling chart (file://../%s)", name, dep.Name, dep.Name)
		}
		sub, err := LoadTree(fsys, root, sibling)
		if err != nil {
			return nil, err
		}
		if sub.Metadata.Version != dep.Version {
			return nil, fmt.Errorf("chart %s wants %s %s, found %s", name, dep.Name, dep.Version, sub.Metadata.Version)
		}
		c.AddDependency(sub)
	}
	return c, nil
}

func newRegistryClient(settings *cli.EnvSettings, plainHTTP bool) (*registry.Client, error) {
	opts := []registry.ClientOption{
		registry.ClientOptCredentialsFile(settings.RegistryConfig),
		registry.ClientOptEnableCache(true),
	}
	if plainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}
