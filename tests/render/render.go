// Package render renders the Nova charts the way users do (helm template, through
// terratest's helm module) and decodes every document of the output into typed
// Kubernetes objects, strictly: an unknown field fails the decode.
package render

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/logger"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	nova "github.com/nova-platform/nova"
	"github.com/nova-platform/nova/installer/manifest"
	"github.com/nova-platform/nova/installer/values"
)

// Charts are the installable charts, subcharts first: every directory of
// charts/ but the library, the umbrella last. The Makefile's CHARTS and
// APP_CHARTS list the same directories, so adding a chart is adding its
// directory.
var Charts = installableCharts()

// Profiles are the profiles under values/ (presets excluded), as
// nova-installer lists them and the Makefile's PROFILES globs them.
var Profiles = profileNames()

// Umbrella is the chart that depends on the others.
const Umbrella = "nova"

func installableCharts() []string {
	files, _ := filepath.Glob(Path("charts", "*", "Chart.yaml"))
	var out []string
	for _, f := range files {
		var meta struct{ Type string }
		data, err := os.ReadFile(f)
		if err != nil || yaml.Unmarshal(data, &meta) != nil {
			panic(fmt.Sprintf("read %s: %v", f, err))
		}
		if name := filepath.Base(filepath.Dir(f)); meta.Type != "library" && name != Umbrella {
			out = append(out, name)
		}
	}
	return append(out, Umbrella)
}

func profileNames() []string {
	all, err := values.Profiles(nova.Profiles)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, p := range all {
		if !p.Preset {
			out = append(out, p.Name)
		}
	}
	return out
}

// EndpointsFile is the template of the external endpoints (Kafka, ClickHouse,
// S3) that the staging and production profiles require.
const EndpointsFile = "values/examples/external-endpoints.yaml"

// Options say what to render.
type Options struct {
	Chart     string            // chart directory name under charts/
	ChartDir  string            // a chart elsewhere (test fixtures); overrides Chart
	Profile   string            // profile name under values/ ("" for chart defaults)
	Files     []string          // extra values files, relative to the repository root
	Set       map[string]string // --set overrides
	Namespace string            // default "nova"
	Release   string            // default "nova"
	// NoEndpoints leaves out EndpointsFile, which is otherwise added after a
	// profile that requires external endpoints, as its users must add it.
	NoEndpoints bool
}

// Manifest is one render: the raw text and every document as a typed object.
type Manifest struct {
	Raw     string
	Objects []k8sruntime.Object
}

var (
	depsOnce sync.Once
	depsErr  error
)

// Root is the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Path joins elements onto the repository root.
func Path(elem ...string) string { return filepath.Join(append([]string{Root()}, elem...)...) }

