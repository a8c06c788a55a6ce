package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chartutil"
	releasepkg "helm.sh/helm/v3/pkg/release"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/exit"
	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

// DeployOptions are the flags of `deploy`. --create-namespace, --wait,
// --atomic, --force and --timeout are bound straight onto the options
// release.Deploy takes; the rest of them is resolved by Complete.
type DeployOptions struct {
	renderOptions
	Action     release.DeployOptions
	DryRun     string // "", "manifest" or "values"
	SkipChecks []string
}

// NewDeployOptions are deploy's defaults: wait, no atomic rollback.
func NewDeployOptions(streams Streams) *DeployOptions {
	return &DeployOptions{renderOptions: newRenderOptions(streams),
		Action: release.DeployOptions{Wait: true, Timeout: defaultTimeout}}
}

func newDeployCmd(env *Env) *cobra.Command {
	o := NewDeployOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Install or upgrade the Nova release with a profile",
		Example: `  nova-installer deploy --profile local
  nova-installer deploy --profile production -f prod-overrides.yaml --set nova-services.rustLog=debug
  nova-installer deploy --profile local --dry-run          # manifests to stdout
  nova-installer deploy --profile local --dry-run=values   # merged values to stdout`,
		Args: cobra.NoArgs,
		RunE: run(env, o),
	}
	o.addFlags(cmd.Flags())
	f := cmd.Flags()
	f.BoolVar(&o.Action.CreateNamespace, "create-namespace", false, "create the release namespace if missing")
	f.BoolVar(&o.Action.Wait, "wait", o.Action.Wait, "wait until every workload is ready")
	f.BoolVar(&o.Action.Atomic, "atomic", false, "roll back (or uninstall a first install) when the deploy fails")
	f.BoolVar(&o.Action.Force, "force", false, "allow deploying an older chart version than the deployed one")
	f.DurationVar(&o.Action.Timeout, "timeout", o.Action.Timeout, "how long to wait (for each hook Job too; they end 10 s before it)")
	f.StringVar(&o.DryRun, "dry-run", "", `"manifest" (or no value): print the manifests; "values": print the merged values; nothing is sent`)
	f.Lookup("dry-run").NoOptDefVal = "manifest"
	addSkipFlag(cmd, &o.SkipChecks)
	return cmd
}

// Complete finds the Helm configuration (none for a dry run: nothing is
// sent), the profile (on upgrade, the recorded one unless told otherwise),
// the values and the chart.
func (o *DeployOptions) Complete(env *Env, _ []string) error {
	if o.DryRun != "" {
		o.completeOffline(env)
	} else if err := o.complete(env); err != nil {
		return err
	}
	if o.Profile == "" && o.DryRun == "" {
		if recorded, err := release.RecordedProfile(o.Config, o.Release); err == nil && recorded != "" && recorded != "custom" {
			o.Profile = recorded
			fmt.Fprintf(o.Err, "Using profile %q recorded in release %q.\n", recorded, o.Release)
		}
	}
	if err := o.resolve(&o.Action); err != nil {
		return err
	}
	// The charts' hook Jobs end before Helm's timeout, with their own message.
	o.Action.Values = values.WithHookTimeout(o.Action.Values, o.Action.Timeout)
	return nil
}

// Validate checks the flags.
func (o *DeployOptions) Validate() error {
	switch o.DryRun {
	case "", "manifest", "values":
		return nil
	}
	return badInput(fmt.Errorf(`--dry-run=%s: use --dry-run (manifests) or --dry-run=values`, o.DryRun))
}

// Run deploys, or prints what it would deploy.
func (o *DeployOptions) Run() error {
	d := o.Action
	switch o.DryRun {
	case "values":
		merged, err := chartutil.CoalesceValues(d.Chart, d.Values)
		if err != nil {
			return badInput(err)
		}
		out, err := yaml.Marshal(merged)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(out)
		return err
	case "manifest":
		fmt.Fprintf(o.Err, "Rendering release %q (profile %q) without contacting the cluster.\n", o.Release, d.Profile)
		manifest, err := release.Render(o.Config, d)
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(o.Out, manifest)
		return err
	}
	if err := o.preflight(d, o.SkipChecks, output.Table); err != nil {
		return err
	}
	if d.CreateNamespace {
		if err := ensureNamespace(o.env, o.Namespace); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.Err, "Deploying release %q to namespace %q (profile %q, chart %s %s)...\n",
		o.Release, o.Namespace, d.Profile, d.Chart.Metadata.Name, d.Chart.Metadata.Version)
	rel, err := o.deploy(d)
	if err != nil {
		if refused(err) {
			return err
		}
		failed := deployFailed(o.Release, o.Namespace, err)
		if why := explain(o.env, o.Config, o.Release, o.Namespace); why != "" {
			return fmt.Errorf("%w%s", failed, why)
		}
		return failed
	}
	fmt.Fprintf(o.Out, "Release %q revision %d: %s\n", rel.Name, rel.Version, rel.Info.Status)
	if rel.Info.Notes != "" {
		fmt.Fprintf(o.Out, "\n%s\n", rel.Info.Notes)
	}
	return nil
}

// deploy runs release.Deploy, printing the workloads' progress while it
// waits (when the cluster's API is at hand).
func (o *DeployOptions) deploy(d release.DeployOptions) (*releasepkg.Release, error) {
	if !d.Wait {
		return release.Deploy(o.Config, d)
	}
	client, err := o.env.KubeClient()
	if err != nil {
		return release.Deploy(o.Config, d)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { watchProgress(client, o.Config, o.Release, o.Namespace, o.Err, stop); close(done) }()
	defer func() { close(stop); <-done }()
	return release.Deploy(o.Config, d)
}

// refused: the deploy stopped before changing anything (bad input, a pending
// release, a downgrade), so there is nothing to recover.
func refused(err error) bool {
	var pending release.PendingError
	var downgrade release.DowngradeError
	return exit.Code(err) == exit.CodeBadInput || errors.As(err, &pending) || errors.As(err, &downgrade)
}

// deployFailed adds what to do next to a failed deploy.
func deployFailed(name, ns string, err error) error {
	if refused(err) {
		return err
	}
	where := fmt.Sprintf("--release %s -n %s", name, ns)
	return fmt.Errorf("%w\nThe release may be half-deployed. Inspect: nova-installer history %s; "+
		"recover: nova-installer rollback %s (to the last good revision) or nova-installer cleanup %s (keeps data volumes and credentials)",
		err, where, where, where)
}
