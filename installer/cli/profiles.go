package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/values"
)

func newProfilesCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the deployment profiles and presets built into this binary",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ps, err := values.Profiles(env.Profiles)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tKIND\tDESCRIPTION")
			for _, p := range ps {
				kind := "profile"
				if p.Preset {
					kind = "preset (-f)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", p.Name, kind, p.Description)
			}
			return w.Flush()
		},
	}
}
