package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	releasepkg "helm.sh/helm/v3/pkg/release"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

// DeployOptions are the flags of `deploy`.
type DeployOptions struct {
	renderFlags
	CreateNamespace bool
	Wait            bool
	Atomic          bool
	Force           bool
	Timeout         time.Duration
	DryRun          string // "", "manifest" or "values"
	SkipChecks      []string
}

func newDeployCmd(env *Env) *cobra.Command {
	o := &DeployOptions{}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Install or upgrade the Nova release with a profile",
		Example: `  nova-installer deploy --profile local
  nova-installer deploy --profile production -f prod-overrides.yaml --set nova-services.rustLog=debug
  nova-installer deploy --profile local --dry-run          # manifests to stdout
  nova-installer deploy --profile local --dry-run=values   # merged values to stdout`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(env)
		},
	}
	o.add(cmd.Flags())
	cmd.Flags().BoolVar(&o.CreateNamespace, "create-namespace", false, "create the release namespace if missing")
	cmd.Flags().BoolVar(&o.Wait, "wait", true, "wait until every workload is ready")
	cmd.Flags().BoolVar(&o.Atomic, "atomic", false, "roll back (or uninstall a first install) when the deploy fails")
	cmd.Flags().BoolVar(&o.Force, "force", false, "allow deploying an older chart version than the deployed one")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", defaultTimeout, "how long to wait (for each hook Job too; they end 10 s before it)")
	cmd.Flags().StringVar(&o.DryRun, "dry-run", "", `"manifest" (or no value): print the manifests; "values": print the merged values; nothing is sent`)
	cmd.Flags().Lookup("dry-run").NoOptDefVal = "manifest"
	addSkipFlag(cmd, &o.SkipChecks)
	return cmd
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
func (o *DeployOptions) Run(env *Env) error {
	ns := env.namespace()
	var cfg *action.Configuration
	var err error
	if o.DryRun != "" {
		cfg = release.Offline() // nothing is sent to the cluster
	} else {
		cfg, err = env.ActionConfig(ns)
	}
	if err != nil {
		return err
	}
	if o.profile == "" && o.DryRun == "" {
		// On upgrade, reuse the recorded profile unless told otherwise.
		if recorded, err := release.RecordedProfile(cfg, o.release); err == nil && recorded != "" && recorded != "custom" {
			o.profile = recorded
			fmt.Fprintf(env.Err, "Using profile %q recorded in release %q.\n", recorded, o.release)
		}
	}
	opts, err := o.options(env)
	if err != nil {
		return err
	}
	opts.CreateNamespace, opts.Wait, opts.Atomic, opts.Force, opts.Timeout = o.CreateNamespace, o.Wait, o.Atomic, o.Force, o.Timeout
	// The charts' hook Jobs end before Helm's timeout, with their own message.
	opts.Values = values.WithHookTimeout(opts.Values, o.Timeout)
	switch o.DryRun {
	case "values":
		merged, err := chartutil.CoalesceValues(opts.Chart, opts.Values)
		if err != nil {
			return badInput(err)
		}
		out, err := yaml.Marshal(merged)
		if err != nil {
			return err
		}
		_, err = env.Out.Write(out)
		return err
	case "manifest":
		fmt.Fprintf(env.Err, "Rendering release %q (profile %q) without contacting the cluster.\n", o.release, opts.Profile)
		manifest, err := release.Render(cfg, opts)
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(env.Out, manifest)
		return err
	}
	if err := runPreflight(env, opts.Chart, opts, o.SkipChecks, output.Table); err != nil {
		return err
	}
	if o.CreateNamespace {
		if err := ensureNamespace(env, ns); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Err, "Deploying release %q to namespace %q (profile %q, chart %s %s)...\n",
		o.release, ns, opts.Profile, opts.Chart.Metadata.Name, opts.Chart.Metadata.Version)
	var rel *releasepkg.Release
	if o.Wait {
		client, cerr := env.KubeClient()
		if cerr == nil {
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { watchProgress(client, cfg, o.release, ns, env.Err, stop); close(done) }()
			rel, err = release.Deploy(cfg, opts)
			close(stop)
			<-done
		} else {
			rel, err = release.Deploy(cfg, opts)
		}
	} else {
		rel, err = release.Deploy(cfg, opts)
	}
	if err != nil {
		failed := deployFailed(o.release, ns, err)
		if why := explain(env, cfg, o.release, ns); why != "" && !isSchemaError(err) {
			return fmt.Errorf("%w%s", failed, why)
		}
		return failed
	}
	fmt.Fprintf(env.Out, "Release %q revision %d: %s\n", rel.Name, rel.Version, rel.Info.Status)
	if rel.Info.Notes != "" {
		fmt.Fprintf(env.Out, "\n%s\n", rel.Info.Notes)
	}
	return nil
}

// deployFailed adds what to do next to a failed deploy.
func deployFailed(name, ns string, err error) error {
	if isSchemaError(err) {
		return badInput(err)
	}
	switch err.(type) {
	case release.PendingError, release.DowngradeError:
		return err
	}
	where := fmt.Sprintf("--release %s -n %s", name, ns)
	return fmt.Errorf("%w\nThe release may be half-deployed. Inspect: nova-installer history %s; "+
		"recover: nova-installer rollback %s (to the last good revision) or nova-installer cleanup %s (keeps data volumes and credentials)",
		err, where, where, where)
}
