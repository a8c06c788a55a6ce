package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
)

func newTemplateCmd(env *Env) *cobra.Command {
	o := &renderFlags{}
	cmd := &cobra.Command{
		Use:     "template",
		Short:   "Render the manifests locally with the same values merge (no cluster needed)",
		Example: "  nova-installer template --profile production -f values/topology-consolidated.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := o.options(env)
			if err != nil {
				return err
			}
			cfg := release.Offline()
			manifest, err := release.Render(cfg, opts)
			if err != nil {
				return deployFailed(o.release, opts.Namespace, err)
			}
			_, err = fmt.Fprint(env.Out, manifest)
			return err
		},
	}
	o.add(cmd.Flags())
	return cmd
}
