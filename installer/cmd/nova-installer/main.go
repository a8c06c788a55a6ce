// Command nova-installer deploys the Nova backend as an ordinary Helm release.
package main

import (
	"os"

	"helm.sh/helm/v3/pkg/cli"

	nova "github.com/nova-platform/nova"
	novacli "github.com/nova-platform/nova/installer/cli"
)

func main() {
	env := &novacli.Env{
		Streams:  novacli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		Settings: cli.New(),
		Charts:   nova.Charts,
		Profiles: nova.Profiles,
	}
	os.Exit(novacli.Main(env, os.Args[1:]))
}
