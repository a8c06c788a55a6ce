package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nova-platform/nova/tests/cluster"
	"github.com/nova-platform/nova/tests/ociregistry"
)

// The charts as users get them: `helm install` from a chart repository
// (what `make package` publishes) and nova-installer from an OCI registry.
func TestChartSources(t *testing.T) {
	e := newEnv(t, 1)
	root := cluster.RepoRoot()
	dist := t.TempDir()
	// `make package` for the umbrella: its subcharts are already packaged in
	// charts/nova/charts by `make deps`.
	e.mustSucceed(t, e.helm(t, "package", filepath.Join(root, "charts", "nova"), "-d", dist))
	e.mustSucceed(t, e.helm(t, "repo", "index", dist))
	tgz := filepath.Join(dist, "nova-0.1.0.tgz")
	require.FileExists(t, tgz)

	t.Run("helm install from a chart repository", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := &http.Server{Handler: http.FileServer(http.Dir(dist))}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })

		e.mustSucceed(t, e.helm(t, "repo", "add", "nova", "http://"+l.Addr().String()))
		e.mustSucceed(t, e.helm(t, "install", "nova", "nova/nova", "--version", "0.1.0",
			"-f", filepath.Join(root, "values", "local.yaml"), "-n", "from-repo", "--create-namespace", "--wait", "--timeout", "3m"))
		e.requireAllReady(t, "from-repo")
		assertDeployed(t, e, "from-repo")
	})

	t.Run("nova-installer deploy --chart oci://", func(t *testing.T) {
		host := ociregistry.Start(t)
		r := e.mustSucceed(t, e.helm(t, "push", tgz, "oci://"+host+"/charts", "--plain-http"))
		assert.Contains(t, r.stdout+r.stderr, "Digest:")
		e.mustSucceed(t, e.installer(t, "deploy", "--chart", "oci://"+host+"/charts/nova", "--version", "0.1.0", "--plain-http",
			"--profile", "local", "-n", "from-oci", "--create-namespace", "--timeout", "3m"))
		e.requireAllReady(t, "from-oci")
		assertDeployed(t, e, "from-oci")
	})
}

// assertDeployed: helm list in ns (with extra flags, a --selector say) shows
// exactly release nova, deployed, chart nova-0.1.0.
func assertDeployed(t *testing.T, e *env, ns string, extra ...string) {
	t.Helper()
	r := e.mustSucceed(t, e.helm(t, append([]string{"list", "-n", ns, "-o", "json"}, extra...)...))
	var releases []struct{ Name, Status, Chart string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &releases))
	require.Len(t, releases, 1)
	assert.Equal(t, "nova", releases[0].Name)
	assert.Equal(t, "deployed", releases[0].Status)
	assert.Equal(t, "nova-0.1.0", releases[0].Chart)
}
