package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nova-platform/nova/installer/release"
)

// RollbackOptions are the flags and argument of `rollback`.
type RollbackOptions struct {
	releaseOptions
	Revision int // 0: the previous one
	Wait     bool
	Timeout  time.Duration
	args     []string
}

// NewRollbackOptions are rollback's defaults.
func NewRollbackOptions(streams Streams) *RollbackOptions {
	return &RollbackOptions{releaseOptions: newReleaseOptions(streams), Wait: true, Timeout: defaultTimeout}
}

func newRollbackCmd(env *Env) *cobra.Command {
	o := NewRollbackOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "rollback [REVISION]",
		Short: "Roll the release back to a revision (default: the previous one)",
		Args:  cobra.MaximumNArgs(1),
		RunE:  run(env, o),
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	cmd.Flags().BoolVar(&o.Wait, "wait", o.Wait, "wait until every workload is ready")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait")
	return cmd
}

// Complete takes the revision argument and the Helm configuration.
func (o *RollbackOptions) Complete(env *Env, args []string) error {
	o.args = args
	return o.complete(env)
}

// Validate reads the revision argument.
func (o *RollbackOptions) Validate() error {
	if len(o.args) == 1 {
		n, err := strconv.Atoi(o.args[0])
		if err != nil || n < 1 {
			return badInput(fmt.Errorf("revision %q: want a revision number from `nova-installer history`", o.args[0]))
		}
		o.Revision = n
	}
	return nil
}

// Run rolls back.
func (o *RollbackOptions) Run() error {
	if err := release.Rollback(o.Config, o.Release, o.Revision, o.Wait, o.Timeout); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Rolled back release %q.\n", o.Release)
	return nil
}
