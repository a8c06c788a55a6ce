package charts

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/contract"
	"github.com/nova-platform/nova/tests/render"
)

// servicesContract is tests/contract/services-contract.yaml.
type servicesContract = contract.Contract

type programContract = contract.Program

func loadContract(t *testing.T) servicesContract {
	t.Helper()
	c, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// programOf finds the contract of the program a container's image runs.
func programOf(t *testing.T, c servicesContract, image string) (string, programContract) {
	t.Helper()
	name, p, ok := c.ProgramOf(image)
	if !ok {
		t.Fatalf("image %q runs no program of the contract", image)
	}
	return name, p
}

var matches = contract.Matches

// The renders every contract check runs on: each profile, both topologies
// (the consolidated one with its optional streaming-service), and the
// profiles that require endpoints with the endpoints template they need.
func contractRenders() map[string]render.Options {
	out := map[string]render.Options{}
	for _, profile := range render.Profiles {
		out[profile] = render.Options{Chart: "nova", Profile: profile}
		out[profile+"/consolidated"] = render.Options{Chart: "nova", Profile: profile, Files: consolidated,
			Set: map[string]string{"nova-services.services.streaming-service.enabled": "true"}}
	}
	return out
}

// Secrets that renders use without rendering them: those the credentials
// hook Jobs make (their script is tested on its own) and the existing
// Secrets that values/examples/external-endpoints.yaml names.
func declaredSecrets(m *render.Manifest, ns string) externalSecrets {
	out := hookSecrets(m)
	out[ns+"/nova-clickhouse"] = []string{"clickhouse-password"}
	out[ns+"/nova-s3"] = []string{"aws-access-key-id", "aws-secret-access-key"}
	return out
}

// hookSecrets are the Secrets the render's credentials hook Jobs create
// ("namespace/name" -> keys), read from their CREDENTIALS lines.
func hookSecrets(m *render.Manifest) externalSecrets {
	out := externalSecrets{}
	for _, j := range render.All[*batchv1.Job](m) {
		for _, c := range j.Spec.Template.Spec.Containers {
			for _, line := range strings.Split(envOf(c)["CREDENTIALS"].Value, "\n") {
				f := strings.Fields(line)
				if len(f) < 5 {
					continue
				}
				for _, kv := range f[4:] {
					key, _, _ := strings.Cut(kv, "=")
					out[f[0]+"/"+f[1]] = append(out[f[0]+"/"+f[1]], key)
				}
			}
		}
	}
	return out
}

// source says where a container's variable comes from, or "" when nothing
// in the render (or a declared Secret) gives it a value.
func source(m *render.Manifest, spec corev1.PodSpec, c corev1.Container, ns, name string, declared externalSecrets) string {
	e, ok := envOf(c)[name]
	if !ok {
		return ""
	}
	if e.ValueFrom == nil {
		if e.Value == "" {
			return ""
		}
		if strings.HasSuffix(name, "_FILE") || strings.HasSuffix(name, "_PATH") {
			return fileSource(m, spec, c, ns, e.Value, declared)
		}
		return "value"
	}
	if r := e.ValueFrom.SecretKeyRef; r != nil {
		if secretHasKey(m, ns, r.Name, r.Key, declared) {
			return "Secret " + r.Name + " key " + r.Key
		}
		return ""
	}
	if e.ValueFrom.FieldRef != nil {
		return "field"
	}
	return ""
}

func secretHasKey(m *render.Manifest, ns, name, key string, declared externalSecrets) bool {
	for _, s := range render.All[*corev1.Secret](m) {
		if s.Name == name && (s.Namespace == ns || s.Namespace == "") {
			_, ok := s.Data[key]
			return ok
		}
	}
	for _, k := range declared[ns+"/"+name] {
		if k == key {
			return true
		}
	}
	return false
}

// fileSource: the path is a file of a Secret volume mounted in the container.
func fileSource(m *render.Manifest, spec corev1.PodSpec, c corev1.Container, ns, file string, declared externalSecrets) string {
	for _, mount := range c.VolumeMounts {
		if path.Dir(file) != path.Clean(mount.MountPath) {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != mount.Name || v.Secret == nil {
				continue
			}
			for _, it := range v.Secret.Items {
				if it.Path == path.Base(file) && secretHasKey(m, ns, v.Secret.SecretName, it.Key, declared) {
					return "file of Secret " + v.Secret.SecretName + " key " + it.Key
				}
			}
		}
	}
	return ""
}

// Every service of every profile and topology gets what its program's code
// needs, as the contract says, and nothing the code does not read.
func TestServicesMeetTheContract(t *testing.T) {
	ct := loadContract(t)
	renders := contractRenders()
	names := make([]string, 0, len(renders))
	for n := range renders {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for _, name := range names {
		opts := renders[name]
		opts.Set = mergeSets(opts.Set, map[string]string{"nova-services.metrics.serviceMonitor.enabled": "true"})
		t.Run(strings.ReplaceAll(name, "/", "-"), func(t *testing.T) {
			m := render.Render(t, opts)
			for _, problem := range contractProblems(t, m, ct, seen) {
				t.Error(problem)
			}
		})
	}
	for _, want := range []string{"user-service", "messaging-service", "search-service"} {
		if !seen[want] {
			t.Errorf("no render runs %s", want)
		}
	}
}

// contractProblems checks every service Deployment of a render against the
// program its image runs (render with the ServiceMonitors on); seen collects
// the programs found.
func contractProblems(t *testing.T, m *render.Manifest, ct servicesContract, seen map[string]bool) []string {
	t.Helper()
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	monitors := map[string]bool{}
	for _, u := range render.All[*unstructured.Unstructured](m) {
		if u.GetKind() == "ServiceMonitor" && u.GetLabels()["app.kubernetes.io/name"] == "nova-services" {
			monitors[u.GetName()] = true
			eps, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
			if len(eps) != 1 || eps[0].(map[string]any)["port"] != "http" || eps[0].(map[string]any)["path"] != "/metrics" {
				errorf("ServiceMonitor %s scrapes %v, want /metrics on the http port", u.GetName(), eps)
			}
		}
	}
	deployments := serviceDeployments(m)
	if len(deployments) < 3 {
		t.Fatalf("%d service Deployments", len(deployments))
	}
	for _, d := range deployments {
		spec := d.Spec.Template.Spec
		c := container(t, spec, d.Name)
		program, p := programOf(t, ct, c.Image)
		if seen != nil {
			seen[program] = true
		}
		checkProgramContract(errorf, m, ct, d, spec, c, program, p, monitors[d.Name])
	}
	return problems
}

func checkProgramContract(errorf func(string, ...any), m *render.Manifest, ct servicesContract, d *appsv1.Deployment,
	spec corev1.PodSpec, c corev1.Container, program string, p programContract, monitored bool) {
	where := d.Name + " (" + program + ")"
	env := envOf(c)
	ns := d.Namespace

	// Image: the published one, pinned to the build the chart is made for.
	if !strings.HasSuffix(c.Image, ":"+ct.Build) {
		errorf("%s: image %q, want tag %s", where, c.Image, ct.Build)
	}

	// The images' user is a name: the pod must say the number.
	ps := spec.SecurityContext
	if ps == nil || ps.RunAsUser == nil || *ps.RunAsUser != ct.User || ps.RunAsGroup == nil || *ps.RunAsGroup != ct.Group ||
		ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
		errorf("%s: pod security context %+v, want runAsUser/runAsGroup %d/%d and runAsNonRoot", where, ps, ct.User, ct.Group)
	}

	// Listening: one port, http, and the variable the code reads names it.
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		errorf("%s: ports %+v, want only http (nothing listens on a metrics port)", where, c.Ports)
	}
	port := c.Ports[0].ContainerPort
	if got := env[p.Listen.PortEnv].Value; got != itoa(port) {
		errorf("%s: %s=%q, the container port is %d", where, p.Listen.PortEnv, got, port)
	}
	if p.Listen.HostEnv != "" && env[p.Listen.HostEnv].Value != "0.0.0.0" {
		errorf("%s: %s=%q, want 0.0.0.0", where, p.Listen.HostEnv, env[p.Listen.HostEnv].Value)
	}

	// Every required variable (or one of its alternatives) has a value
	// from the render or a declared Secret.
	declared := declaredSecrets(m, ns)
	for _, alternatives := range p.Required {
		var from string
		for _, v := range alternatives {
			if from = source(m, spec, c, ns, v, declared); from != "" {
				break
			}
		}
		if from == "" {
			errorf("%s: none of %v is set from a value, Secret or mounted file: the program exits at start", where, alternatives)
		}
	}
	for trigger, needs := range p.RequiredWith {
		if _, ok := env[trigger]; ok {
			for _, v := range needs {
				if source(m, spec, c, ns, v, declared) == "" {
					errorf("%s: %s is set without %s", where, trigger, v)
				}
			}
		}
	}
	if matches(p.ReachableAtStart, "redis") && env["REDIS_URL"].Value == "" {
		errorf("%s: needs Redis at start, but has no REDIS_URL", where)
	}

	// Nothing the code does not read (the passwords only feed $(VAR)s).
	for _, e := range c.Env {
		if e.Name == "DATABASE_PASSWORD" || e.Name == "REDIS_PASSWORD" {
			continue
		}
		if !matches(p.Reads, e.Name) || matches(ct.NeverRead, e.Name) {
			errorf("%s: env %s, which %s does not read", where, e.Name, program)
		}
	}
	if len(c.EnvFrom) != 0 {
		errorf("%s: envFrom %+v brings variables the contract cannot check", where, c.EnvFrom)
	}

	// Probes: the code's paths, or TCP where HTTP would trip the rate limit.
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	for kind, pr := range probes {
		if pr == nil {
			errorf("%s: no %s probe", where, kind)
			continue
		}
		if p.RateLimit != nil {
			if pr.TCPSocket == nil || pr.TCPSocket.Port.String() != "http" {
				errorf("%s: %s probe %+v: every HTTP request counts against %d per %d s per node, want tcpSocket on http", where, kind, pr.ProbeHandler, p.RateLimit.Requests, p.RateLimit.WindowSeconds)
			}
			continue
		}
		want := p.Probes[kind]
		if kind == "startup" {
			want = p.Probes["liveness"]
		}
		if pr.HTTPGet == nil || pr.HTTPGet.Path != want || pr.HTTPGet.Port.String() != "http" {
			errorf("%s: %s probe %+v, want GET %s on http", where, kind, pr.ProbeHandler, want)
		}
	}

	// Metrics: scraped where the program serves Prometheus metrics, only there.
	if monitored != (p.Metrics != "") {
		errorf("%s: ServiceMonitor %v, the program serves Prometheus metrics at %q", where, monitored, p.Metrics)
	}

	// Writable paths under a read-only root.
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		errorf("%s: root filesystem not read-only", where)
	}
	for _, dir := range p.Writes {
		if !mountedEmptyDir(spec, c, dir) {
			errorf("%s: writes under %s, which is no emptyDir", where, dir)
		}
	}

	// Stopping: fast where the code ignores SIGTERM as PID 1, long enough
	// where it drains.
	grace := int64(30)
	if spec.TerminationGracePeriodSeconds != nil {
		grace = *spec.TerminationGracePeriodSeconds
	}
	share := spec.ShareProcessNamespace != nil && *spec.ShareProcessNamespace
	if p.Sigterm.Graceful {
		pause := int64(0)
		if pre := c.Lifecycle.PreStop; pre != nil && pre.Sleep != nil {
			pause = pre.Sleep.Seconds
		}
		if grace <= int64(p.Sigterm.WorstCaseSeconds)+pause {
			errorf("%s: grace period %d s, the graceful stop takes up to %d s after a %d s pause", where, grace, p.Sigterm.WorstCaseSeconds, pause)
		}
	} else if !share {
		errorf("%s: the program has no SIGTERM handler and runs as PID 1: want shareProcessNamespace", where)
	}
}

