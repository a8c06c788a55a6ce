package charts

// Who makes the credential Secrets (global.credentials.source, nova-common's
// _credentials.tpl): the render (chart), the credentials hook Job (hook, the
// values/gitops.yaml preset) or the user's secret manager (external).

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/render"
)

var gitops = []string{"values/gitops.yaml"}

// gitopsCases: every profile, both topologies, tier namespaces on and off.
func gitopsCases() map[string]render.Options {
	out := map[string]render.Options{}
	for _, profile := range render.Profiles {
		for _, topology := range [][]string{nil, consolidated} {
			for _, tiers := range []string{"false", "true"} {
				name := profile + map[bool]string{true: "/consolidated", false: "/split"}[topology != nil] + "/tierNamespaces=" + tiers
				out[name] = render.Options{Chart: "nova", Profile: profile, Files: append(slices.Clone(topology), gitops...),
					Set: map[string]string{"global.tierNamespaces.enabled": tiers}}
			}
		}
	}
	return out
}

// With the gitops preset a render is a pure function of its inputs: two
// renders are byte-identical, and no Secret in them holds generated data
// (the only Secret left is <fullname>-external, with the values given).
func TestGitOpsRendersAreByteIdentical(t *testing.T) {
	cases := gitopsCases()
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		opts := cases[name]
		t.Run(name, func(t *testing.T) {
			a, b := render.Render(t, opts), render.Render(t, opts)
			if a.Raw != b.Raw {
				t.Fatalf("two renders differ:\n%s", firstDifference(a.Raw, b.Raw))
			}
			for _, s := range render.All[*corev1.Secret](a) {
				if s.Labels["app.kubernetes.io/component"] != "external" {
					t.Errorf("Secret %s/%s rendered (component %q): GitOps renders hold no generated credential", s.Namespace, s.Name, s.Labels["app.kubernetes.io/component"])
				}
			}
			if len(hookSecrets(a)) < 4 {
				t.Errorf("the hook Jobs make %v: want the Redis, PostgreSQL, JWT secret and key pair Secrets", hookSecrets(a))
			}
		})
	}
	// The check can fail: without the preset two renders differ.
	plain := render.Options{Chart: "nova", Profile: "local"}
	if render.Render(t, plain).Raw == render.Render(t, plain).Raw {
		t.Error("two renders without the preset are identical too: the test above proves nothing")
	}
}

func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + itoa(int32(i+1)) + ":\n- " + la[i] + "\n+ " + lb[i]
		}
	}
	return "one render is longer"
}

// The hook makes the Secrets the render makes otherwise, by the same names
// and keys: an installed release switches to GitOps with one upgrade, and
// the Secrets it has (kept by helm.sh/resource-policy: keep) are left alone.
func TestGitOpsSecretsAreTheGeneratedOnes(t *testing.T) {
	for _, tiers := range []string{"false", "true"} {
		set := map[string]string{"global.tierNamespaces.enabled": tiers}
		chart := render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: set})
		hook := render.Render(t, render.Options{Chart: "nova", Profile: "production", Files: gitops, Set: set})
		want := hookSecrets(chart) // the JWT pair: made by the hook in both modes
		for _, s := range render.All[*corev1.Secret](chart) {
			if s.Annotations["helm.sh/resource-policy"] == "keep" {
				want[s.Namespace+"/"+s.Name] = slices.Collect(maps.Keys(s.Data))
			}
		}
		got := hookSecrets(hook)
		for _, m := range []externalSecrets{want, got} {
			for k := range m {
				sort.Strings(m[k])
			}
		}
		if len(want) < 4 || !maps.EqualFunc(want, got, slices.Equal) {
			t.Errorf("tierNamespaces=%s: generated %v, the hook makes %v", tiers, want, got)
		}
	}
}

// isCredentialsJob: the Job is a chart's credentials hook (nova-common's
// credentials.hook labels it so).
func isCredentialsJob(j *batchv1.Job) bool {
	return j.Labels["app.kubernetes.io/component"] == "credentials"
}

