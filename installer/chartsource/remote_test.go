package chartsource

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/repo"

	nova "github.com/nova-platform/nova"
)

// packaged writes the embedded umbrella as a .tgz (what `make package` makes).
func packaged(t *testing.T, dir string) string {
	t.Helper()
	c, err := LoadTree(nova.Charts, "charts", Umbrella)
	require.NoError(t, err)
	file, err := chartutil.Save(c, dir)
	require.NoError(t, err)
	return file
}

func TestPackagedChart(t *testing.T) {
	file := packaged(t, t.TempDir())
	c, err := (&Loader{Embedded: nova.Charts}).Load(Options{Ref: file})
	require.NoError(t, err)
	assert.Equal(t, "nova", c.Name())
	assert.Len(t, c.Dependencies(), 4)
}

// A chart repository served over HTTP, as `--chart nova --repo URL` uses it.
func TestChartFromARepository(t *testing.T) {
	dir := t.TempDir()
	packaged(t, dir)
	index, err := repo.IndexDirectory(dir, "")
	require.NoError(t, err)
	require.NoError(t, index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644))
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	home := t.TempDir()
	settings := cli.New()
	settings.RepositoryConfig = filepath.Join(home, "repositories.yaml")
	settings.RepositoryCache = filepath.Join(home, "cache")
	require.NoError(t, os.MkdirAll(settings.RepositoryCache, 0o755))
	l := &Loader{Embedded: nova.Charts, Settings: settings}
	c, err := l.Load(Options{Ref: "nova", RepoURL: srv.URL, Version: "0.1.0"})
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", c.Metadata.Version)
	assert.Len(t, c.Dependencies(), 4)

	_, err = l.Load(Options{Ref: "nova", RepoURL: srv.URL, Version: "9.9.9"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chart nova")
}
