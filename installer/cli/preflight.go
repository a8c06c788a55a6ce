package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/preflight"
	"github.com/nova-platform/nova/installer/release"
)

// PreflightOptions are the flags of `preflight`.
type PreflightOptions struct {
	renderOptions
	SkipChecks []string
	Format     output.Format
	render     release.DeployOptions
}

// NewPreflightOptions are preflight's defaults.
func NewPreflightOptions(streams Streams) *PreflightOptions {
	return &PreflightOptions{renderOptions: newRenderOptions(streams), Format: output.Table}
}

func newPreflightCmd(env *Env) *cobra.Command {
	o := NewPreflightOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check the cluster for a deploy with these inputs, changing nothing",
		Args:  cobra.NoArgs,
		RunE:  run(env, o),
	}
	o.addFlags(cmd.Flags())
	addSkipFlag(cmd, &o.SkipChecks)
	addOutputFlag(cmd, &o.Format)
	return cmd
}

// Complete merges the values and loads the chart.
func (o *PreflightOptions) Complete(env *Env, _ []string) error {
	o.completeOffline(env)
	return o.resolve(&o.render)
}

// Run checks the cluster.
func (o *PreflightOptions) Run() error { return o.preflight(o.render, o.SkipChecks, o.Format) }

func addSkipFlag(cmd *cobra.Command, skip *[]string) {
	var ids []string
	for _, c := range preflight.Checks {
		ids = append(ids, c.ID)
	}
	cmd.Flags().StringSliceVar(skip, "skip-check", nil, "preflight checks to skip: "+strings.Join(ids, ", "))
}

// preflight renders the release offline and checks the cluster for it.
// The table goes to stderr (a deploy prints it before its own output), json
// and yaml to stdout.
func (o *renderOptions) preflight(d release.DeployOptions, skip []string, format output.Format) error {
	manifest, err := release.Render(release.Offline(), d)
	if err != nil {
		return deployFailed(d.Release, d.Namespace, err)
	}
	client, err := o.env.KubeClient()
	if err != nil {
		return fmt.Errorf("cannot reach the cluster (tried %s): %w", o.env.target(), err)
	}
	results, err := preflight.Run(context.Background(), preflight.Input{Client: client, Manifest: manifest,
		KubeVersion: d.Chart.Metadata.KubeVersion, Profile: d.Profile, Target: o.env.target()}, skip)
	if err != nil {
		return err
	}
	out := o.Err
	if format != output.Table {
		out = o.Out
	}
	if err := output.Write(out, format, results); err != nil {
		return err
	}
	if failed := preflight.Failed(results); len(failed) > 0 {
		var ids []string
		for _, f := range failed {
			ids = append(ids, f.ID)
		}
		return fmt.Errorf("preflight failed (%s): nothing was changed; fix the cause or skip a check with --skip-check", strings.Join(ids, ", "))
	}
	return nil
}

// target names the kubeconfig, context and API server in use.
func (e *Env) target() string {
	kubeconfig, context := e.Settings.KubeConfig, e.Settings.KubeContext
	if kubeconfig == "" {
		kubeconfig = "the default kubeconfig"
	}
	if context == "" {
		context = "its current context"
	}
	server := "an unknown server"
	if rc, err := e.Settings.RESTClientGetter().ToRESTConfig(); err == nil {
		server = rc.Host
	}
	return fmt.Sprintf("%s, %s, server %s", kubeconfig, context, server)
}
