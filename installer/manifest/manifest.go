// Package manifest splits a rendered release into its documents the way Helm
// does (releaseutil.SplitManifests), in render order. The installer's
// preflight checks and the chart tests both read renders through it.
package manifest

import (
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
)

// Documents returns the YAML documents of a multi-document render, in order,
// each ending in a line break, leaving out documents that hold nothing but
// comments and blank lines (a template whose condition was false leaves one
// behind).
func Documents(rendered string) []string {
	split := releaseutil.SplitManifests(rendered)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var out []string
	for _, k := range keys {
		// A separator right after an empty document stays at the start of
		// the next one (helm's split): it is no content of its own.
		if doc := strings.TrimPrefix(split[k], "---\n"); hasContent(doc) {
			// helm's split trims each document; the line break it took from
			// the end is put back, or a block scalar that ends the document
			// (a ConfigMap's file) would lose its last newline.
			out = append(out, doc+"\n")
		}
	}
	return out
}

func hasContent(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}