// The hook Jobs: before every other hook, from an image the chart already
// runs, restricted, with RBAC that reaches only the Secrets they make.
func TestCredentialsHookIsNarrow(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production", Files: gitops, Set: map[string]string{"global.tierNamespaces.enabled": "true"}})
	secrets := hookSecrets(m)
	images := map[string]bool{}
	for _, w := range workloads(m) {
		for _, c := range append(slices.Clone(w.Template.Spec.InitContainers), w.Template.Spec.Containers...) {
			images[c.Image] = true
		}
	}
	jobs := 0
	for _, j := range render.All[*batchv1.Job](m) {
		if !isCredentialsJob(j) {
			if w := j.Annotations["helm.sh/hook-weight"]; strings.HasPrefix(j.Annotations["helm.sh/hook"], "pre-") && w != "" && w <= "-15" {
				t.Errorf("Job %s (weight %s) runs before the credentials exist", j.Name, w)
			}
			continue
		}
		jobs++
		spec := j.Spec.Template.Spec
		if j.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" || j.Annotations["helm.sh/hook-weight"] != "-15" {
			t.Errorf("%s: hook %q weight %q", j.Name, j.Annotations["helm.sh/hook"], j.Annotations["helm.sh/hook-weight"])
		}
		if img := spec.Containers[0].Image; !images[img] {
			t.Errorf("%s runs %s, which no workload of the release runs: a new image to pull", j.Name, img)
		}
		checkRestricted(t, &corev1.Pod{Spec: spec})
		sa := render.Get[*corev1.ServiceAccount](t, m, spec.ServiceAccountName)
		if sa.Annotations["helm.sh/hook-weight"] != "-20" || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("%s: ServiceAccount %s weight %q, automount %v", j.Name, sa.Name, sa.Annotations["helm.sh/hook-weight"], sa.AutomountServiceAccountToken)
		}
		// Each namespace it writes in: one Role, names of its Secrets only.
		byNs := map[string][]string{}
		for _, line := range strings.Split(envOf(spec.Containers[0])["CREDENTIALS"].Value, "\n") {
			f := strings.Fields(line)
			byNs[f[0]] = append(byNs[f[0]], f[1])
		}
		for ns, names := range byNs {
			var role *rbacv1.Role
			for _, r := range render.All[*rbacv1.Role](m) {
				if r.Name == spec.ServiceAccountName && r.Namespace == ns {
					role = r
				}
			}
			if role == nil {
				t.Errorf("%s writes in %s without a Role there", j.Name, ns)
				continue
			}
			sort.Strings(names)
			rule := role.Rules[0]
			if len(role.Rules) != 1 || !slices.Equal(rule.Verbs, []string{"get", "create", "patch"}) || !slices.Equal(rule.ResourceNames, names) ||
				!slices.Equal(rule.Resources, []string{"secrets"}) || role.Annotations["helm.sh/hook-weight"] != "-20" {
				t.Errorf("%s: Role in %s %+v, want get/create/patch on Secrets %v only", j.Name, ns, role.Rules, names)
			}
		}
	}
	if jobs != 3 || len(secrets) != 6 {
		t.Errorf("%d credentials Jobs making %v: want one per chart, six Secrets (two copies in the services namespace)", jobs, secrets)
	}
}

// The Secrets the hook makes carry Helm's ownership marks, so that a
// release switched to source chart adopts them instead of failing.
func TestHookSecretsCanBeAdoptedByHelm(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local", Files: gitops})
	for _, j := range render.All[*batchv1.Job](m) {
		for _, line := range strings.Split(envOf(j.Spec.Template.Spec.Containers[0])["CREDENTIALS"].Value, "\n") {
			f := strings.Fields(line)
			if len(f) < 5 {
				continue
			}
			var meta struct{ Labels, Annotations map[string]string }
			if err := json.Unmarshal([]byte("{"+f[3]+"}"), &meta); err != nil {
				t.Fatalf("%s: metadata %q: %v", j.Name, f[3], err)
			}
			if meta.Labels["app.kubernetes.io/managed-by"] != "Helm" || meta.Labels["app.kubernetes.io/instance"] != "nova" ||
				meta.Annotations["meta.helm.sh/release-name"] != "nova" || meta.Annotations["meta.helm.sh/release-namespace"] != "nova" ||
				meta.Annotations["helm.sh/resource-policy"] != "keep" {
				t.Errorf("%s makes %s with %+v", j.Name, f[1], meta)
			}
		}
	}
}

