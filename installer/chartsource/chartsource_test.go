package chartsource

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	nova "github.com/nova-platform/nova"
)

func dependencyNames(t *testing.T, ref string) map[string][]string {
	t.Helper()
	c, err := (&Loader{Embedded: nova.Charts}).Load(Options{Ref: ref})
	require.NoError(t, err)
	out := map[string][]string{}
	for _, d := range c.Dependencies() {
		for _, dd := range d.Dependencies() {
			out[d.Name()] = append(out[d.Name()], dd.Name())
		}
		if _, ok := out[d.Name()]; !ok {
			out[d.Name()] = nil
		}
	}
	return out
}

// The embedded umbrella is assembled from the embedded sibling charts: no
// `helm dependency build` is needed for the binary.
func TestEmbeddedUmbrellaHasEveryTier(t *testing.T) {
	want := map[string][]string{
		"nova-common":    nil,
		"redis-sentinel": {"nova-common"},
		"postgres-ha":    {"nova-common"},
		"nova-services":  {"nova-common"},
	}
	assert.Equal(t, want, dependencyNames(t, ""))
}

// A checkout's chart directory works the same, built dependencies or not.
func TestChartDirectory(t *testing.T) {
	assert.Len(t, dependencyNames(t, "../../charts/nova"), 4)
}

func TestUnknownChartReference(t *testing.T) {
	l := &Loader{Embedded: nova.Charts, Locate: func(string, Options) (string, error) { return "", assert.AnError }}
	_, err := l.Load(Options{Ref: "somerepo/nova"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chart somerepo/nova")
}
