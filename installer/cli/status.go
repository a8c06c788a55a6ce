package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/status"
)

func newStatusCmd(env *Env) *cobra.Command {
	name, output := "nova", "table"
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the release, the readiness of every tier, the Redis master, the PostgreSQL leader and the endpoints",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if output != "table" && output != "json" && output != "yaml" {
				return badInput(fmt.Errorf("-o %s: use table, json or yaml", output))
			}
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
			switch output {
			case "json":
				b, err := json.MarshalIndent(report, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(env.Out, string(b))
				return err
			case "yaml":
				b, err := yaml.Marshal(report)
				if err != nil {
					return err
				}
				_, err = env.Out.Write(b)
				return err
			}
			return report.PrintTable(env.Out)
		},
	}
	cmd.Flags().StringVar(&name, "release", name, "release name")
	cmd.Flags().StringVarP(&output, "output", "o", output, "table, json or yaml")
	return cmd
}
