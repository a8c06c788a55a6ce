package e2e

// GitOps, as Argo CD does it: render with `helm template` (here
// `nova-installer template`, the documented way), run the PreSync hooks
// (Helm's pre-install/pre-upgrade) in weight order, then apply the rest with
// kubectl; on every sync again. No lookup anywhere.

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/tests/cluster"
)

func TestGitOpsSyncsChangeNothing(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl")
	e := newEnv(t, 1)
	const ns = "nova"
	ctx := context.Background()
	_, err = e.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// The user brought the Redis password: the hook must keep it.
	mine := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "nova-redis-sentinel-auth", Namespace: ns},
		Data: map[string][]byte{"password": []byte("the-users-own-password")}}
	_, err = e.client.CoreV1().Secrets(ns).Create(ctx, mine, metav1.CreateOptions{FieldManager: "kubectl-create"})
	require.NoError(t, err)

	render := func() string {
		r := e.mustSucceed(t, e.installer(t, "template", "--profile", "local", "-n", ns,
			"-f", filepath.Join(cluster.RepoRoot(), "values", "gitops.yaml")))
		return r.stdout
	}
	manifest := render()
	require.Equal(t, manifest, render(), "two renders differ")

	sync := func() {
		hooks, rest := splitHooks(t, manifest)
		e.runPreSync(t, kubectl, ns, hooks)
		e.kubectlApply(t, kubectl, rest)
	}
	sync()
	allSecrets := func() map[string]map[string][]byte {
		list, err := e.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		out := map[string]map[string][]byte{}
		for _, s := range list.Items {
			out[s.Name] = s.Data
		}
		return out
	}
	// Generation and pod template only: readiness moves on by itself.
	shape := func() map[string]workload {
		out := e.workloads(t, ns)
		for name, w := range out {
			w.ready = 0
			out[name] = w
		}
		return out
	}
	first, firstSecrets := shape(), allSecrets()
	for name, keys := range map[string][]string{
		"nova-redis-sentinel-auth":     {"password"},
		"nova-postgres-ha-auth":        {"app-password", "replication-password", "rest-password", "superuser-password"},
		"nova-nova-services-generated": {"jwt-secret"},
		"nova-nova-services-jwt":       {"private.pem", "public.pem"},
	} {
		s, err := e.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err, "the hooks made %s before the first apply", name)
		var got []string
		for k := range s.Data {
			got = append(got, k)
		}
		sort.Strings(got)
		assert.Equal(t, keys, got, name)
		if name != mine.Name {
			assert.Equal(t, "keep", s.Annotations["helm.sh/resource-policy"], name)
			assert.Equal(t, "nova", s.Labels["app.kubernetes.io/part-of"], name)
		}
	}
	assert.Equal(t, "the-users-own-password", string(firstSecrets[mine.Name]["password"]), "the user's password kept")
	require.Contains(t, first, "Deployment/user-service")

	sync() // the next sync, as Argo CD runs it: hooks again, then apply
	assert.Equal(t, firstSecrets, allSecrets(), "every Secret byte-identical after the second sync")
	assert.Equal(t, first, shape(), "no workload's generation or pod template changed")
}

// Leaving GitOps (say for Flux, which runs Helm releases): a release in
// source chart finds the Secrets the hook made, adopts them (they carry
// Helm's ownership marks) and keeps their values (lookup).
func TestHookSecretsAreAdoptedBySourceChart(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl")
	e := newEnv(t, 1)
	const ns = "nova"
	_, err = e.client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	manifest := e.mustSucceed(t, e.installer(t, "template", "--profile", "local", "-n", ns,
		"-f", filepath.Join(cluster.RepoRoot(), "values", "gitops.yaml"))).stdout
	hooks, _ := splitHooks(t, manifest)
	e.runPreSync(t, kubectl, ns, hooks)
	made := e.secrets(t, ns)
	require.Len(t, made, 4, "the hooks made the four credential Secrets")

	e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-n", ns, "--timeout", "3m"))
	now := e.secrets(t, ns)
	for name, data := range made {
		assert.Equal(t, data, now[name], "%s keeps the values the hook made", name)
	}
	rel := e.mustSucceed(t, e.helm(t, "get", "manifest", "nova", "-n", ns)).stdout
	for _, name := range []string{"nova-redis-sentinel-auth", "nova-postgres-ha-auth", "nova-nova-services-generated"} {
		assert.Contains(t, rel, "kind: Secret\nmetadata:\n  name: "+name+"\n", "the release adopted %s", name)
	}
}

// hookDoc is one document of the render that is a Helm hook.
type hookDoc struct {
	obj    *unstructured.Unstructured
	raw    []byte
	weight int
}

// splitHooks: the PreSync hooks (pre-install), sorted by weight, and the
// other documents that are no hook (post-install hooks and helm tests are
// left out: they hold no credential).
func splitHooks(t *testing.T, manifest string) (hooks []hookDoc, rest []byte) {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil || len(u.Object) == 0 {
			require.NoError(t, err)
			continue
		}
		hook := u.GetAnnotations()["helm.sh/hook"]
		switch {
		case hook == "":
			rest = append(rest, []byte("---\n"+doc+"\n")...)
		case strings.Contains(hook, "pre-install"):
			w, _ := strconv.Atoi(u.GetAnnotations()["helm.sh/hook-weight"])
			hooks = append(hooks, hookDoc{u, []byte(doc), w})
		}
	}
	sort.SliceStable(hooks, func(i, j int) bool { return hooks[i].weight < hooks[j].weight })
	require.NotEmpty(t, hooks)
	return hooks, rest
}

