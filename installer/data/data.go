// Package data finds what a Nova release keeps after an uninstall: its
// PersistentVolumeClaims (Redis, PostgreSQL and etcd data) and the
// credential Secrets the charts generate with helm's keep policy. It deletes
// them only when asked, one by one.
package data

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/installer/facts"
)

// Object is a PVC or a credential Secret of the release.
type Object struct{ Kind, Namespace, Name string }

// Kinds of Object.
const (
	PVC    = "persistentvolumeclaim"
	Secret = "secret"
)

func (o Object) String() string {
	return fmt.Sprintf("%s/%s in namespace %s", o.Kind, o.Name, o.Namespace)
}

// Delete deletes the object.
func (o Object) Delete(ctx context.Context, c kubernetes.Interface) error {
	if o.Kind == PVC {
		return c.CoreV1().PersistentVolumeClaims(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
	}
	return c.CoreV1().Secrets(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
}

// Find lists the release's PVCs and kept credential Secrets in the
// release's namespaces only (release.Namespaces): a release of the same
// name in another namespace has the same labels, and its data must not be
// touched.
func Find(ctx context.Context, c kubernetes.Interface, release string, namespaces []string) ([]Object, error) {
	selector := metav1.ListOptions{LabelSelector: facts.Release(release)}
	secretSelector := metav1.ListOptions{LabelSelector: facts.ReleaseData(release)}
	var out []Object
	for _, ns := range namespaces {
		pvcs, err := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, selector)
		if err != nil {
			return nil, fmt.Errorf("list PVCs in %s: %w", ns, err)
		}
		for _, p := range pvcs.Items {
			out = append(out, Object{PVC, p.Namespace, p.Name})
		}
	}
	for _, ns := range namespaces {
		secrets, err := c.CoreV1().Secrets(ns).List(ctx, secretSelector)
		if err != nil {
			return nil, fmt.Errorf("list Secrets in %s: %w", ns, err)
		}
		for _, s := range secrets.Items {
			if s.Annotations["helm.sh/resource-policy"] == "keep" {
				out = append(out, Object{Secret, s.Namespace, s.Name})
			}
		}
	}
	return out, nil
}
