package cli

import "github.com/nova-platform/nova/installer/exit"

// badInput marks an error as the user's input (exit code 2).
func badInput(err error) error { return exit.BadInput(err) }
