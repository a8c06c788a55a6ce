package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

// defaultTimeout is deploy's --timeout unless given.
const defaultTimeout = 10 * time.Minute

func newTemplateCmd(env *Env) *cobra.Command {
	o := &renderFlags{}
	timeout := defaultTimeout
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
			opts.Values = values.WithHookTimeout(opts.Values, timeout)
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
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "the --timeout of the deploy this render is for (hook Jobs end before it)")
	return cmd
}
