package release

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	helmvalues "helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/release"

	nova "github.com/nova-platform/nova"
	"github.com/nova-platform/nova/installer/chartsource"
	"github.com/nova-platform/nova/installer/exit"
	"github.com/nova-platform/nova/installer/values"
)

func umbrella(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := chartsource.LoadTree(nova.Charts, "charts", "nova")
	require.NoError(t, err)
	return c
}

func options(t *testing.T, profile string) DeployOptions {
	t.Helper()
	p, err := values.ResolveProfile(nova.Profiles, profile)
	require.NoError(t, err)
	var files helmvalues.Options
	if profile != "local" { // the template of the endpoints the other profiles require
		files.ValueFiles = []string{"../../values/examples/external-endpoints.yaml"}
	}
	vals, err := values.Merge(values.Inputs{Profile: &p, Flags: files})
	require.NoError(t, err)
	return DeployOptions{Release: "nova", Namespace: "nova", Chart: umbrella(t), Values: vals, Profile: profile, Timeout: time.Minute}
}

func TestInstallUpgradeRollbackUninstall(t *testing.T) {
	cfg := Offline()
	rel, err := Deploy(cfg, options(t, "local"))
	require.NoError(t, err)
	assert.Equal(t, 1, rel.Version)
	assert.Equal(t, release.StatusDeployed, rel.Info.Status)
	profile, err := RecordedProfile(cfg, "nova")
	require.NoError(t, err)
	assert.Equal(t, "local", profile, "the profile is recorded in the release")
	assert.Contains(t, rel.Manifest, "kind: StatefulSet")

	rel, err = Deploy(cfg, options(t, "staging"))
	require.NoError(t, err)
	assert.Equal(t, 2, rel.Version, "a second deploy upgrades")
	profile, _ = RecordedProfile(cfg, "nova")
	assert.Equal(t, "staging", profile)

	require.NoError(t, Rollback(cfg, "nova", 1, false, time.Minute))
	hist, err := History(cfg, "nova")
	require.NoError(t, err)
	var states []string
	for _, r := range hist {
		states = append(states, r.Info.Status.String())
	}
	assert.Equal(t, []string{"superseded", "superseded", "deployed"}, states)
	assert.Equal(t, "local", hist[2].Labels[ProfileLabel], "rollback restores revision 1's profile")

	_, err = Uninstall(cfg, "nova", false, time.Minute)
	require.NoError(t, err)
	last, err := Last(cfg, "nova")
	require.NoError(t, err)
	assert.Nil(t, last, "uninstall removes the release history")
}

func TestDowngradeNeedsForce(t *testing.T) {
	cfg := Offline()
	newer := options(t, "local")
	newer.Chart.Metadata.Version = "0.9.0"
	_, err := Deploy(cfg, newer)
	require.NoError(t, err)

	older := options(t, "local")
	_, err = Deploy(cfg, older)
	var down DowngradeError
	require.ErrorAs(t, err, &down)
	assert.Equal(t, "chart version 0.1.0 is older than the deployed 0.9.0; rerun with --force to downgrade", err.Error())

	older.Force = true
	rel, err := Deploy(cfg, older)
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", rel.Chart.Metadata.Version)
}

func TestPendingReleaseIsReportedWithARecovery(t *testing.T) {
	cfg := Offline()
	_, err := Deploy(cfg, options(t, "local"))
	require.NoError(t, err)
	stuck := &release.Release{Name: "nova", Namespace: "nova", Version: 2, Chart: umbrella(t),
		Info: &release.Info{Status: release.StatusPendingUpgrade}}
	require.NoError(t, cfg.Releases.Create(stuck))

	_, err = Deploy(cfg, options(t, "local"))
	var p PendingError
	require.ErrorAs(t, err, &p)
	assert.Contains(t, err.Error(), `release "nova" is pending-upgrade (revision 2`)
	assert.Contains(t, err.Error(), "`nova-installer rollback 1`")
}

func TestFailedFirstInstallCanBeDeployedAgain(t *testing.T) {
	cfg := Offline()
	failed := &release.Release{Name: "nova", Namespace: "nova", Version: 1, Chart: umbrella(t),
		Info: &release.Info{Status: release.StatusFailed}}
	require.NoError(t, cfg.Releases.Create(failed))
	rel, err := Deploy(cfg, options(t, "local"))
	require.NoError(t, err)
	assert.Equal(t, release.StatusDeployed, rel.Info.Status)
	assert.Equal(t, 2, rel.Version)
}

func TestRenderIsHelmTemplateShaped(t *testing.T) {
	out, err := Render(Offline(), options(t, "local"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "---\n# Source: nova/charts/"), out[:80])
	assert.Contains(t, out, "# Source: nova/charts/redis-sentinel/templates/tests/test-connection.yaml", "helm test hooks are rendered like helm template does")
	assert.NotContains(t, out, "nova_core")
}

func TestCheckValuesRefusesWhatASubchartSchemaRefuses(t *testing.T) {
	for _, profile := range []string{"local", "staging", "production"} {
		o := options(t, profile)
		assert.NoError(t, CheckValues(o.Chart, o.Values), profile)
	}
	o := options(t, "local")
	o.Values["redis-sentinel"] = map[string]any{"replicas": 2}
	err := CheckValues(o.Chart, o.Values)
	require.Error(t, err)
	assert.Equal(t, exit.CodeBadInput, exit.Code(err))
	assert.Contains(t, err.Error(), "redis-sentinel")
	assert.Contains(t, err.Error(), "/replicas")
}
