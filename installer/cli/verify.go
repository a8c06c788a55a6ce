package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
)

// VerifyOptions are the flags of `verify`.
type VerifyOptions struct {
	releaseOptions
	Timeout time.Duration // for each check
}

// NewVerifyOptions are verify's defaults.
func NewVerifyOptions(streams Streams) *VerifyOptions {
	return &VerifyOptions{releaseOptions: newReleaseOptions(streams), Timeout: 5 * time.Minute}
}

func newVerifyCmd(env *Env) *cobra.Command {
	o := NewVerifyOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Run the release's checks (helm test hooks) and report each one",
		Args:  cobra.NoArgs,
		RunE:  run(env, o),
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each check may take")
	return cmd
}

// Complete finds the namespace and its Helm configuration.
func (o *VerifyOptions) Complete(env *Env, _ []string) error { return o.complete(env) }

// Run runs the checks and reports each one.
func (o *VerifyOptions) Run() error {
	checks, err := release.Verify(o.Config, o.Release, o.Timeout)
	for _, c := range checks {
		mark := "PASS"
		if c.Phase != "Succeeded" {
			mark = "FAIL"
		}
		fmt.Fprintf(o.Out, "%s  %s (%s)\n", mark, c.Name, c.Phase)
	}
	if err != nil {
		return fmt.Errorf("verify: %w (see: nova-installer logs, kubectl logs <test pod>)", err)
	}
	fmt.Fprintf(o.Out, "%d checks passed\n", len(checks))
	return nil
}
