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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/installer/release"
)

// CleanupOptions are the flags of `cleanup`.
type CleanupOptions struct {
	Release    string
	DeleteData bool
	Yes        bool
	Timeout    time.Duration
}

func newCleanupCmd(env *Env) *cobra.Command {
	o := &CleanupOptions{Release: "nova", Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Uninstall the release; data volumes and credentials are kept unless --delete-data",
		Example: `  nova-installer cleanup                          # keeps PVCs and generated credential Secrets
  nova-installer cleanup --delete-data --yes      # removes them too`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return o.Run(env) },
	}
	addReleaseFlag(cmd.Flags(), &o.Release)
	cmd.Flags().BoolVar(&o.DeleteData, "delete-data", false, "also delete the release's PVCs (Redis and PostgreSQL data) and credential Secrets")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for the deletion")
	return cmd
}

// Run uninstalls, then lists (or deletes) what stays.
func (o *CleanupOptions) Run(env *Env) error {
	cfg, err := env.ActionConfig(env.namespace())
	if err != nil {
		return err
	}
	// The release's namespaces (tier namespaces included) are read before
	// the release record is gone: its data is looked for there only.
	ns := env.namespace()
	namespaces, found, err := releaseNamespaces(cfg, o.Release, ns)
	if err != nil {
		return err
	}
	info, err := release.Uninstall(cfg, o.Release, true, o.Timeout)
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound):
		fmt.Fprintf(env.Err, "Release %q is not installed in namespace %q.\n", o.Release, ns)
	case err != nil:
		return err
	default:
		fmt.Fprintf(env.Out, "Release %q uninstalled.\n", o.Release)
		if strings.TrimSpace(info) != "" {
			fmt.Fprintln(env.Out, strings.TrimSpace(info))
		}
	}
	if env.KubeClient == nil {
		return nil
	}
	client, err := env.KubeClient()
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(env.Err, "Without a release record, looking for the data of release %q in namespace %q only (tier namespaces are not known).\n", o.Release, ns)
	}
	data, err := findData(client, o.Release, namespaces)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		fmt.Fprintln(env.Out, "No data volumes or credential Secrets of the release remain.")
		return nil
	}
	if !o.DeleteData {
		fmt.Fprintln(env.Out, "Kept (data and credentials):")
		for _, d := range data {
			fmt.Fprintf(env.Out, "  %s\n", d)
		}
		fmt.Fprintf(env.Out, "Delete them with: nova-installer cleanup --release %s --delete-data -n %s\n", o.Release, ns)
		return nil
	}
	if !o.Yes && !confirm(env, o.Release, ns, len(data)) {
		return fmt.Errorf("not confirmed: nothing deleted (use --yes to skip the question)")
	}
	for _, d := range data {
		if err := d.delete(client); err != nil {
			return err
		}
		fmt.Fprintf(env.Out, "deleted %s\n", d)
	}
	return nil
}

func confirm(env *Env, name, namespace string, n int) bool {
	fmt.Fprintf(env.Err, "Delete %d data volumes and credential Secrets of release %q (namespace %q) for good? Type the release name: ", n, name, namespace)
	line, _ := bufio.NewReader(env.In).ReadString('\n')
	return strings.TrimSpace(line) == name
}

// dataObject is a PVC or a credential Secret of the release.
type dataObject struct{ kind, namespace, name string }

func (d dataObject) String() string {
	return fmt.Sprintf("%s/%s in namespace %s", d.kind, d.name, d.namespace)
}

func (d dataObject) delete(c kubernetes.Interface) error {
	ctx := context.Background()
	if d.kind == "persistentvolumeclaim" {
		return c.CoreV1().PersistentVolumeClaims(d.namespace).Delete(ctx, d.name, metav1.DeleteOptions{})
	}
	return c.CoreV1().Secrets(d.namespace).Delete(ctx, d.name, metav1.DeleteOptions{})
}

// findData lists the release's PVCs (Redis, PostgreSQL, etcd data) and the
// credential Secrets the charts generate, in the release's namespaces only
// (releaseNamespaces): a release of the same name in another namespace has
// the same labels, and its data must not be touched.
func findData(c kubernetes.Interface, name string, namespaces []string) ([]dataObject, error) {
	ctx := context.Background()
	selector := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name}
	secretSelector := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/part-of=nova"}
	var out []dataObject
	for _, ns := range namespaces {
		pvcs, err := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, selector)
		if err != nil {
			return nil, fmt.Errorf("list PVCs in %s: %w", ns, err)
		}
		for _, p := range pvcs.Items {
			out = append(out, dataObject{"persistentvolumeclaim", p.Namespace, p.Name})
		}
	}
	for _, ns := range namespaces {
		secrets, err := c.CoreV1().Secrets(ns).List(ctx, secretSelector)
		if err != nil {
			return nil, fmt.Errorf("list Secrets in %s: %w", ns, err)
		}
		for _, s := range secrets.Items {
			if s.Annotations["helm.sh/resource-policy"] == "keep" {
				out = append(out, dataObject{"secret", s.Namespace, s.Name})
			}
		}
	}
	return out, nil
}
