package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/values"
)

func newProfilesCmd(env *Env) *cobra.Command {
	format := output.Table
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the deployment profiles and presets built into this binary",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ps, err := values.Profiles(env.Profiles)
			if err != nil {
				return err
			}
			list := profileList{}
			for _, p := range ps {
				kind := "profile"
				if p.Preset {
					kind = "preset"
				}
				list = append(list, profileInfo{Name: p.Name, Kind: kind, Description: p.Description})
			}
			return output.Write(env.Out, format, list)
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

// profileInfo is one built-in profile or preset.
type profileInfo struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // profile, or preset (combined with a profile through -f)
	Description string `json:"description"`
}

type profileList []profileInfo

func (l profileList) WriteTable(out io.Writer) error {
	var rows [][]string
	for _, p := range l {
		kind := p.Kind
		if kind == "preset" {
			kind = "preset (-f)"
		}
		rows = append(rows, []string{p.Name, kind, p.Description})
	}
	return output.Columns(out, []string{"NAME", "KIND", "DESCRIPTION"}, rows)
}
