package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/nova-platform/nova/installer/data"
	"github.com/nova-platform/nova/installer/release"
)

// CleanupOptions are the flags of `cleanup`.
type CleanupOptions struct {
	releaseOptions
	DeleteData bool
	Yes        bool
	Timeout    time.Duration
	namespaces []string // the release's, read before its record is gone
	found      bool     // the release has a record in the namespace
}

// NewCleanupOptions are cleanup's defaults: keep the data.
func NewCleanupOptions(streams Streams) *CleanupOptions {
	return &CleanupOptions{releaseOptions: newReleaseOptions(streams), Timeout: 5 * time.Minute}
}

func newCleanupCmd(env *Env) *cobra.Command {
	o := NewCleanupOptions(env.Streams)
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Uninstall the release; data volumes and credentials are kept unless --delete-data",
		Example: `  nova-installer cleanup                          # keeps PVCs and generated credential Secrets
  nova-installer cleanup --delete-data --yes      # removes them too`,
		Args: cobra.NoArgs,
		RunE: run(env, o),
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	cmd.Flags().BoolVar(&o.DeleteData, "delete-data", false, "also delete the release's PVCs (Redis and PostgreSQL data) and credential Secrets")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for the deletion")
	return cmd
}

// Complete reads the release's namespaces (tier namespaces included) while
// its record exists: its data is looked for there only.
func (o *CleanupOptions) Complete(env *Env, _ []string) error {
	if err := o.complete(env); err != nil {
		return err
	}
	var err error
	o.namespaces, o.found, err = release.NamespacesOf(o.Config, o.Release, o.Namespace)
	return err
}

// Run uninstalls, then lists (or deletes) what stays.
func (o *CleanupOptions) Run() error {
	info, err := release.Uninstall(o.Config, o.Release, true, o.Timeout)
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound):
		fmt.Fprintf(o.Err, "Release %q is not installed in namespace %q.\n", o.Release, o.Namespace)
	case err != nil:
		return err
	default:
		fmt.Fprintf(o.Out, "Release %q uninstalled.\n", o.Release)
		if strings.TrimSpace(info) != "" {
			fmt.Fprintln(o.Out, strings.TrimSpace(info))
		}
	}
	client, err := o.env.KubeClient()
	if err != nil {
		return err
	}
	if !o.found {
		fmt.Fprintf(o.Err, "Without a release record, looking for the data of release %q in namespace %q only (tier namespaces are not known).\n", o.Release, o.Namespace)
	}
	ctx := context.Background()
	kept, err := data.Find(ctx, client, o.Release, o.namespaces)
	if err != nil {
		return err
	}
	if len(kept) == 0 {
		fmt.Fprintln(o.Out, "No data volumes or credential Secrets of the release remain.")
		return nil
	}
	if !o.DeleteData {
		fmt.Fprintln(o.Out, "Kept (data and credentials):")
		for _, d := range kept {
			fmt.Fprintf(o.Out, "  %s\n", d)
		}
		fmt.Fprintf(o.Out, "Delete them with: nova-installer cleanup --release %s --delete-data -n %s\n", o.Release, o.Namespace)
		return nil
	}
	if !o.Yes && !o.confirm(len(kept)) {
		return fmt.Errorf("not confirmed: nothing deleted (use --yes to skip the question)")
	}
	for _, d := range kept {
		if err := d.Delete(ctx, client); err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "deleted %s\n", d)
	}
	return nil
}

func (o *CleanupOptions) confirm(n int) bool {
	fmt.Fprintf(o.Err, "Delete %d data volumes and credential Secrets of release %q (namespace %q) for good? Type the release name: ", n, o.Release, o.Namespace)
	line, _ := bufio.NewReader(o.In).ReadString('\n')
	return strings.TrimSpace(line) == o.Release
}