func mountedEmptyDir(spec corev1.PodSpec, c corev1.Container, dir string) bool {
	for _, mount := range c.VolumeMounts {
		if path.Clean(mount.MountPath) != dir {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == mount.Name && v.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

// The contract and the chart's programs agree on what the chart cannot
// check in a render: which programs have an image, and their health paths.
func TestProgramsFollowTheContract(t *testing.T) {
	ct := loadContract(t)
	raw, err := os.ReadFile(render.Path("charts", "nova-services", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Image struct {
			Registry string
		}
		Programs map[string]struct {
			Image struct {
				Repository string
			}
			Command    []string
			HealthPath string `json:"healthPath"`
			Metrics    bool
		}
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	for name, p := range ct.Programs {
		got, ok := values.Programs[name]
		if !ok {
			t.Errorf("programs.%s is missing from the chart", name)
			continue
		}
		image := ""
		if got.Image.Repository != "" {
			image = values.Image.Registry + "/" + got.Image.Repository
		}
		if image != p.Image {
			t.Errorf("programs.%s: image %q, the contract says %q", name, image, p.Image)
		}
		if len(p.Cmd) > 0 && strings.Join(got.Command, " ") != strings.Join(p.Cmd, " ") {
			t.Errorf("programs.%s.command %v, the image's CMD is %v", name, got.Command, p.Cmd)
		}
		if got.HealthPath != p.Health || got.Metrics != (p.Metrics != "") {
			t.Errorf("programs.%s: healthPath %q, metrics %v; the contract says %q, %q", name, got.HealthPath, got.Metrics, p.Health, p.Metrics)
		}
	}
	chart := readChartYAML(t, "nova-services")
	if chart["appVersion"] != ct.Build {
		t.Errorf("nova-services appVersion %v, the contract's build is %s", chart["appVersion"], ct.Build)
	}
}

func readChartYAML(t *testing.T, chart string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(render.Path("charts", chart, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The contract check must be able to fail: each drift below is one a chart
// change could bring, and each must be reported.
func TestContractCheckCatchesDrift(t *testing.T) {
	ct := loadContract(t)
	cases := map[string]struct {
		set  map[string]string
		want string
	}{
		"probe path": {map[string]string{"nova-services.services.search-service.probes.readiness.path": "/ready"}, "search-service (search-service): readiness probe"},
		"HTTP probe on a rate-limited program": {map[string]string{"nova-services.programs.user-service.probes.readiness.type": "http",
			"nova-services.programs.user-service.probes.readiness.path": "/api/v1/health/ready"}, "user-service (user-service): readiness probe"},
		"env nobody reads":        {map[string]string{"nova-services.services.user-service.extraEnv[0].name": "ELASTICSEARCH_URL", "nova-services.services.user-service.extraEnv[0].value": "x"}, "env ELASTICSEARCH_URL"},
		"numeric user":            {map[string]string{"nova-services.podSecurityContext.runAsUser": "10001"}, "want runAsUser/runAsGroup 1001/1001"},
		"port variable":           {map[string]string{"nova-services.programs.search-service.listen.portEnv": "HTTP_PORT"}, `search-service (search-service): PORT=""`},
		"PID 1 without a handler": {map[string]string{"nova-services.programs.messaging-service.shareProcessNamespace": "false"}, "messaging-service (messaging-service): the program has no SIGTERM handler"},
		"required value":          {map[string]string{"nova-services.external.kafka.brokers": ""}, "none of [KAFKA_BROKERS] is set"},
		"JWT public key":          {map[string]string{"nova-services.programs.messaging-service.uses": "{rtc,apns}"}, "none of [JWT_PUBLIC_KEY_PEM JWT_PUBLIC_KEY_FILE] is set"},
		"short grace period":      {map[string]string{"nova-services.programs.user-service.terminationGracePeriodSeconds": "30"}, "user-service (user-service): grace period 30 s"},
		"metrics not scraped":     {map[string]string{"nova-services.programs.user-service.metrics": "false"}, "user-service (user-service): ServiceMonitor false"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := render.Render(t, render.Options{Chart: "nova", Profile: "local",
				Set: mergeSets(map[string]string{"nova-services.metrics.serviceMonitor.enabled": "true"}, c.set)})
			got := strings.Join(contractProblems(t, m, ct, nil), "\n")
			if !strings.Contains(got, c.want) {
				t.Errorf("drift not reported: want %q in:\n%s", c.want, got)
			}
		})
	}
}
