package cli

import (
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/release"
)

func newHistoryCmd(env *Env) *cobra.Command {
	name, format := "nova", output.Table
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
			h := history{}
			for _, r := range rels {
				h = append(h, revision{Revision: r.Version, Updated: r.Info.LastDeployed.UTC().Format(time.RFC3339),
					Status: r.Info.Status.String(), Chart: r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version,
					Profile: r.Labels[release.ProfileLabel], Description: r.Info.Description})
			}
			return output.Write(env.Out, format, h)
		},
	}
	addReleaseFlag(cmd.Flags(), &name)
	addOutputFlag(cmd, &format)
	return cmd
}

// revision is one line of the history.
type revision struct {
	Revision    int    `json:"revision"`
	Updated     string `json:"updated"`
	Status      string `json:"status"`
	Chart       string `json:"chart"`
	Profile     string `json:"profile"`
	Description string `json:"description"`
}

type history []revision

func (h history) WriteTable(out io.Writer) error {
	var rows [][]string
	for _, r := range h {
		rows = append(rows, []string{strconv.Itoa(r.Revision), r.Updated, r.Status, r.Chart, output.Dash(r.Profile), r.Description})
	}
	return output.Columns(out, []string{"REVISION", "UPDATED", "STATUS", "CHART", "PROFILE", "DESCRIPTION"}, rows)
}
