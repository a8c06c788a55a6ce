package release

import (
	"sort"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
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
		for _, doc := range releaseutil.SplitManifests(m) {
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
