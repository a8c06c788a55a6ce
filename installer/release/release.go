// Package release runs the Helm actions on the Nova release: deploy (install
// or upgrade), render, rollback, history and uninstall. What it installs is an
// ordinary Helm release, so helm list/upgrade/rollback work on it too.
package release

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/nova-platform/nova/installer/exit"
)

// ProfileLabel is the release label that records the deployment profile.
const ProfileLabel = "nova-profile"

// KubeVersion is what client-only renders assume (the charts need >= 1.28).
var KubeVersion = chartutil.KubeVersion{Version: "v1.37.0", Major: "1", Minor: "37"}

// Offline is a configuration that talks to no cluster: helm's memory storage
// and its no-op kube client, Kubernetes KubeVersion. Renders (`template`,
// `--dry-run`, preflight) and unit tests use it.
func Offline() *action.Configuration {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = KubeVersion
	return &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: caps,
		Log:          func(string, ...any) {},
	}
}

// DeployOptions say what to deploy and how.
type DeployOptions struct {
	Release         string
	Namespace       string
	Chart           *chart.Chart
	Values          map[string]any
	Profile         string // recorded in the release's labels
	CreateNamespace bool
	Wait            bool
	Atomic          bool
	Force           bool // allow a chart downgrade
	Timeout         time.Duration
}

// PendingError: the release is stuck in pending-install/upgrade/rollback.
type PendingError struct {
	Release  string
	Status   release.Status
	Revision int
	Since    time.Time
	Recovery string
}

func (e PendingError) Error() string {
	return fmt.Sprintf("release %q is %s (revision %d, since %s): an operation is running or was interrupted.\n%s",
		e.Release, e.Status, e.Revision, e.Since.UTC().Format(time.RFC3339), e.Recovery)
}

// DowngradeError: the chart is older than the deployed one.
type DowngradeError struct{ Deployed, Requested string }

func (e DowngradeError) Error() string {
	return fmt.Sprintf("chart version %s is older than the deployed %s; rerun with --force to downgrade", e.Requested, e.Deployed)
}

// Last returns the newest revision of a release, or nil when there is none.
func Last(cfg *action.Configuration, name string) (*release.Release, error) {
	rel, err := cfg.Releases.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	return rel, err
}

// RecordedProfile is the profile the last revision was deployed with ("" if none).
func RecordedProfile(cfg *action.Configuration, name string) (string, error) {
	rel, err := Last(cfg, name)
	if rel == nil || err != nil {
		return "", err
	}
	return rel.Labels[ProfileLabel], nil
}

