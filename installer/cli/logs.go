package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/logs"
	"github.com/nova-platform/nova/installer/release"
)

// LogsOptions are the flags and argument of `logs`; the flags are bound onto
// what logs.Stream takes.
type LogsOptions struct {
	releaseOptions
	Logs logs.Options
}

// NewLogsOptions are logs' defaults: every line of every container.
func NewLogsOptions(streams Streams) *LogsOptions {
	return &LogsOptions{releaseOptions: newReleaseOptions(streams), Logs: logs.Options{Tail: -1}}
}

func newLogsCmd(env *Env) *cobra.Command {
	o := NewLogsOptions(env.Streams)
	cmd := &cobra.Command{
		Use:     "logs SERVICE",
		Short:   "Logs of every pod of a service (user-service, redis, sentinel, haproxy, postgres, etcd, ...), prefixed by pod",
		Example: "  nova-installer logs user-service --tail 50\n  nova-installer logs sentinel --follow",
		Args:    cobra.ExactArgs(1),
		RunE:    run(env, o),
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	cmd.Flags().StringVarP(&o.Logs.Container, "container", "c", "", "only this container")
	cmd.Flags().BoolVarP(&o.Logs.Follow, "follow", "f", false, "keep streaming")
	cmd.Flags().DurationVar(&o.Logs.Since, "since", 0, "only newer lines (e.g. 10m)")
	cmd.Flags().Int64Var(&o.Logs.Tail, "tail", o.Logs.Tail, "last lines of each container (-1 = all)")
	return cmd
}

// Complete takes the component and finds the release's namespaces.
func (o *LogsOptions) Complete(env *Env, args []string) error {
	if err := o.complete(env); err != nil {
		return err
	}
	o.Logs.Component, o.Logs.Release = args[0], o.Release
	namespaces, found, err := release.NamespacesOf(o.Config, o.Release, o.Namespace)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(o.Err, "Release %q is not installed in namespace %q: looking for its pods in that namespace only.\n", o.Release, o.Namespace)
	}
	o.Logs.Namespaces = namespaces
	return nil
}

// Run streams the logs.
func (o *LogsOptions) Run() error {
	client, err := o.env.KubeClient()
	if err != nil {
		return err
	}
	return logs.Stream(context.Background(), client, o.Logs, o.Out)
}
