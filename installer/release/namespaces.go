package release

import (
	"context"
	"fmt"
	"sort"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/nova-platform/nova/installer/manifest"
)

// Namespaces are the namespaces a release's objects live in, sorted: the
// release namespace, the namespace of every object of its manifest (and of
// its hooks; objects without one are in the release namespace), and every
// Namespace the release creates (the tier namespaces). Commands that look
// for the release's objects by label query these namespaces only: another
// release of the same name in another namespace carries the same labels.
func Namespaces(rel *release.Release) []string {
	set := map[string]bool{rel.Namespace: true}
	manifests := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		if h != nil {
			manifests = append(manifests, h.Manifest)
		}
	}
	for _, m := range manifests {
		for _, doc := range manifest.Documents(m) {
			var obj struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				continue // helm accepted the manifest; skip what this minimal decode cannot read
			}
			if obj.Metadata.Namespace != "" {
				set[obj.Metadata.Namespace] = true
			}
			if obj.Kind == "Namespace" && obj.Metadata.Name != "" {
				set[obj.Metadata.Name] = true
			}
		}
	}
	delete(set, "")
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// NamespacesOf are the namespaces the objects of release name live in: those
// of its newest revision in cfg (Namespaces). found is false when the release
// has no revision there; the namespaces are then just fallback (the -n
// namespace). Never every namespace: a release of the same name in another
// namespace carries the same labels. While a deploy runs, helm has stored the
// pending revision before it creates anything, so its tier namespaces are
// known from the start.
func NamespacesOf(cfg *action.Configuration, name, fallback string) (namespaces []string, found bool, err error) {
	rel, err := Last(cfg, name)
	if err != nil {
		return nil, false, err
	}
	if rel == nil {
		return []string{fallback}, false, nil
	}
	return Namespaces(rel), true, nil
}

// EnsureNamespace creates namespace name labelled for Pod Security
// "restricted" (helm's --create-namespace would create it without the
// labels), and says whether it created it; one that exists is left as it is.
func EnsureNamespace(ctx context.Context, c kubernetes.Interface, name string) (created bool, err error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: facts.PodSecurity}}
	_, err = c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("create namespace %s: %w", name, err)
	}
	return true, nil
}
