package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/status"
)

func newStatusCmd(env *Env) *cobra.Command {
	name, format := "nova", output.Table
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the release, the readiness of every tier, the Redis master, the PostgreSQL leader and the endpoints",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := env.ActionConfig(env.namespace())
			if err != nil {
				return err
			}
			rel, err := release.Last(cfg, name)
			if err != nil {
				return err
			}
			if rel == nil {
				return fmt.Errorf("release %q is not installed in namespace %q: nova-installer deploy --profile local", name, env.namespace())
			}
			client, err := env.KubeClient()
			if err != nil {
				return err
			}
			// The Sentinels name the Redis master; they are reached by
			// port-forward. Without a REST config the master is "unknown (...)".
			restConfig, configErr := env.Settings.RESTClientGetter().ToRESTConfig()
			dial := status.PortForwardDialer(restConfig)
			if configErr != nil {
				dial = func(context.Context, string, string, int) (net.Conn, error) { return nil, configErr }
			}
			report, err := status.Collect(context.Background(), client, rel, release.ProfileLabel, status.WithRedisDialer(dial))
			if err != nil {
				return err
			}
			return output.Write(env.Out, format, report)
		},
	}
	addReleaseFlag(cmd.Flags(), &name)
	addOutputFlag(cmd, &format)
	return cmd
}