// checksum/secret: from the values with source chart; from names and
// global.credentials.revision otherwise, which rolls exactly the pods that
// read a credential.
func TestCredentialsRevisionRollsTheReaders(t *testing.T) {
	sums := func(set map[string]string) map[string]string {
		out := map[string]string{}
		for _, w := range workloads(render.Render(t, render.Options{Chart: "nova", Profile: "local", Files: gitops, Set: set})) {
			if s := w.Template.Annotations["checksum/secret"]; s != "" {
				out[w.Meta.Name] = s
			}
		}
		return out
	}
	base, again, rotated := sums(nil), sums(nil), sums(map[string]string{"global.credentials.revision": "2026-12-03"})
	if !maps.Equal(base, again) {
		t.Errorf("checksums differ between two renders: %v %v", base, again)
	}
	for _, name := range []string{"nova-redis-sentinel-redis", "nova-redis-sentinel-haproxy", "nova-postgres-ha-postgres", "user-service", "messaging-service"} {
		if base[name] == "" || base[name] == rotated[name] {
			t.Errorf("%s: checksum/secret %q, after a new revision %q: want a change", name, base[name], rotated[name])
		}
	}
	// With source chart the value is in it: a Secret generated anew rolls.
	a := render.Render(t, render.Options{Chart: "redis-sentinel"})
	b := render.Render(t, render.Options{Chart: "redis-sentinel"})
	sa := render.Get[*appsv1.StatefulSet](t, a, "nova-redis-sentinel-redis").Spec.Template.Annotations["checksum/secret"]
	if sb := render.Get[*appsv1.StatefulSet](t, b, "nova-redis-sentinel-redis").Spec.Template.Annotations["checksum/secret"]; sa == sb {
		t.Error("source chart: two new passwords, one checksum")
	}
}

// In chart mode the hook makes only what the render cannot: the JWT key pair.
// jwt.existingSecret names the user's Secret: no hook. The pair's Secret is
// mounted by the services that read it.
func TestJWTKeyPairComesFromTheHook(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local"})
	got := hookSecrets(m)
	if want := (externalSecrets{"nova/nova-nova-services-jwt": {"private.pem", "public.pem"}}); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("source chart: the hook makes %v, want %v", got, want)
	}
	job := render.Get[*batchv1.Job](t, m, "nova-nova-services-credentials")
	pg := render.Get[*appsv1.StatefulSet](t, m, "nova-postgres-ha-postgres").Spec.Template.Spec.Containers[0].Image
	if img := job.Spec.Template.Spec.Containers[0].Image; img != pg {
		t.Errorf("the JWT pair is made by %s; the PostgreSQL image %s has openssl and is pulled anyway", img, pg)
	}
	for _, name := range []string{"user-service", "messaging-service"} {
		var secret string
		for _, v := range render.Get[*appsv1.Deployment](t, m, name).Spec.Template.Spec.Volumes {
			if v.Name == "jwt" {
				secret = v.Secret.SecretName
			}
		}
		if secret != "nova-nova-services-jwt" {
			t.Errorf("%s mounts the JWT keys from %q", name, secret)
		}
	}
	mine := render.Render(t, render.Options{Chart: "nova-services", Set: map[string]string{"jwt.existingSecret": "mine"}})
	for _, j := range render.All[*batchv1.Job](mine) {
		if isCredentialsJob(j) {
			t.Errorf("jwt.existingSecret: the credentials Job %s still renders (it makes %v)", j.Name, hookSecrets(mine))
		}
	}
	// The same name in hook mode: the hook creates the user's Secret with every key.
	mineHook := render.Render(t, render.Options{Chart: "nova-services", Files: gitops, Set: map[string]string{"jwt.existingSecret": "mine"}})
	if got := hookSecrets(mineHook)["nova/mine"]; !slices.Equal(got, []string{"jwt-secret", "private.pem", "public.pem"}) {
		t.Errorf("source hook with jwt.existingSecret: the hook makes %v in Secret mine", got)
	}
}

