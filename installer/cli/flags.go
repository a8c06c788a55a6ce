package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"

	"github.com/nova-platform/nova/installer/output"
)

// Every command has one shape, as kubectl's commands do: an options struct
// made by NewXOptions(streams) with the defaults, its flags bound straight
// onto the struct's fields, and three steps that run() calls in order:
//
//	Complete  what comes from the environment and the arguments: the
//	          namespace, the Helm action configuration, positional arguments;
//	Validate  the flags make sense (an error here is bad input, exit code 2);
//	Run       the work, output through the injected streams.
type command interface {
	Complete(env *Env, args []string) error
	Validate() error
	Run() error
}

// run is the RunE of every command.
func run(env *Env, o command) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if err := o.Complete(env, args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run()
	}
}

// releaseOptions are what every command that works on a release shares:
// the streams, --release, and what Complete finds (the namespace, the Helm
// action configuration for it, the environment for the cluster client).
type releaseOptions struct {
	Streams
	Release   string
	Namespace string
	Config    *action.Configuration
	env       *Env
}

func newReleaseOptions(streams Streams) releaseOptions {
	return releaseOptions{Streams: streams, Release: "nova"}
}

// complete finds the namespace and the Helm action configuration for it.
func (o *releaseOptions) complete(env *Env) error {
	o.env, o.Namespace = env, env.namespace()
	cfg, err := env.ActionConfig(o.Namespace)
	o.Config = cfg
	return err
}

// Validate: most commands have no flags that can disagree.
func (o *releaseOptions) Validate() error { return nil }

// Flags more than one command has, declared once.

// addReleaseFlag is --release, the Helm release a command works on.
func addReleaseFlag(fs *pflag.FlagSet, name *string) {
	fs.StringVar(name, "release", *name, "release name")
}

// addOutputFlag is -o for every command that prints a result.
func addOutputFlag(cmd *cobra.Command, format *output.Format) {
	cmd.Flags().VarP(format, "output", "o", "table, json or yaml")
}
