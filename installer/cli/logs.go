package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/logs"
)

func newLogsCmd(env *Env) *cobra.Command {
	o := logs.Options{Release: "nova", Tail: -1}
	cmd := &cobra.Command{
		Use:     "logs SERVICE",
		Short:   "Logs of every pod of a service (user-service, redis, sentinel, haproxy, postgres, etcd, ...), prefixed by pod",
		Example: "  nova-installer logs user-service --tail 50\n  nova-installer logs sentinel --follow",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.Component = args[0]
			cfg, err := env.ActionConfig(env.namespace())
			if err != nil {
				return err
			}
			namespaces, found, err := releaseNamespaces(cfg, o.Release, env.namespace())
			if err != nil {
				return err
			}
			if !found {
				fmt.Fprintf(env.Err, "Release %q is not installed in namespace %q: looking for its pods in that namespace only.\n", o.Release, env.namespace())
			}
			o.Namespaces = namespaces
			client, err := env.KubeClient()
			if err != nil {
				return err
			}
			return logs.Stream(context.Background(), client, o, env.Out)
		},
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	cmd.Flags().StringVarP(&o.Container, "container", "c", "", "only this container")
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "keep streaming")
	cmd.Flags().DurationVar(&o.Since, "since", 0, "only newer lines (e.g. 10m)")
	cmd.Flags().Int64Var(&o.Tail, "tail", -1, "last lines of each container (-1 = all)")
	return cmd
}
