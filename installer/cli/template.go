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

// TemplateOptions are the flags of `template`.
type TemplateOptions struct {
	renderOptions
	Timeout time.Duration // of the deploy this render is for
	render  release.DeployOptions
}

// NewTemplateOptions are template's defaults.
func NewTemplateOptions(streams Streams) *TemplateOptions {
	return &TemplateOptions{renderOptions: newRenderOptions(streams), Timeout: defaultTimeout}
}

func newTemplateCmd(env *Env) *cobra.Command {
	o := NewTemplateOptions(env.Streams)
	cmd := &cobra.Command{
		Use:     "template",
		Short:   "Render the manifests locally with the same values merge (no cluster needed)",
		Example: "  nova-installer template --profile production -f values/topology-consolidated.yaml",
		Args:    cobra.NoArgs,
		RunE:    run(env, o),
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "the --timeout of the deploy this render is for (hook Jobs end before it)")
	return cmd
}

// Complete merges the values and loads the chart; nothing contacts a cluster.
func (o *TemplateOptions) Complete(env *Env, _ []string) error {
	o.completeOffline(env)
	if err := o.resolve(&o.render); err != nil {
		return err
	}
	o.render.Values = values.WithHookTimeout(o.render.Values, o.Timeout)
	return nil
}

// Run prints the manifests.
func (o *TemplateOptions) Run() error {
	manifest, err := release.Render(o.Config, o.render)
	if err != nil {
		return deployFailed(o.Release, o.Namespace, err)
	}
	_, err = fmt.Fprint(o.Out, manifest)
	return err
}