// CheckValues validates values, merged with the chart's defaults, against the
// chart's and every subchart's values.schema.json, as helm does before a
// render. A refusal is the user's input, so it is marked as bad input and
// callers check before they send anything.
func CheckValues(c *chart.Chart, values map[string]any) error {
	merged, err := chartutil.CoalesceValues(c, values)
	if err != nil {
		return exit.BadInput(err)
	}
	if err := chartutil.ValidateAgainstSchema(c, merged); err != nil {
		return exit.BadInput(fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%w", err))
	}
	return nil
}

// Deploy installs the release, or upgrades it when it exists.
func Deploy(cfg *action.Configuration, o DeployOptions) (*release.Release, error) {
	last, err := Last(cfg, o.Release)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	if o.Profile != "" {
		labels[ProfileLabel] = o.Profile
	}
	if last == nil || last.Info.Status == release.StatusUninstalled {
		in := action.NewInstall(cfg)
		in.ReleaseName, in.Namespace = o.Release, o.Namespace
		in.CreateNamespace, in.Wait, in.WaitForJobs, in.Atomic, in.Timeout = o.CreateNamespace, o.Wait, o.Wait, o.Atomic, o.Timeout
		in.Replace = last != nil
		in.Labels = labels
		return in.Run(o.Chart, o.Values)
	}
	if last.Info.Status.IsPending() {
		return nil, pending(cfg, last)
	}
	if deployed, err := cfg.Releases.Deployed(o.Release); err == nil && !o.Force {
		if err := checkDowngrade(deployed.Chart.Metadata.Version, o.Chart.Metadata.Version); err != nil {
			return nil, err
		}
	}
	up := action.NewUpgrade(cfg)
	up.Namespace = o.Namespace
	up.Wait, up.WaitForJobs, up.Atomic, up.Timeout = o.Wait, o.Wait, o.Atomic, o.Timeout
	up.Labels = labels
	up.MaxHistory = 10
	return up.Run(o.Release, o.Chart, o.Values)
}

func checkDowngrade(deployed, requested string) error {
	d, err1 := semver.NewVersion(deployed)
	r, err2 := semver.NewVersion(requested)
	if err1 == nil && err2 == nil && r.LessThan(d) {
		return DowngradeError{Deployed: deployed, Requested: requested}
	}
	return nil
}

func pending(cfg *action.Configuration, last *release.Release) error {
	e := PendingError{Release: last.Name, Status: last.Info.Status, Revision: last.Version, Since: last.Info.LastDeployed.Time}
	if deployed, err := cfg.Releases.Deployed(last.Name); err == nil {
		e.Recovery = fmt.Sprintf("If nothing is running any more: `nova-installer rollback %d` returns to the last deployed revision, then deploy again.", deployed.Version)
	} else {
		e.Recovery = "If nothing is running any more: `nova-installer cleanup` removes the release (data volumes and credentials are kept), then deploy again."
	}
	return e
}

// Render is `helm template`: the manifests of a client-only dry run, hooks
// (helm tests included) after them, in helm template's format.
func Render(cfg *action.Configuration, o DeployOptions) (string, error) {
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace = o.Release, o.Namespace
	in.DryRun, in.DryRunOption, in.ClientOnly, in.Replace = true, "client", true, true
	in.KubeVersion = &KubeVersion
	rel, err := in.Run(o.Chart, o.Values)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	fmt.Fprintln(&out, strings.TrimSpace(rel.Manifest))
	for _, h := range rel.Hooks {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	return out.String(), nil
}

// Rollback returns to a revision (0 = the previous one).
func Rollback(cfg *action.Configuration, name string, revision int, wait bool, timeout time.Duration) error {
	rb := action.NewRollback(cfg)
	rb.Version, rb.Wait, rb.WaitForJobs, rb.Timeout = revision, wait, wait, timeout
	return rb.Run(name)
}

// History lists the revisions of a release, oldest first.
func History(cfg *action.Configuration, name string) ([]*release.Release, error) {
	h := action.NewHistory(cfg)
	h.Max = 256
	rels, err := h.Run(name)
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version < rels[j].Version })
	return rels, err
}

// Uninstall removes the release. Objects annotated helm.sh/resource-policy:
// keep (generated credentials, tier namespaces) and PVCs stay; the returned
// text says what Helm kept.
func Uninstall(cfg *action.Configuration, name string, wait bool, timeout time.Duration) (string, error) {
	un := action.NewUninstall(cfg)
	un.Wait, un.Timeout = wait, timeout
	resp, err := un.Run(name)
	if err != nil {
		return "", err
	}
	return resp.Info, nil
}

// Check is the outcome of one helm test hook.
type Check struct {
	Name  string
	Phase string // Succeeded, Failed, or Unknown when it did not run
}

// Verify runs the release's helm test hooks (the report's verification steps:
// Sentinel quorum and one master, replication slots and replicas in recovery,
// ...) and returns each outcome; err is set when any failed.
func Verify(cfg *action.Configuration, name string, timeout time.Duration) ([]Check, error) {
	rt := action.NewReleaseTesting(cfg)
	rt.Timeout = timeout
	rel, runErr := rt.Run(name)
	if rel == nil {
		return nil, runErr
	}
	var checks []Check
	for _, h := range rel.Hooks {
		if !isTest(h) {
			continue
		}
		phase := h.LastRun.Phase.String()
		if phase == "" {
			phase = "Unknown"
		}
		checks = append(checks, Check{Name: h.Name, Phase: phase})
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i].Name < checks[j].Name })
	return checks, runErr
}

func isTest(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}
