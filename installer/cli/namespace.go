package cli

import (
	"context"
	"fmt"

	"github.com/nova-platform/nova/installer/release"
)

// ensureNamespace creates the release namespace for --create-namespace
// (release.EnsureNamespace: with the Pod Security labels) and says so.
func ensureNamespace(env *Env, name string) error {
	client, err := env.KubeClient()
	if err != nil {
		return err
	}
	created, err := release.EnsureNamespace(context.Background(), client, name)
	if created {
		fmt.Fprintf(env.Err, "Created namespace %s (Pod Security: restricted).\n", name)
	}
	return err
}
