package cli

import (
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/release"
)

// HistoryOptions are the flags of `history`.
type HistoryOptions struct {
	releaseOptions
	Format output.Format
}

// NewHistoryOptions are history's defaults.
func NewHistoryOptions(streams Streams) *HistoryOptions {
	return &HistoryOptions{releaseOptions: newReleaseOptions(streams), Format: output.Table}
}

func newHistoryCmd(env *Env) *cobra.Command {
	o := NewHistoryOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the revisions of the release",
		Args:  cobra.NoArgs,
		RunE:  run(env, o),
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	addOutputFlag(cmd, &o.Format)
	return cmd
}

// Complete finds the namespace and its Helm configuration.
func (o *HistoryOptions) Complete(env *Env, _ []string) error { return o.complete(env) }

// Run prints the revisions, oldest first.
func (o *HistoryOptions) Run() error {
	rels, err := release.History(o.Config, o.Release)
	if err != nil {
		return err
	}
	h := history{}
	for _, r := range rels {
		h = append(h, revision{Revision: r.Version, Updated: r.Info.LastDeployed.UTC().Format(time.RFC3339),
			Status: r.Info.Status.String(), Chart: r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version,
			Profile: r.Labels[release.ProfileLabel], Description: r.Info.Description})
	}
	return output.Write(o.Out, o.Format, h)
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
