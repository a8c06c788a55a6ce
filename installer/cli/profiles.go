package cli

import (
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/output"
	"github.com/nova-platform/nova/installer/values"
)

// ProfilesOptions are the flags of `profiles`.
type ProfilesOptions struct {
	Streams
	Format   output.Format
	profiles fs.FS
}

// NewProfilesOptions are profiles' defaults.
func NewProfilesOptions(streams Streams) *ProfilesOptions {
	return &ProfilesOptions{Streams: streams, Format: output.Table}
}

func newProfilesCmd(env *Env) *cobra.Command {
	o := NewProfilesOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the deployment profiles and presets built into this binary",
		Args:  cobra.NoArgs,
		RunE:  run(env, o),
	}
	addOutputFlag(cmd, &o.Format)
	return cmd
}

// Complete takes the built-in profiles.
func (o *ProfilesOptions) Complete(env *Env, _ []string) error {
	o.profiles = env.Profiles
	return nil
}

// Validate: -o is checked when it is parsed.
func (o *ProfilesOptions) Validate() error { return nil }

// Run lists the profiles and presets.
func (o *ProfilesOptions) Run() error {
	ps, err := values.Profiles(o.profiles)
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
	return output.Write(o.Out, o.Format, list)
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
