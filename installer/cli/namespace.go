package cli

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
