package cli

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/action"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nova-platform/nova/installer/release"
)

// podSecurityLabels make the API server reject any pod of ours that is not
// "restricted": the charts are built for it, so a regression fails loudly.
var podSecurityLabels = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
}

// ensureNamespace creates the release namespace with Pod Security labels
// (helm's --create-namespace would create it without them).
func ensureNamespace(env *Env, name string) error {
	client, err := env.KubeClient()
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: podSecurityLabels}}
	_, err = client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil
	case err != nil:
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	fmt.Fprintf(env.Err, "Created namespace %s (Pod Security: restricted).\n", name)
	return nil
}

// releaseNamespaces are the namespaces the objects of release name live in:
// those of its newest revision (release.Namespaces: the release namespace
// and the tier namespaces). found is false when the release has no revision
// in cfg's namespace; the namespaces are then just fallback (the -n
// namespace). Never every namespace: a release of the same name in another
// namespace carries the same labels.
func releaseNamespaces(cfg *action.Configuration, name, fallback string) (namespaces []string, found bool, err error) {
	rel, err := release.Last(cfg, name)
	if err != nil {
		return nil, false, err
	}
	if rel == nil {
		return []string{fallback}, false, nil
	}
	return release.Namespaces(rel), true, nil
}
