package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nova-platform/nova/installer/exit"
)

// `deploy --dry-run` prints what the pinned helm binary's `helm template`
// prints for the same chart and values (generated credentials aside), given
// the hook timeout the installer derives from its --timeout (10m).
func TestDryRunEqualsHelmTemplate(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	helm := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(helm); err != nil {
		t.Fatalf("%s is missing: run `make tools`", helm)
	}
	if _, err := os.Stat(filepath.Join(root, "charts", "nova", "charts")); err != nil {
		t.Fatal("charts/nova/charts is missing: run `make deps`")
	}
	for _, inputs := range [][]string{
		{"-f", filepath.Join(root, "values", "local.yaml")},
		{"-f", filepath.Join(root, "values", "production.yaml"), "-f", filepath.Join(root, "values", "examples", "external-endpoints.yaml"),
			"-f", filepath.Join(root, "values", "topology-consolidated.yaml"), "--set", "redis-sentinel.sentinel.quorum=3"},
	} {
		args := append([]string{"template", "nova", filepath.Join(root, "charts", "nova"), "--namespace", "nova", "--set", "global.hookTimeoutSeconds=600"}, inputs...)
		want, err := exec.Command(helm, args...).Output()
		require.NoError(t, err, "helm %v", args)

		h := newHarness(t)
		require.Equal(t, exit.CodeOK, h.run(append([]string{"deploy", "--dry-run", "-n", "nova"}, inputs...)...), h.err.String())
		assert.Equal(t, maskRandom(string(want)), maskRandom(h.out.String()), "inputs %v", inputs)
		assert.Contains(t, maskRandom(string(want)), "maxmemory-policy allkeys-lru", "ConfigMaps are compared, not masked")
	}
}
