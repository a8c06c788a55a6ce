package charts

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/tests/render"
)

var allCharts = append([]string{"nova-common"}, render.Charts...)

// ct's yamale schema check is off (no yamale on Debian); this is the check.
func TestChartMetadata(t *testing.T) {
	semver := regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	for _, name := range allCharts {
		c, err := loader.Load(render.Path("charts", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		md := c.Metadata
		if md.APIVersion != "v2" || md.Name != name || !semver.MatchString(md.Version) || md.KubeVersion != ">=1.28.0-0" || md.Description == "" {
			t.Errorf("%s: Chart.yaml apiVersion=%q name=%q version=%q kubeVersion=%q description=%q", name, md.APIVersion, md.Name, md.Version, md.KubeVersion, md.Description)
		}
		if err := md.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if c.Schema == nil {
			t.Errorf("%s: no values.schema.json", name)
		}
		if md.Type != "library" {
			if _, err := os.Stat(render.Path("charts", name, "templates", "NOTES.txt")); err != nil {
				t.Errorf("%s: no templates/NOTES.txt", name)
			}
		}
	}
}

// Every value a chart has is documented in its README: a row of the values
// table that helm-docs writes from its `# --` comment (`path`, or rows of
// the values under it, `path.x`). make docs-check keeps the README equal to
// what helm-docs writes; this test catches a value left without a comment,
// which helm-docs leaves out.
func TestChartReadmesListEveryValue(t *testing.T) {
	for _, name := range allCharts {
		readme, err := os.ReadFile(render.Path("charts", name, "README.md"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		raw, err := os.ReadFile(render.Path("charts", name, "values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var values map[string]any
		if err := yaml.Unmarshal(raw, &values); err != nil {
			t.Fatal(err)
		}
		if name != "nova" {
			delete(values, "global") // documented once, in the umbrella's README
		}
		var missing []string
		for _, p := range valuePaths(values, "", 0) {
			if !strings.Contains(string(readme), "`"+p+"`") && !strings.Contains(string(readme), "`"+p+".") {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("charts/%s/README.md does not document: %s", name, strings.Join(missing, ", "))
		}
	}
}

// valuePaths lists value paths two levels deep ("image.tag"); entries of the
// services and programs maps count as one level under the name "<name>".
func valuePaths(m map[string]any, prefix string, depth int) []string {
	var out []string
	for k, v := range m {
		if prefix == "services." || prefix == "programs." {
			k = "<name>"
		}
		p := prefix + k
		sub, isMap := v.(map[string]any)
		catalogue := p == "services" || p == "programs" || strings.HasPrefix(p, "services.") || strings.HasPrefix(p, "programs.")
		if isMap && len(sub) > 0 && (depth < 1 || catalogue && depth < 2) {
			out = append(out, valuePaths(sub, p+".", depth+1)...)
			continue
		}
		out = append(out, p)
	}
	return uniq(out)
}

// The Makefile and the tests read the chart and profile lists, and the
// Kubernetes minor helm renders for, from the same owners (the directories,
// release.KubeVersion): a chart or profile the one sees, the other sees too.
func TestMakefileListsWhatTheTestsList(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	makeVar := func(name string) string {
		out, err := exec.Command("make", "-s", "--no-print-directory", "-C", render.Root(), "--eval", "_print: ; @echo $("+name+")", "_print").Output()
		if err != nil {
			t.Fatalf("make %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	if got, want := makeVar("APP_CHARTS"), strings.Join(render.Charts, " "); got != want {
		t.Errorf("Makefile APP_CHARTS = %q, tests' render.Charts = %q", got, want)
	}
	if got, want := strings.Fields(makeVar("CHARTS")), append([]string(nil), allCharts...); !sameSet(got, want) {
		t.Errorf("Makefile CHARTS = %q, tests lint %q", got, want)
	}
	if got, want := strings.Fields(makeVar("PROFILES")), render.Profiles; !sameSet(got, want) {
		t.Errorf("Makefile PROFILES = %q, nova-installer's profiles = %q", got, want)
	}
	if got := makeVar("HELM_K8S_MINOR"); got != release.KubeVersion.Minor {
		t.Errorf("Makefile HELM_K8S_MINOR = %q, installer renders for minor %q", got, release.KubeVersion.Minor)
	}
}
