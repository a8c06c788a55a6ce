package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"
	releasepkg "helm.sh/helm/v3/pkg/release"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/status"
)

// StatusOptions are the flags of `status`.
type StatusOptions struct {
	releaseOptions
	Format output.Format
	rel    *releasepkg.Release
}

// NewStatusOptions are status's defaults.
func NewStatusOptions(streams Streams) *StatusOptions {
	return &StatusOptions{releaseOptions: newReleaseOptions(streams), Format: output.Table}
}

func newStatusCmd(env *Env) *cobra.Command {
	o := NewStatusOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the release, the readiness of every tier, the Redis master, the PostgreSQL leader and the endpoints",
		Args:  cobra.NoArgs,
		RunE:  run(env, o),
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	addOutputFlag(cmd, &o.Format)
	return cmd
}

// Complete finds the release's newest revision.
func (o *StatusOptions) Complete(env *Env, _ []string) error {
	if err := o.complete(env); err != nil {
		return err
	}
	rel, err := release.Last(o.Config, o.Release)
	if err != nil {
		return err
	}
	if rel == nil {
		return fmt.Errorf("release %q is not installed in namespace %q: nova-installer deploy --profile local", o.Release, o.Namespace)
	}
	o.rel = rel
	return nil
}

// Run collects the report and prints it.
func (o *StatusOptions) Run() error {
	client, err := o.env.KubeClient()
	if err != nil {
		return err
	}
	// The Redis master's label is cross-checked with a Sentinel, reached
	// by port-forward; without a REST config the check says why not.
	restConfig, configErr := o.env.Settings.RESTClientGetter().ToRESTConfig()
	dial := status.PortForwardDialer(restConfig)
	if configErr != nil {
		dial = func(context.Context, string, string, int) (net.Conn, error) { return nil, configErr }
	}
	report, err := status.Collect(context.Background(), client, o.rel, release.ProfileLabel, status.WithSentinel(status.DialSentinels{Client: client, Dial: dial}))
	if err != nil {
		return err
	}
	return output.Write(o.Out, o.Format, report)
}
