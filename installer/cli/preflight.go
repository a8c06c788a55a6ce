package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/preflight"
	"github.com/nova-platform/nova/installer/release"
)

func newPreflightCmd(env *Env) *cobra.Command {
	o := &renderFlags{}
	var skip []string
	format := output.Table
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check the cluster for a deploy with these inputs, changing nothing",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			opts, err := o.options(env)
			if err != nil {
				return err
			}
			return runPreflight(env, opts.Chart, opts, skip, format)
		},
	}
	o.add(cmd.Flags())
	addSkipFlag(cmd, &skip)
	addOutputFlag(cmd, &format)
	return cmd
}

func addSkipFlag(cmd *cobra.Command, skip *[]string) {
	var ids []string
	for _, c := range preflight.Checks {
		ids = append(ids, c.ID)
	}
	cmd.Flags().StringSliceVar(skip, "skip-check", nil, "preflight checks to skip: "+strings.Join(ids, ", "))
}

// runPreflight renders the release offline and checks the cluster for it.
// The table goes to stderr (a deploy prints it before its own output), json
// and yaml to stdout.
func runPreflight(env *Env, chrt *chart.Chart, opts release.DeployOptions, skip []string, format output.Format) error {
	cfg := release.Offline()
	manifest, err := release.Render(cfg, opts)
	if err != nil {
		return deployFailed(opts.Release, opts.Namespace, err)
	}
	client, err := env.KubeClient()
	if err != nil {
		return fmt.Errorf("cannot reach the cluster (tried %s): %w", env.target(), err)
	}
	results, err := preflight.Run(context.Background(), preflight.Input{Client: client, Manifest: manifest,
		KubeVersion: chrt.Metadata.KubeVersion, Profile: opts.Profile, Target: env.target()}, skip)
	if err != nil {
		return err
	}
	out := env.Err
	if format != output.Table {
		out = env.Out
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