// ExternalSecrets: one per Secret and namespace, the same Secret contract
// as the hook's, each key from the property of the same name.
func TestExternalSecretsFollowTheContract(t *testing.T) {
	set := map[string]string{"global.tierNamespaces.enabled": "true", "global.credentials.source": "external",
		"global.credentials.externalSecrets.enabled": "true", "global.credentials.externalSecrets.secretStoreRef.name": "vault",
		"global.credentials.externalSecrets.secretStoreRef.kind": "ClusterSecretStore", "global.credentials.externalSecrets.remoteKeyPrefix": "nova/"}
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: set})
	want := hookSecrets(render.Render(t, render.Options{Chart: "nova", Profile: "production", Files: gitops, Set: map[string]string{"global.tierNamespaces.enabled": "true"}}))
	got := externalSecrets{}
	for _, o := range m.Objects {
		u, ok := o.(*unstructured.Unstructured)
		if !ok || u.GetKind() != "ExternalSecret" {
			continue
		}
		if u.GetAPIVersion() != "external-secrets.io/v1" {
			t.Errorf("%s: apiVersion %s", u.GetName(), u.GetAPIVersion())
		}
		store, _, _ := unstructured.NestedStringMap(u.Object, "spec", "secretStoreRef")
		target, _, _ := unstructured.NestedString(u.Object, "spec", "target", "name")
		if store["name"] != "vault" || store["kind"] != "ClusterSecretStore" || target != u.GetName() {
			t.Errorf("%s: store %v, target %q", u.GetName(), store, target)
		}
		data, _, _ := unstructured.NestedSlice(u.Object, "spec", "data")
		id := u.GetNamespace() + "/" + u.GetName()
		for _, d := range data {
			item := d.(map[string]any)
			ref := item["remoteRef"].(map[string]any)
			if ref["key"] != "nova/"+u.GetName() || ref["property"] != item["secretKey"] {
				t.Errorf("%s: %v", id, item)
			}
			got[id] = append(got[id], item["secretKey"].(string))
		}
	}
	if len(want) != 6 || !maps.EqualFunc(want, got, slices.Equal) {
		t.Errorf("ExternalSecrets provide %v, the hook makes %v", got, want)
	}
	if len(hookSecrets(m)) != 0 {
		t.Errorf("source external: the hook still runs (%v)", hookSecrets(m))
	}
	// Inconsistent settings fail and name the value to change.
	for _, c := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"global.credentials.externalSecrets.enabled": "true", "global.credentials.externalSecrets.secretStoreRef.name": "vault"}, "set global.credentials.source=external"},
		{map[string]string{"global.credentials.source": "external", "global.credentials.externalSecrets.enabled": "true"}, "global.credentials.externalSecrets.secretStoreRef.name is empty"},
		{map[string]string{"global.credentials.source": "vault"}, "/global/credentials/source"},
	} {
		if _, err := render.TemplateE(t, render.Options{Chart: "nova", Profile: "local", Set: c.set}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want an error with %q, got %v", c.set, c.want, err)
		}
	}
}

// fakeSecretsAPI is the part of the Kubernetes API that credentials.sh uses:
// GET and server-side apply (PATCH) of Secrets in any namespace, with a
// bearer token. It answers GETs indented, as the API server does for curl.
type fakeSecretsAPI struct {
	mu      sync.Mutex
	secrets map[string]map[string]string // namespace/name -> key -> base64
	labels  map[string]map[string]string
	applies int
	getCode int // answer GETs with this code instead (0 = normal)
	saDir   string
	srv     *httptest.Server
}

