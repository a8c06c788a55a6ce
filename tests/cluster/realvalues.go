package cluster

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/cluster/images"
)

// ValuesFile is the values file, in the cluster directory, that points the
// charts at the real node's images: `-f <dir>/real-node-values.yaml` after
// the profile.
const ValuesFile = "real-node-values.yaml"

// imageValue is a chart image value for an image reference.
func imageValue(ref string) map[string]any {
	registry, rest, _ := strings.Cut(ref, "/")
	repo, tag, _ := strings.Cut(rest, ":")
	return map[string]any{"registry": registry, "repository": repo, "tag": tag, "pullPolicy": "IfNotPresent"}
}

// NodeValues: only image values, plus what a different base image
// legitimately needs (Debian's postgres user is not spilo's 101:103).
func NodeValues(tier images.DataTier) (string, error) {
	pg, ok := tier.Postgres.Layers[0].(images.Debian)
	if !ok {
		return "", fmt.Errorf("the postgres image has no Debian layer")
	}
	uid, gid, err := pg.User("postgres")
	if err != nil {
		return "", err
	}
	postgres, redis := imageValue(tier.Postgres.Ref), imageValue(tier.Redis.Ref)
	values := map[string]any{
		"redis-sentinel": map[string]any{
			"image":     redis,
			"haproxy":   map[string]any{"image": imageValue(tier.HAProxy.Ref)},
			"roleLabel": map[string]any{"image": imageValue(tier.Curl.Ref)},
		},
		"postgres-ha": map[string]any{
			"image":              postgres,
			"etcd":               map[string]any{"image": imageValue(tier.Etcd.Ref)},
			"podSecurityContext": map[string]any{"runAsUser": uid, "runAsGroup": gid, "fsGroup": gid},
		},
		"nova-services": map[string]any{
			"image":               map[string]any{"registry": images.Registry},
			"jwt":                 map[string]any{"generator": map[string]any{"image": postgres}},
			"waitForDependencies": map[string]any{"image": imageValue(tier.Busybox.Ref)},
			"tests":               map[string]any{"images": map[string]any{"postgres": postgres, "redis": redis}},
		},
	}
	out, err := yaml.Marshal(values)
	if err != nil {
		return "", err
	}
	return "# The real node's images (tests/cluster/images), written by the proving ground.\n" +
		"# Images and the postgres user of Debian's image; nothing else differs.\n" + string(out), nil
}
