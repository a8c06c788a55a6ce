package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
)

func newRollbackCmd(env *Env) *cobra.Command {
	name, wait, timeout := "nova", true, 10*time.Minute
	cmd := &cobra.Command{
		Use:   "rollback [REVISION]",
		Short: "Roll the release back to a revision (default: the previous one)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			revision := 0
			if len(args) == 1 {
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return badInput(fmt.Errorf("revision %q: want a revision number from `nova-installer history`", args[0]))
				}
				revision = n
			}
			cfg, err := env.ActionConfig(env.namespace())
			if err != nil {
				return err
			}
			if err := release.Rollback(cfg, name, revision, wait, timeout); err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "Rolled back release %q.\n", name)
			return nil
		},
	}
	addReleaseFlag(cmd.Flags(), &name)
	cmd.Flags().BoolVar(&wait, "wait", wait, "wait until every workload is ready")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "how long to wait")
	return cmd
}
