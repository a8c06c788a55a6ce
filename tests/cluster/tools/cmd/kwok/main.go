// Command kwok builds the upstream kwok node simulator at the version pinned
// in go.mod, for the Kubernetes proving ground (tests/cluster).
package main

import (
	"os"

	"github.com/spf13/pflag"

	"sigs.k8s.io/kwok/pkg/config"
	"sigs.k8s.io/kwok/pkg/kwok/cmd"
	"sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"
)

func main() {
	// Global flags (logging, --config) are parsed leniently first, then
	// handed to the root command, as the upstream binary does.
	global := pflag.NewFlagSet("global", pflag.ContinueOnError)
	global.ParseErrorsAllowlist.UnknownFlags = true
	global.Usage = func() {}

	ctx, logger := log.InitFlags(signals.SetupSignalContext(), global)
	ctx, err := config.InitFlags(ctx, global)
	if err != nil {
		_, _ = os.Stderr.WriteString(global.FlagUsages())
		logger.Error("init config flags", "err", err)
		os.Exit(1)
	}

	root := cmd.NewCommand(ctx)
	root.PersistentFlags().AddFlagSet(global)
	if err := root.ExecuteContext(ctx); err != nil {
		logger.Error("execute", "err", err)
		os.Exit(1)
	}
}
