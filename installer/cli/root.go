// Package cli is nova-installer's command line: one file per command, each an
// Options struct with Complete/Validate/Run, output through injected writers.
package cli

import (
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/cli"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/nova-platform/nova/installer/exit"
)

// Streams are where commands read and write.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Env is what every command shares: helm's settings (kubeconfig, context,
// namespace, debug) and the embedded charts and profiles.
type Env struct {
	Streams
	Settings *cli.EnvSettings
	Charts   fs.FS
	Profiles fs.FS
	// ActionConfig builds the Helm action configuration; tests replace it.
	ActionConfig func(namespace string) (*action.Configuration, error)
	// KubeClient is the cluster's API, for what Helm does not do (data cleanup).
	KubeClient func() (kubernetes.Interface, error)
}

// NewRoot builds the command tree.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "nova-installer",
		Short:         "Deploy, inspect and clean up the Nova backend as a Helm release",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// A flag that does not parse is bad input, in every command.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.SetIn(env.In)
	root.SetOut(env.Out)
	root.SetErr(env.Err)
	// helm's global flags, with -v as the short form of --debug.
	helmFlags := pflag.NewFlagSet("helm", pflag.ContinueOnError)
	env.Settings.AddFlags(helmFlags)
	helmFlags.VisitAll(func(f *pflag.Flag) {
		if f.Name == "debug" {
			f.Shorthand = "v"
		}
		root.PersistentFlags().AddFlag(f)
	})
	// API server warnings (a Pod Security "would violate", a deprecated API)
	// as plain lines on stderr, each once, instead of client-go's log format.
	rest.SetDefaultWarningHandler(rest.NewWarningWriter(env.Err, rest.WarningWriterOptions{Deduplicate: true}))
	if env.ActionConfig == nil {
		env.ActionConfig = env.helmActionConfig
	}
	if env.KubeClient == nil {
		env.KubeClient = func() (kubernetes.Interface, error) {
			rc, err := env.Settings.RESTClientGetter().ToRESTConfig()
			if err != nil {
				return nil, err
			}
			return kubernetes.NewForConfig(rc)
		}
	}
	root.AddCommand(newDeployCmd(env), newTemplateCmd(env), newProfilesCmd(env), newHistoryCmd(env),
		newRollbackCmd(env), newCleanupCmd(env), newVersionCmd(env), newPreflightCmd(env), newStatusCmd(env), newLogsCmd(env), newVerifyCmd(env))
	return root
}

func (e *Env) helmActionConfig(namespace string) (*action.Configuration, error) {
	cfg := new(action.Configuration)
	logf := func(format string, v ...any) {
		if e.Settings.Debug {
			fmt.Fprintf(e.Err, format+"\n", v...)
		}
	}
	if err := cfg.Init(e.Settings.RESTClientGetter(), namespace, os.Getenv("HELM_DRIVER"), logf); err != nil {
		return nil, err
	}
	return cfg, nil
}

// namespace is -n, or the kubeconfig context's namespace.
func (e *Env) namespace() string { return e.Settings.Namespace() }

// Main runs the command line and returns the exit code.
func Main(env *Env, args []string) int {
	log.SetOutput(env.Err)
	root := NewRoot(env)
	root.SetArgs(args)
	var err error
	// An unknown command is bad input: ask cobra's own lookup first.
	if _, _, findErr := root.Find(args); findErr != nil {
		err = badInput(findErr)
	} else {
		err = root.Execute()
	}
	if err != nil {
		fmt.Fprintln(env.Err, "Error:", err)
	}
	return exit.Code(err)
}
