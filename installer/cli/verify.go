package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
)

func newVerifyCmd(env *Env) *cobra.Command {
	name, timeout := "nova", 5*time.Minute
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Run the release's checks (helm test hooks) and report each one",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := env.ActionConfig(env.namespace())
			if err != nil {
				return err
			}
			checks, err := release.Verify(cfg, name, timeout)
			for _, c := range checks {
				mark := "PASS"
				if c.Phase != "Succeeded" {
					mark = "FAIL"
				}
				fmt.Fprintf(env.Out, "%s  %s (%s)\n", mark, c.Name, c.Phase)
			}
			if err != nil {
				return fmt.Errorf("verify: %w (see: nova-installer logs, kubectl logs <test pod>)", err)
			}
			fmt.Fprintf(env.Out, "%d checks passed\n", len(checks))
			return nil
		},
	}
	addReleaseFlag(cmd.Flags(), &name)
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "how long each check may take")
	return cmd
}
