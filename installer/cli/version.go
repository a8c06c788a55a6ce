package cli

import (
	"fmt"
	"io/fs"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/chartsource"
)

// Version is set at build time (-ldflags "-X .../installer/cli.Version=v0.1.0").
var Version = "dev"

// VersionOptions: `version` has no flags; it reads the built-in charts.
type VersionOptions struct {
	Streams
	charts fs.FS
}

// NewVersionOptions are version's defaults.
func NewVersionOptions(streams Streams) *VersionOptions { return &VersionOptions{Streams: streams} }

func newVersionCmd(env *Env) *cobra.Command {
	o := NewVersionOptions(env.Streams)
	return &cobra.Command{
		Use:   "version",
		Short: "Print the installer version, the built-in chart version and the Helm SDK version",
		Args:  cobra.NoArgs,
		RunE:  run(env, o),
	}
}

// Complete takes the built-in charts.
func (o *VersionOptions) Complete(env *Env, _ []string) error {
	o.charts = env.Charts
	return nil
}

// Validate: no flags.
func (o *VersionOptions) Validate() error { return nil }

// Run prints the versions.
func (o *VersionOptions) Run() error {
	c, err := chartsource.LoadTree(o.charts, "charts", chartsource.Umbrella)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "nova-installer %s, chart %s %s (app %s), helm SDK %s\n",
		Version, c.Metadata.Name, c.Metadata.Version, c.Metadata.AppVersion, helmSDK())
	return nil
}

func helmSDK() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "helm.sh/helm/v3" {
				return d.Version
			}
		}
	}
	return "unknown"
}