func newFakeSecretsAPI(t *testing.T) *fakeSecretsAPI {
	t.Helper()
	a := &fakeSecretsAPI{secrets: map[string]map[string]string{}, labels: map[string]map[string]string{}, saDir: t.TempDir()}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	for name, data := range map[string][]byte{"token": []byte("test-token"), "ca.crt": ca, "namespace": []byte("nova")} {
		if err := os.WriteFile(filepath.Join(a.saDir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func (a *fakeSecretsAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer test-token" {
		http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/"), "/")
	if len(parts) != 3 || parts[1] != "secrets" {
		http.Error(w, "unexpected path "+r.URL.Path, http.StatusNotFound)
		return
	}
	id := parts[0] + "/" + parts[2]
	switch {
	case r.Method == http.MethodGet:
		if a.getCode != 0 {
			http.Error(w, `{"kind":"Status","message":"forbidden"}`, a.getCode)
			return
		}
		data, ok := a.secrets[id]
		if !ok {
			http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
			return
		}
		// An annotation with an escaped copy of other data must not be read.
		body, _ := json.MarshalIndent(map[string]any{"kind": "Secret", "metadata": map[string]any{"annotations": map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"password":"b2xk"}}`}}, "data": data}, "", "  ")
		_, _ = w.Write(body)
	case r.Method == http.MethodPatch:
		if r.Header.Get("Content-Type") != "application/apply-patch+yaml" || r.URL.Query().Get("fieldManager") == "" || r.URL.Query().Get("force") != "false" {
			http.Error(w, "want a server-side apply without force, got "+r.Header.Get("Content-Type")+" "+r.URL.RawQuery, http.StatusUnsupportedMediaType)
			return
		}
		a.applies++
		var s struct {
			Metadata struct {
				Name, Namespace string
				Labels          map[string]string
				Annotations     map[string]string
			}
			Data map[string]string
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &s); err != nil || s.Metadata.Namespace+"/"+s.Metadata.Name != id || s.Metadata.Annotations["helm.sh/resource-policy"] != "keep" {
			http.Error(w, "bad Secret "+string(body), http.StatusBadRequest)
			return
		}
		if _, ok := a.secrets[id]; ok {
			http.Error(w, `{"kind":"Status","code":409}`, http.StatusConflict) // another field manager owns the data
			return
		}
		a.secrets[id], a.labels[id] = s.Data, s.Metadata.Labels
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	default:
		http.Error(w, "unexpected "+r.Method, http.StatusMethodNotAllowed)
	}
}

// credentialsScript renders credentials.sh as the hook Job runs it.
func credentialsScript(t *testing.T) string {
	t.Helper()
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local", Files: gitops})
	c := render.Get[*batchv1.Job](t, m, "nova-redis-sentinel-credentials").Spec.Template.Spec.Containers[0]
	return c.Command[2]
}

// The script as it ships, with the real openssl and curl against a fake
// API server: it makes what is missing once, copies published keys, never
// replaces a Secret, and fails with the reason on anything else.
func TestCredentialsScriptMakesEachSecretOnce(t *testing.T) {
	need.Command(t, "openssl", "openssl")
	need.Command(t, "curl", "curl")
	api := newFakeSecretsAPI(t)
	script := credentialsScript(t)
	const meta = `"labels":{"app.kubernetes.io/part-of":"nova"},"annotations":{"helm.sh/resource-policy":"keep"}`
	spec := strings.Join([]string{
		`db pg - ` + meta + ` app-password=random:32 superuser-password=random:32`,
		`web pg db ` + meta + ` app-password=copy`,
		`web jwt - ` + meta + ` private.pem=rsa-private:2048 public.pem=rsa-public:private.pem jwt-secret=random:64`,
		`web mine - ` + meta + ` password=random:32`,
	}, "\n")
	run := func() (string, error) {
		cmd := exec.Command("/bin/sh", "-c", script, "credentials")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "CREDENTIALS=" + spec, "KUBERNETES_API_URL=" + api.srv.URL,
			"SERVICEACCOUNT_DIR=" + api.saDir, "TMPDIR=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	api.secrets["web/mine"] = map[string]string{"password": base64.StdEncoding.EncodeToString([]byte("the-users-own"))}
	out, err := run()
	if err != nil || !strings.Contains(out, "created Secret db/pg (app-password, superuser-password)") || !strings.Contains(out, "Secret web/mine exists; left as it is") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	pg := api.secrets["db/pg"]
	for key, n := range map[string]int{"app-password": 32, "superuser-password": 32} {
		raw, _ := base64.StdEncoding.DecodeString(pg[key])
		if len(raw) != n || strings.Trim(string(raw), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			t.Errorf("db/pg %s = %q: want %d letters and digits", key, raw, n)
		}
	}
	if pg["app-password"] == pg["superuser-password"] {
		t.Error("two keys got the same random value")
	}
	if !maps.Equal(api.secrets["web/pg"], map[string]string{"app-password": pg["app-password"]}) {
		t.Errorf("the published copy %v, want app-password of db/pg only", api.secrets["web/pg"])
	}
	if api.labels["db/pg"]["app.kubernetes.io/part-of"] != "nova" {
		t.Errorf("labels %v", api.labels["db/pg"])
	}
	if raw, _ := base64.StdEncoding.DecodeString(api.secrets["web/mine"]["password"]); string(raw) != "the-users-own" {
		t.Errorf("the user's Secret now holds %q", raw)
	}
	// The JWT halves belong together: a signature by one verifies with the other.
	priv, pub := decodePEMKeyPair(t, api.secrets["web/jwt"])
	digest := sha256.Sum256([]byte("header.payload"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil || priv.N.BitLen() != 2048 {
		t.Errorf("the public key does not verify the private key's signature (%v), modulus %d bits", err, priv.N.BitLen())
	}

	// Again: nothing is applied, nothing changes.
	before := maps.Clone(api.secrets)
	applies := api.applies
	if out, err := run(); err != nil || strings.Contains(out, "created") || api.applies != applies || !maps.EqualFunc(before, api.secrets, maps.Equal) {
		t.Errorf("second run: %v, %d applies\n%s", err, api.applies-applies, out)
	}
	// A Secret without a key it must have: the reason and the way out.
	api.secrets["db/pg"] = map[string]string{"app-password": pg["app-password"]}
	if out, err := run(); err == nil || !strings.Contains(out, "Secret db/pg exists without the keys superuser-password: add them, or delete the Secret") {
		t.Errorf("a Secret without a key: want a failure saying so, got %v\n%s", err, out)
	}
	api.getCode = http.StatusForbidden
	if out, err := run(); err == nil || !strings.Contains(out, "reading Secret db/pg: HTTP 403") {
		t.Errorf("a forbidden read: want a failure naming the status, got %v\n%s", err, out)
	}
}
