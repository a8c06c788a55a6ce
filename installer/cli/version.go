package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/chartsource"
)

// Version is set at build time (-ldflags "-X .../installer/cli.Version=v0.1.0").
var Version = "dev"

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the installer version, the built-in chart version and the Helm SDK version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := chartsource.LoadTree(env.Charts, "charts", chartsource.Umbrella)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "nova-installer %s, chart %s %s (app %s), helm SDK %s\n",
				Version, c.Metadata.Name, c.Metadata.Version, c.Metadata.AppVersion, helmSDK())
			return nil
		},
	}
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