// runPreSync creates each hook (replacing the previous one:
// before-hook-creation) in weight order. kwok runs no container, so for a
// Job the test does what the kubelet would: it runs the Job's container
// command on this machine with the Job's service account token, against
// the real API server. At the end the hooks that succeeded are deleted
// (hook-succeeded), as Argo CD does at the end of the phase.
func (e *env) runPreSync(t *testing.T, kubectl, ns string, hooks []hookDoc) {
	t.Helper()
	jobs := 0
	for _, h := range hooks {
		if h.obj.GetKind() != "Job" {
			e.kubectlRun(t, kubectl, nil, "delete", "--ignore-not-found", "-n", h.obj.GetNamespace(), h.obj.GetKind(), h.obj.GetName())
			e.kubectlApply(t, kubectl, h.raw)
			continue
		}
		jobs++
		var job struct {
			Spec struct {
				Template struct {
					Spec corev1.PodSpec
				}
			}
		}
		require.NoError(t, yaml.Unmarshal(h.raw, &job))
		e.runAsKubelet(t, h.obj.GetNamespace(), job.Spec.Template.Spec)
	}
	require.Equal(t, 3, jobs, "one credentials Job per chart")
	for _, h := range hooks {
		if h.obj.GetKind() != "Job" && strings.Contains(h.obj.GetAnnotations()["helm.sh/hook-delete-policy"], "hook-succeeded") {
			e.kubectlRun(t, kubectl, nil, "delete", "--ignore-not-found", "-n", h.obj.GetNamespace(), h.obj.GetKind(), h.obj.GetName())
		}
	}
}

// runAsKubelet runs the pod's one container on this machine: its command,
// its literal env, a projected token of its ServiceAccount. It also shows
// that the token reaches only the Secrets the Job makes.
func (e *env) runAsKubelet(t *testing.T, ns string, spec corev1.PodSpec) {
	t.Helper()
	ctx := context.Background()
	require.Len(t, spec.Containers, 1)
	c := spec.Containers[0]
	tok, err := e.client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, spec.ServiceAccountName,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{}}, metav1.CreateOptions{})
	require.NoError(t, err)
	cfg, err := e.c.RESTConfig()
	require.NoError(t, err)
	ca := cfg.CAData
	if len(ca) == 0 {
		ca, err = os.ReadFile(cfg.CAFile)
		require.NoError(t, err)
	}
	sa := t.TempDir()
	for name, data := range map[string][]byte{"token": []byte(tok.Status.Token), "ca.crt": ca, "namespace": []byte(ns)} {
		require.NoError(t, os.WriteFile(filepath.Join(sa, name), data, 0o600))
	}
	env := []string{"PATH=/usr/bin:/bin", "TMPDIR=" + t.TempDir(), "KUBERNETES_API_URL=" + cfg.Host, "SERVICEACCOUNT_DIR=" + sa}
	for _, v := range c.Env {
		require.Nil(t, v.ValueFrom, "%s: the test passes literal values only", v.Name)
		env = append(env, v.Name+"="+v.Value)
	}
	cmd := exec.Command(c.Command[0], append(c.Command[1:], c.Args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", spec.ServiceAccountName, out)
	require.NoError(t, err, "%s", out)

	// The same token may not create or read any other Secret.
	scoped := rest.AnonymousClientConfig(cfg)
	scoped.BearerToken = tok.Status.Token
	hc, err := rest.HTTPClientFor(scoped)
	require.NoError(t, err)
	for _, probe := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/namespaces/" + ns + "/secrets", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"intruder"}}`},
		{http.MethodGet, "/api/v1/namespaces/" + ns + "/secrets/nova-nova-services-external", ""},
		{http.MethodGet, "/api/v1/namespaces/" + ns + "/secrets", ""},
	} {
		req, err := http.NewRequestWithContext(ctx, probe.method, cfg.Host+probe.path, strings.NewReader(probe.body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s with the hook's token", probe.method, probe.path)
	}
}

// runPreSyncForReal creates the hooks in weight order on a real node, each
// Job waited for until it completes, as Argo CD does.
func (e *env) runPreSyncForReal(t *testing.T, kubectl, ns string, hooks []hookDoc) {
	t.Helper()
	for _, h := range hooks {
		e.kubectlApply(t, kubectl, h.raw)
		if h.obj.GetKind() == "Job" {
			cmd := exec.Command(kubectl, "--kubeconfig", e.c.Kubeconfig, "-n", ns, "wait", "--for=condition=complete", "--timeout=180s", "job/"+h.obj.GetName())
			out, err := cmd.CombinedOutput()
			logs, _ := exec.Command(kubectl, "--kubeconfig", e.c.Kubeconfig, "-n", ns, "logs", "job/"+h.obj.GetName()).CombinedOutput()
			t.Logf("%s:\n%s", h.obj.GetName(), logs)
			require.NoError(t, err, "job %s: %s", h.obj.GetName(), out)
		}
	}
}

func (e *env) kubectlApply(t *testing.T, kubectl string, docs []byte) {
	t.Helper()
	e.kubectlRun(t, kubectl, docs, "apply", "-f", "-")
}

func (e *env) kubectlRun(t *testing.T, kubectl string, stdin []byte, args ...string) {
	t.Helper()
	cmd := exec.Command(kubectl, append([]string{"--kubeconfig", e.c.Kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "kubectl %s: %s", strings.Join(args, " "), out)
}
