// nova-standin plays the Nova program it is named after (install it as
// /app/user-service, /app/messaging-service, ...): a test fixture for the
// proving grounds, not the Nova services. See tests/standin/README.md.
package main

import (
	"os"

	"github.com/nova-platform/nova/tests/standin"
)

func main() {
	os.Exit(standin.Main(os.Args, os.LookupEnv, os.Stdout, os.Stderr))
}
