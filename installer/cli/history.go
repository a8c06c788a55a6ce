package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
)

func newHistoryCmd(env *Env) *cobra.Command {
	name := "nova"
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the revisions of the release",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := env.ActionConfig(env.namespace())
			if err != nil {
				return err
			}
			rels, err := release.History(cfg, name)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "REVISION\tUPDATED\tSTATUS\tCHART\tPROFILE\tDESCRIPTION")
			for _, r := range rels {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s-%s\t%s\t%s\n", r.Version, r.Info.LastDeployed.UTC().Format(time.RFC3339),
					r.Info.Status, r.Chart.Metadata.Name, r.Chart.Metadata.Version, dash(r.Labels[release.ProfileLabel]), r.Info.Description)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&name, "release", name, "release name")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