func init() {
	// The pinned helm from `make tools` comes first, so tests render with it.
	_ = os.Setenv("PATH", Path("bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// BuildDependencies runs `helm dependency build` for every chart (and the test
// fixtures) when the chart sources changed since the last build, so renders
// never use a stale packaged copy of nova-common. Test processes run in
// parallel: a file lock makes one of them build while the others wait.
func BuildDependencies() error {
	depsOnce.Do(func() { depsErr = buildDependencies() })
	return depsErr
}

func buildDependencies() error {
	if _, err := exec.LookPath("helm"); err != nil {
		return fmt.Errorf("helm not found in %s or PATH: run `make tools`", Path("bin"))
	}
	if err := os.MkdirAll(Path(".cache"), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(Path(".cache", "deps.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	fixture := Path("tests", "testdata", "helpers-probe")
	dirs := []string{fixture}
	for _, c := range Charts {
		dirs = append(dirs, Path("charts", c))
	}
	sum, err := sourcesDigest()
	if err != nil {
		return err
	}
	stamp := Path(".cache", "deps.stamp")
	if old, _ := os.ReadFile(stamp); string(old) == sum && allBuilt(dirs) {
		return nil
	}
	// The charts' dependencies are built by `make deps`, their one owner; the
	// test fixture's here.
	if out, err := exec.Command("make", "-s", "-C", Root(), "deps").CombinedOutput(); err != nil {
		return fmt.Errorf("make deps: %v\n%s", err, out)
	}
	_ = os.RemoveAll(filepath.Join(fixture, "charts"))
	if out, err := exec.Command("helm", "dependency", "build", "--skip-refresh", fixture).CombinedOutput(); err != nil {
		return fmt.Errorf("helm dependency build %s: %v\n%s", fixture, err, out)
	}
	return os.WriteFile(stamp, []byte(sum), 0o644)
}

// sourcesDigest hashes every chart source file (not the built dependencies).
func sourcesDigest() (string, error) {
	h := sha256.New()
	for _, root := range []string{Path("charts"), Path("tests", "testdata")} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "charts" && p != root {
				return filepath.SkipDir
			}
			if d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%x\x00", p, sha256.Sum256(data))
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

func allBuilt(dirs []string) bool {
	for _, d := range dirs {
		if entries, err := os.ReadDir(filepath.Join(d, "charts")); err != nil || len(entries) == 0 {
			return false
		}
	}
	return true
}

// ValuesFiles returns the values files of a render, in order: the profile then
// the extra files. A profile is umbrella-shaped; for a subchart it is cut down
// to the global block and the subchart's own block, as the umbrella would pass them.
func (o Options) ValuesFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	umbrellaShaped := func(f string) string {
		if o.Chart != "nova" {
			return subchartValues(t, f, o.Chart)
		}
		return f
	}
	if o.Profile != "" {
		profile := Path("values", o.Profile+".yaml")
		files = append(files, umbrellaShaped(profile))
		if !o.NoEndpoints && RequiresEndpoints(t, o.Profile) && (o.Chart == "nova" || o.Chart == "nova-services") {
			files = append(files, umbrellaShaped(Path(EndpointsFile)))
		}
	}
	for _, f := range o.Files {
		if filepath.IsAbs(f) {
			files = append(files, f)
		} else {
			files = append(files, Path(f))
		}
	}
	return files
}

// RequiresEndpoints says whether a profile sets nova-services.external.required.
func RequiresEndpoints(t testing.TB, profile string) bool {
	t.Helper()
	raw, err := os.ReadFile(Path("values", profile+".yaml"))
	if err != nil {
		t.Fatalf("read profile %s: %v", profile, err)
	}
	var v struct {
		Services struct {
			External struct {
				Required bool `json:"required"`
			} `json:"external"`
		} `json:"nova-services"`
	}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parse profile %s: %v", profile, err)
	}
	return v.Services.External.Required
}

func subchartValues(t testing.TB, umbrellaFile, chart string) string {
	t.Helper()
	raw, err := os.ReadFile(umbrellaFile)
	if err != nil {
		t.Fatalf("read %s: %v", umbrellaFile, err)
	}
	var all map[string]any
	if err := yaml.Unmarshal(raw, &all); err != nil {
		t.Fatalf("parse %s: %v", umbrellaFile, err)
	}
	sub, _ := all[chart].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
	}
	if g, ok := all["global"]; ok {
		sub["global"] = g
	}
	out, err := yaml.Marshal(sub)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), chart+"-"+filepath.Base(umbrellaFile))
	if err := os.WriteFile(f, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TemplateE renders and returns the raw output, or helm's error.
func TemplateE(t testing.TB, o Options) (string, error) {
	t.Helper()
	if err := BuildDependencies(); err != nil {
		t.Fatal(err)
	}
	ns := o.Namespace
	if ns == "" {
		ns = "nova"
	}
	release := o.Release
	if release == "" {
		release = "nova"
	}
	opts := &helm.Options{
		ValuesFiles: o.ValuesFiles(t),
		SetValues:   o.Set,
		Logger:      logger.Discard,
	}
	tt, ok := t.(*testing.T)
	if !ok {
		t.Fatal("render: needs a *testing.T")
	}
	chartDir := Path("charts", o.Chart)
	if o.ChartDir != "" {
		chartDir = o.ChartDir
	}
	return helm.RenderTemplateE(tt, opts, chartDir, release, nil, "--namespace", ns)
}

// Render renders and decodes; any error fails the test.
func Render(t testing.TB, o Options) *Manifest {
	t.Helper()
	raw, err := TemplateE(t, o)
	if err != nil {
		t.Fatalf("render %+v: %v", o, err)
	}
	m, err := Decode(raw)
	if err != nil {
		t.Fatalf("decode render of %+v: %v", o, err)
	}
	return m
}

var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// Decode splits a multi-document render and decodes each document into its
// typed object (terratest's UnmarshalK8SYaml would read only the first).
func Decode(raw string) (*Manifest, error) {
	m := &Manifest{Raw: raw}
	for i, doc := range manifest.Documents(raw) {
		obj, _, err := strictDecoder.Decode([]byte(doc), nil, nil)
		if k8sruntime.IsNotRegisteredError(err) {
			// A kind client-go does not know (a ServiceMonitor, say): keep it unstructured.
			u := &unstructured.Unstructured{}
			if err = yaml.Unmarshal([]byte(doc), &u.Object); err == nil {
				obj = u
			}
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w\n%s", i, err, doc)
		}
		m.Objects = append(m.Objects, obj)
	}
	return m, nil
}

// All returns every object of type T in render order.
func All[T k8sruntime.Object](m *Manifest) []T {
	var out []T
	for _, o := range m.Objects {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// Named is the part of every object that has a name.
type Named interface {
	k8sruntime.Object
	GetName() string
}

// Get returns the object of type T with the given name, failing the test when absent.
func Get[T Named](t testing.TB, m *Manifest, name string) T {
	t.Helper()
	var names []string
	for _, o := range All[T](m) {
		if o.GetName() == name {
			return o
		}
		names = append(names, o.GetName())
	}
	var zero T
	t.Fatalf("no %T named %q in the render (have %v)", zero, name, names)
	return zero
}

// Container returns the container of a pod spec with the given name, failing
// the test when absent.
func Container(t testing.TB, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}
