package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nova-platform/nova/installer/output"
)

// Flags more than one command has, declared once.

// addReleaseFlag is --release, the Helm release a command works on.
func addReleaseFlag(fs *pflag.FlagSet, name *string) {
	fs.StringVar(name, "release", *name, "release name")
}

// addOutputFlag is -o for every command that prints a result.
func addOutputFlag(cmd *cobra.Command, format *output.Format) {
	cmd.Flags().VarP(format, "output", "o", "table, json or yaml")
}
