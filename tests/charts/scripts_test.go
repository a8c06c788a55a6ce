package charts

// The scripts convention of nova-common's _scripts.tpl, for every subchart:
// scripts live under files/, one ConfigMap holds them all, pods mount it at
// /scripts, only pre-* hook pods carry a script inline, and pods roll when a
// shipped script changes but not when a value rendered into one does.

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/render"
)

const scriptsDir = "/scripts"

// chartsWithScripts are the subcharts that ship files/.
func chartsWithScripts(t *testing.T) []string {
	var out []string
	for _, c := range render.Charts {
		if entries, err := os.ReadDir(render.Path("charts", c, "files")); err == nil && len(entries) > 0 {
			out = append(out, c)
		}
	}
	if len(out) != 3 {
		t.Fatalf("charts with files/: %v, want the three subcharts", out)
	}
	return out
}

// shippedScripts: base name in the ConfigMap -> file as shipped.
func shippedScripts(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "files", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files under %s/files: %v", dir, err)
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".tpl")] = string(data)
	}
	return out
}

type podOf struct {
	name  string
	hook  string
	spec  corev1.PodSpec
	annot map[string]string
}

// pods: every pod a render can start (workloads, Jobs, test Pods).
func pods(m *render.Manifest) []podOf {
	var out []podOf
	for _, w := range workloads(m) {
		out = append(out, podOf{w.Meta.Name, "", w.Template.Spec, w.Template.Annotations})
	}
	for _, j := range render.All[*batchv1.Job](m) {
		out = append(out, podOf{j.Name, j.Annotations["helm.sh/hook"], j.Spec.Template.Spec, j.Spec.Template.Annotations})
	}
	for _, p := range render.All[*corev1.Pod](m) {
		out = append(out, podOf{p.Name, p.Annotations["helm.sh/hook"], p.Spec, p.Annotations})
	}
	return out
}

