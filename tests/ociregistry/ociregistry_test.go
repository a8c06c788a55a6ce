package ociregistry

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/registry"

	nova "github.com/nova-platform/nova"
	"github.com/nova-platform/nova/installer/chartsource"
)

// packaged writes the embedded umbrella chart as a .tgz (what `make package`
// makes) into dir and returns its path.
func packaged(t *testing.T, dir string) string {
	t.Helper()
	c, err := chartsource.LoadTree(nova.Charts, "charts", chartsource.Umbrella)
	require.NoError(t, err)
	file, err := chartutil.Save(c, dir)
	require.NoError(t, err)
	return file
}

// settings is a helm environment that reads and writes only under a
// temporary directory.
func settings(t *testing.T) *cli.EnvSettings {
	t.Helper()
	home := t.TempDir()
	s := cli.New()
	s.RepositoryConfig = filepath.Join(home, "repositories.yaml")
	s.RepositoryCache = filepath.Join(home, "cache")
	s.RegistryConfig = filepath.Join(home, "registry", "config.json")
	require.NoError(t, os.MkdirAll(s.RepositoryCache, 0o755))
	return s
}

// Pushed with helm's registry client, pulled back with the installer's loader,
// as `nova-installer deploy --chart oci://... --plain-http` does.
func TestPushAndLoadChart(t *testing.T) {
	host := Start(t)
	data, err := os.ReadFile(packaged(t, t.TempDir()))
	require.NoError(t, err)

	client, err := registry.NewClient(
		registry.ClientOptPlainHTTP(),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	)
	require.NoError(t, err)
	result, err := client.Push(data, host+"/charts/nova:0.1.0")
	require.NoError(t, err)
	assert.Equal(t, host+"/charts/nova:0.1.0", result.Ref)

	ref := "oci://" + host + "/charts/nova"
	l := &chartsource.Loader{Embedded: nova.Charts, Settings: settings(t)}
	c, err := l.Load(chartsource.Options{Ref: ref, Version: "0.1.0", PlainHTTP: true})
	require.NoError(t, err)
	assert.Equal(t, "nova", c.Name())
	assert.Equal(t, "0.1.0", c.Metadata.Version)
	assert.Len(t, c.Dependencies(), 4)

	_, err = l.Load(chartsource.Options{Ref: ref, Version: "9.9.9", PlainHTTP: true})
	require.Error(t, err)
	t.Logf("missing version: %v", err)
	assert.Contains(t, err.Error(), ref)
}

// The pinned helm binary (`make tools`) pushes to and reads from the registry.
func TestHelmCLIPushAndShow(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	helm := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(helm); err != nil {
		t.Skipf("%s not found (run `make tools` to install the pinned helm): %v", helm, err)
	}

	host := Start(t)
	tgz := packaged(t, t.TempDir())
	home := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(helm, args...)
		cmd.Env = append(os.Environ(),
			"HELM_REGISTRY_CONFIG="+filepath.Join(home, "registry", "config.json"),
			"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
			"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
			"HELM_DATA_HOME="+filepath.Join(home, "data"),
		)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "helm %v:\n%s", args, out)
		return string(out)
	}

	run("push", tgz, "oci://"+host+"/charts", "--plain-http")
	out := run("show", "chart", "oci://"+host+"/charts/nova", "--version", "0.1.0", "--plain-http")
	assert.Contains(t, out, "name: nova")
	assert.Contains(t, out, "version: 0.1.0")
}