func TestScriptsComeFromFilesThroughOneConfigMap(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "staging"})
	// Every script as the ConfigMaps hold it (a *.tpl file rendered).
	var all []string
	for _, c := range chartsWithScripts(t) {
		all = append(all, mapValues(render.Get[*corev1.ConfigMap](t, m, "nova-"+c+"-scripts").Data)...)
	}
	for _, c := range chartsWithScripts(t) {
		name := "nova-" + c + "-scripts"
		cm := render.Get[*corev1.ConfigMap](t, m, name)
		shipped := shippedScripts(t, render.Path("charts", c))
		var keys, want []string
		for k := range cm.Data {
			keys = append(keys, k)
		}
		for k, text := range shipped {
			want = append(want, k)
			if !strings.Contains(text, "{{") && cm.Data[k] != text {
				t.Errorf("%s: %s differs from files/%s", name, k, k)
			}
		}
		sort.Strings(keys)
		sort.Strings(want)
		if !slices.Equal(keys, want) {
			t.Errorf("%s holds %v, want one key per file under files/: %v", name, keys, want)
		}

		for _, p := range pods(m) {
			mounted := map[string]bool{}
			for _, v := range p.spec.Volumes {
				if v.ConfigMap != nil && v.ConfigMap.Name == name {
					mounted[v.Name] = true
				}
			}
			for _, ctr := range append(slices.Clone(p.spec.InitContainers), p.spec.Containers...) {
				for _, vm := range ctr.VolumeMounts {
					if mounted[vm.Name] && (vm.MountPath != scriptsDir || !vm.ReadOnly) {
						t.Errorf("%s/%s mounts %s at %s (readOnly %v), want %s read-only", p.name, ctr.Name, name, vm.MountPath, vm.ReadOnly, scriptsDir)
					}
				}
				argv := append(slices.Clone(ctr.Command), ctr.Args...)
				if len(argv) > 2 && argv[1] == "-c" && strings.Count(argv[2], "\n") > 2 {
					// An inline script is a whole file of files/, and only in a
					// hook that may run before this release's ConfigMap exists.
					if !strings.Contains(p.hook, "pre-") {
						t.Errorf("%s/%s (hook %q) carries a script inline; only pre-* hooks may", p.name, ctr.Name, p.hook)
					}
					if !slices.Contains(all, argv[2]) {
						t.Errorf("%s/%s: its inline script is no file of files/", p.name, ctr.Name)
					}
				}
				for _, a := range argv {
					if f, ok := strings.CutPrefix(a, scriptsDir+"/"); ok && len(mounted) > 0 && shipped[f] == "" {
						t.Errorf("%s/%s runs %s, which %s does not hold", p.name, ctr.Name, a, name)
					}
				}
			}
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Pods that mount the scripts roll when a shipped script changes; a value
// rendered into a *.tpl file (a database of ensure.sql) leaves them alone.
func TestPodsRollWhenAShippedScriptChanges(t *testing.T) {
	for _, c := range chartsWithScripts(t) {
		t.Run(c, func(t *testing.T) {
			checksums := func(m *render.Manifest) map[string]string {
				out := map[string]string{}
				for _, w := range workloads(m) {
					if sum := w.Template.Annotations["checksum/scripts"]; sum != "" {
						out[w.Meta.Name] = sum
					}
				}
				return out
			}
			base := render.Render(t, render.Options{Chart: c, Profile: "local"})
			before := checksums(base)
			if len(before) == 0 {
				t.Fatal("no workload carries checksum/scripts")
			}
			// Every workload that mounts the scripts carries the checksum.
			for _, w := range workloads(base) {
				for _, v := range w.Template.Spec.Volumes {
					uses := v.ConfigMap != nil && strings.HasSuffix(v.ConfigMap.Name, "-scripts")
					if v.Projected != nil {
						for _, s := range v.Projected.Sources {
							uses = uses || (s.ConfigMap != nil && strings.HasSuffix(s.ConfigMap.Name, "-scripts"))
						}
					}
					if uses && before[w.Meta.Name] == "" {
						t.Errorf("%s mounts the scripts without checksum/scripts", w.Meta.Name)
					}
				}
			}

			dir := copyChart(t, c)
			files, _ := filepath.Glob(filepath.Join(dir, "files", "*.sh"))
			f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = f.WriteString("# changed by the test\n")
			_ = f.Close()
			changed := checksums(render.Render(t, render.Options{ChartDir: dir, Chart: c, Profile: "local"}))
			for name, sum := range before {
				if changed[name] == sum {
					t.Errorf("%s: checksum/scripts did not change with %s", name, filepath.Base(files[0]))
				}
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		set := map[string]string{"databases[0].name": "nova_renamed", "databases[0].schemas[0]": "renamed"}
		base := render.Render(t, render.Options{Chart: "postgres-ha", Profile: "local"})
		renamed := render.Render(t, render.Options{Chart: "postgres-ha", Profile: "local", Set: set})
		if sql := render.Get[*corev1.ConfigMap](t, renamed, pgScripts).Data["ensure.sql"]; !strings.Contains(sql, "CREATE DATABASE %I OWNER %I', 'nova_renamed'") {
			t.Fatalf("the database name did not reach ensure.sql:\n%s", sql)
		}
		sums := map[string]string{}
		for _, w := range workloads(renamed) {
			sums[w.Meta.Name] = w.Template.Annotations["checksum/scripts"]
		}
		for _, w := range workloads(base) {
			if sum := w.Template.Annotations["checksum/scripts"]; sum != "" && sums[w.Meta.Name] != sum {
				t.Errorf("%s rolls when a database is renamed in ensure.sql", w.Meta.Name)
			}
		}
	})
}

// copyChart copies charts/<name> (with its built dependencies) to a temp dir.
func copyChart(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("cp", "-a", render.Path("charts", name), dst).CombinedOutput(); err != nil {
		t.Fatalf("copy chart: %v\n%s", err, out)
	}
	return dst
}

// Every shell script a chart ships is POSIX sh and shellcheck-clean, as
// rendered into its scripts ConfigMap.
func TestScriptsPassShellcheck(t *testing.T) {
	need.Command(t, "shellcheck", "shellcheck")
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local"})
	for _, c := range chartsWithScripts(t) {
		dir := t.TempDir()
		var files []string
		for file, text := range render.Get[*corev1.ConfigMap](t, m, "nova-"+c+"-scripts").Data {
			if strings.HasSuffix(file, ".sh") {
				p := filepath.Join(dir, file)
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				files = append(files, p)
			}
		}
		shipped, _ := filepath.Glob(render.Path("charts", c, "files", "*.sh"))
		rendered, _ := filepath.Glob(render.Path("charts", c, "files", "*.sh.tpl"))
		shipped = append(shipped, rendered...)
		if len(files) != len(shipped) || len(files) == 0 {
			t.Fatalf("%s: %d scripts rendered, %d shipped", c, len(files), len(shipped))
		}
		cmd := exec.Command("shellcheck", append([]string{"--shell=sh", "-x", "-P", "SCRIPTDIR"}, files...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: shellcheck: %v\n%s", c, err, out)
		}
	}
}

// Template files are named after what they render, one way in every chart:
// <kind>.yaml, or <kind>-<component>.yaml when a chart has that kind for
// several components; kind is the kubectl short name where there is one
// (hpa, pdb); rbac.yaml holds a chart's ServiceAccounts and Roles, and a
// hook Job's own RBAC sits in the Job's file; test pods are tests/test-*.yaml.
func TestTemplateFilesAreNamedAfterTheirKind(t *testing.T) {
	prefixes := map[string][]string{
		"Deployment": {"deployment"}, "StatefulSet": {"statefulset"}, "Service": {"service"},
		"ConfigMap": {"configmap"}, "Secret": {"secret"}, "Job": {"job"}, "Pod": {"test"},
		"HorizontalPodAutoscaler": {"hpa"}, "PodDisruptionBudget": {"pdb"}, "NetworkPolicy": {"networkpolicy"},
		"ServiceMonitor": {"servicemonitor"}, "Ingress": {"ingress"}, "Namespace": {"namespace"},
		"ServiceAccount": {"rbac", "serviceaccount", "job"}, "Role": {"rbac", "job"}, "RoleBinding": {"rbac", "job"},
		"ExternalSecret": {"externalsecret"},
	}
	// Everything on, so that every template renders something.
	set := map[string]string{"global.tierNamespaces.enabled": "true", "nova-services.ingress.enabled": "true",
		"nova-services.ingress.hosts[0].host":          "api.example.test",
		"nova-services.metrics.serviceMonitor.enabled": "true", "postgres-ha.metrics.enabled": "true",
		"redis-sentinel.metrics.enabled": "true", "redis-sentinel.metrics.serviceMonitor.enabled": "true"}
	for _, c := range render.Charts[:len(render.Charts)-1] {
		set[c+".networkPolicy.enabled"] = "true"
	}
	// Each credentials source renders other templates: the three in turn.
	var raw []string
	for _, source := range []map[string]string{{"global.credentials.source": "chart"}, {"global.credentials.source": "hook"},
		{"global.credentials.source": "external", "global.credentials.externalSecrets.enabled": "true", "global.credentials.externalSecrets.secretStoreRef.name": "vault"}} {
		maps.Copy(set, source)
		raw = append(raw, render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: set}).Raw)
	}
	rendered := map[string]bool{}
	files := 0
	for _, doc := range strings.Split(strings.Join(raw, "\n---\n"), "\n---\n") {
		var source, kind string
		for _, line := range strings.Split(doc, "\n") {
			if s, ok := strings.CutPrefix(line, "# Source: "); ok {
				source = s
			}
			if k, ok := strings.CutPrefix(line, "kind: "); ok && kind == "" {
				kind = strings.TrimSpace(k)
			}
		}
		if source == "" || kind == "" {
			continue
		}
		files++
		rendered[strings.SplitN(source, "/templates/", 2)[1]+"@"+strings.Split(strings.TrimPrefix(source, "nova/charts/"), "/")[0]] = true
		base := filepath.Base(source)
		prefix, _, _ := strings.Cut(strings.TrimSuffix(base, ".yaml"), "-")
		allowed, known := prefixes[kind]
		switch {
		case !known:
			t.Errorf("%s renders a %s: add the kind's file name to this test", source, kind)
		case !slices.Contains(allowed, prefix):
			t.Errorf("%s renders a %s: want a file named %s[-<component>].yaml", source, kind, allowed[0])
		case kind == "Pod" && !strings.Contains(source, "/templates/tests/"):
			t.Errorf("%s: test pods live under templates/tests/", source)
		}
	}
	// Every template file of every chart rendered something, so each was checked.
	for _, c := range render.Charts {
		tmpls, _ := filepath.Glob(render.Path("charts", c, "templates", "*.yaml"))
		tests, _ := filepath.Glob(render.Path("charts", c, "templates", "tests", "*.yaml"))
		for _, f := range append(tmpls, tests...) {
			rel := strings.TrimPrefix(f, render.Path("charts", c, "templates")+"/")
			if !rendered[rel+"@"+c] {
				t.Errorf("charts/%s/templates/%s rendered nothing here: switch it on in this test", c, rel)
			}
		}
	}
	if files < 40 {
		t.Fatalf("only %d documents with a source and a kind: the render is not what this test reads", files)
	}
}
