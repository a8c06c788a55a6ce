package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/cli"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	nova "github.com/nova-platform/nova"
	"github.com/nova-platform/nova/installer/exit"
	"github.com/nova-platform/nova/installer/release"
)

// harness runs commands against helm's memory storage, fake kube clients and
// buffers; it fails the test if anything reaches a real cluster.
type harness struct {
	cfg *action.Configuration
	// cfgs, when set, are one release storage per namespace (as helm's are):
	// ActionConfig(ns) answers cfgs[ns] instead of cfg.
	cfgs       map[string]*action.Configuration
	kube       *k8sfake.Clientset
	out, err   bytes.Buffer
	in         string
	configured int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg := release.Offline()
	return &harness{cfg: cfg, kube: healthyCluster(3)}
}

// healthyCluster: Ready nodes, a default StorageClass, every action allowed.
func healthyCluster(nodes int) *k8sfake.Clientset {
	c := k8sfake.NewSimpleClientset(&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard",
		Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}})
	for i := 0; i < nodes; i++ {
		_, _ = c.CoreV1().Nodes().Create(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}, metav1.CreateOptions{})
	}
	c.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.37.0"}
	c.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		review := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		review.Status.Allowed = true
		return true, review, nil
	})
	return c
}

func (h *harness) run(args ...string) int {
	h.out.Reset()
	h.err.Reset()
	env := &Env{
		Streams:  Streams{In: strings.NewReader(h.in), Out: &h.out, Err: &h.err},
		Settings: cli.New(),
		Charts:   nova.Charts,
		Profiles: nova.Profiles,
		ActionConfig: func(ns string) (*action.Configuration, error) {
			h.configured++
			if h.cfgs != nil {
				if h.cfgs[ns] == nil {
					h.cfgs[ns] = release.Offline()
				}
				return h.cfgs[ns], nil
			}
			return h.cfg, nil
		},
		KubeClient: func() (kubernetes.Interface, error) { return h.kube, nil },
	}
	return Main(env, args)
}

func TestDeployRecordsAndReusesTheProfile(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false"), h.err.String())
	assert.Contains(t, h.out.String(), `Release "nova" revision 1: deployed`)
	assert.Contains(t, h.out.String(), "Nova main-d849f39 is installed", "NOTES are printed")

	require.Equal(t, exit.CodeOK, h.run("deploy", "--wait=false"), h.err.String())
	assert.Contains(t, h.err.String(), `Using profile "local" recorded in release "nova"`)
	assert.Contains(t, h.out.String(), "revision 2: deployed")
	rel, err := h.cfg.Releases.Last("nova")
	require.NoError(t, err)
	assert.Equal(t, "local", rel.Labels[release.ProfileLabel])
	assert.Equal(t, float64(1), rel.Config["nova-services"].(map[string]any)["overrideAll"].(map[string]any)["replicas"], "the local profile's values were applied")

	require.Equal(t, exit.CodeOK, h.run("history"))
	assert.Regexp(t, `(?m)^1\s.*superseded\s+nova-0.1.0\s+local`, h.out.String())
	assert.Regexp(t, `(?m)^2\s.*deployed\s+nova-0.1.0\s+local`, h.out.String())

	require.Equal(t, exit.CodeOK, h.run("rollback", "1", "--wait=false"), h.err.String())
	require.Equal(t, exit.CodeOK, h.run("history"))
	assert.Regexp(t, `(?m)^3\s.*deployed`, h.out.String())

	// The same revisions through the one output path as status's.
	require.Equal(t, exit.CodeOK, h.run("history", "-o", "json"), h.err.String())
	var revisions []map[string]any
	require.NoError(t, json.Unmarshal(h.out.Bytes(), &revisions), h.out.String())
	require.Len(t, revisions, 3)
	assert.Equal(t, map[string]any{"revision": float64(1), "status": "superseded", "chart": "nova-0.1.0", "profile": "local"},
		map[string]any{"revision": revisions[0]["revision"], "status": revisions[0]["status"], "chart": revisions[0]["chart"], "profile": revisions[0]["profile"]})
	assert.Equal(t, exit.CodeBadInput, h.run("history", "-o", "xml"))
	assert.Contains(t, h.err.String(), "-o xml: use table, json or yaml")
}

func TestDryRunSendsNothing(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--dry-run"), h.err.String())
	assert.Equal(t, 0, h.configured, "a dry run never builds a cluster client")
	assert.Contains(t, h.out.String(), "kind: StatefulSet")
	assert.NotContains(t, h.out.String(), "Rendering", "logs go to stderr, manifests to stdout")
	assert.Contains(t, h.err.String(), "Rendering")

	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "production", "--set", "redis-sentinel.replicas=5", "--dry-run=values"))
	var merged map[string]any
	require.NoError(t, yaml.Unmarshal(h.out.Bytes(), &merged))
	assert.Equal(t, "hard", merged["global"].(map[string]any)["antiAffinity"], "profile applied")
	assert.Equal(t, float64(5), merged["redis-sentinel"].(map[string]any)["replicas"], "--set wins")
	assert.Equal(t, float64(26379), merged["redis-sentinel"].(map[string]any)["sentinel"].(map[string]any)["port"], "chart defaults included")
	assert.Equal(t, float64(600), merged["global"].(map[string]any)["hookTimeoutSeconds"], "the hook Jobs learn the default --timeout 10m")

	// The hook Jobs end 10 s before Helm's --timeout; the user's own value wins.
	for args, want := range map[string]float64{"--timeout=7m": 420, "--timeout=20s": 60, "--set=global.hookTimeoutSeconds=900": 900} {
		require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", args, "--dry-run=values"), h.err.String())
		merged = nil
		require.NoError(t, yaml.Unmarshal(h.out.Bytes(), &merged))
		assert.Equal(t, want, merged["global"].(map[string]any)["hookTimeoutSeconds"], args)
	}
}

// template and deploy --dry-run print the same thing for the same inputs
// (apart from generated credentials, which are random per render).
func TestTemplateEqualsDeployDryRun(t *testing.T) {
	h := newHarness(t)
	args := []string{"--profile", "production", "-f", endpoints, "-f", "../../values/topology-consolidated.yaml", "--set", "nova-services.rustLog=debug"}
	require.Equal(t, exit.CodeOK, h.run(append([]string{"template"}, args...)...), h.err.String())
	template := maskRandom(h.out.String())
	require.Equal(t, exit.CodeOK, h.run(append([]string{"deploy", "--dry-run"}, args...)...), h.err.String())
	assert.Equal(t, template, maskRandom(h.out.String()))
	assert.Contains(t, template, "name: api-service")
	assert.Contains(t, template, `value: "debug"`)
}

// maskRandom hides what differs between two renders: the generated values of
// Secrets and the checksums of Secrets. Everything else must match.
func maskRandom(manifest string) string {
	var out []string
	kind, inSecretData := "", false
	for _, line := range strings.Split(manifest, "\n") {
		switch {
		case line == "---":
			kind, inSecretData = "", false
		case strings.HasPrefix(line, "kind: "):
			kind = strings.TrimPrefix(line, "kind: ")
		case strings.HasPrefix(line, "data:"):
			inSecretData = kind == "Secret"
		case inSecretData && strings.HasPrefix(line, "  "):
			line = strings.SplitN(line, ":", 2)[0] + ": <generated>"
		default:
			inSecretData = false
		}
		if strings.HasPrefix(strings.TrimSpace(line), "checksum/secret:") {
			line = "checksum/secret: <generated>"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestBadInputExitsWith2AndSendsNothing(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown profile", []string{"deploy", "--profile", "prod"}, `unknown profile "prod": use one of local, production, staging`},
		{"bad --set", []string{"deploy", "--profile", "local", "--set", "a.b[=1"}, "failed parsing --set data"},
		{"unreadable -f", []string{"deploy", "-f", "/nonexistent/values.yaml"}, "/nonexistent/values.yaml"},
		{"schema rejects a value", []string{"deploy", "--profile", "local", "--set", "redis-sentinel.replicas=2"}, "/replicas"},
		{"bad --dry-run", []string{"deploy", "--dry-run=everything"}, "--dry-run=everything"},
		{"bad revision", []string{"rollback", "last"}, `revision "last"`},
		{"unknown flag", []string{"deploy", "--profil", "local"}, "unknown flag"},
		{"flag value", []string{"deploy", "--profile", "local", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{"unknown command", []string{"deploi", "--profile", "local"}, `unknown command "deploi" for "nova-installer"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			assert.Equal(t, exit.CodeBadInput, h.run(c.args...), h.err.String())
			assert.Contains(t, h.err.String(), c.want)
			_, err := h.cfg.Releases.Last("nova")
			assert.Error(t, err, "no release was created")
		})
	}
}

func TestPendingReleaseIsNotOverwritten(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false"))
	rel, _ := h.cfg.Releases.Last("nova")
	stuck := *rel
	stuck.Version = 2
	info := *rel.Info
	info.Status = "pending-upgrade"
	stuck.Info = &info
	require.NoError(t, h.cfg.Releases.Create(&stuck))
	assert.Equal(t, exit.CodeFailure, h.run("deploy", "--wait=false"))
	assert.Contains(t, h.err.String(), "pending-upgrade")
	assert.Contains(t, h.err.String(), "nova-installer rollback 1")
}

func TestCleanupKeepsDataUnlessAsked(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false", "-n", "nova"))
	ctx := context.Background()
	labels := map[string]string{"app.kubernetes.io/instance": "nova", "app.kubernetes.io/part-of": "nova"}
	_, _ = h.kube.CoreV1().PersistentVolumeClaims("nova").Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{
		Name: "data-nova-redis-sentinel-redis-0", Namespace: "nova", Labels: map[string]string{"app.kubernetes.io/instance": "nova"}}}, metav1.CreateOptions{})
	_, _ = h.kube.CoreV1().Secrets("nova").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: "nova-redis-sentinel-auth", Namespace: "nova", Labels: labels, Annotations: map[string]string{"helm.sh/resource-policy": "keep"}}}, metav1.CreateOptions{})

	require.Equal(t, exit.CodeOK, h.run("cleanup", "-n", "nova"), h.err.String())
	assert.Contains(t, h.out.String(), `Release "nova" uninstalled.`)
	assert.Contains(t, h.out.String(), "persistentvolumeclaim/data-nova-redis-sentinel-redis-0 in namespace nova")
	assert.Contains(t, h.out.String(), "secret/nova-redis-sentinel-auth in namespace nova")
	assert.Contains(t, h.out.String(), "nova-installer cleanup --release nova --delete-data -n nova")

	h.in = "wrong-name\n"
	assert.Equal(t, exit.CodeFailure, h.run("cleanup", "--delete-data", "-n", "nova"))
	assert.Contains(t, h.err.String(), `looking for the data of release "nova" in namespace "nova" only`, "the release is gone: -n is used")
	pvcs, _ := h.kube.CoreV1().PersistentVolumeClaims("nova").List(ctx, metav1.ListOptions{})
	assert.Len(t, pvcs.Items, 1, "nothing deleted without confirmation")

	require.Equal(t, exit.CodeOK, h.run("cleanup", "--delete-data", "--yes", "-n", "nova"), h.err.String())
	pvcs, _ = h.kube.CoreV1().PersistentVolumeClaims("nova").List(ctx, metav1.ListOptions{})
	secrets, _ := h.kube.CoreV1().Secrets("nova").List(ctx, metav1.ListOptions{})
	assert.Empty(t, pvcs.Items)
	assert.Empty(t, secrets.Items)
}

// endpoints is the template of the Kafka, ClickHouse and S3 values that the
// production and staging profiles require.
const endpoints = "../../values/examples/external-endpoints.yaml"

func TestPreflightStopsADeployThatCannotSchedule(t *testing.T) {
	h := newHarness(t)
	h.kube = healthyCluster(2)
	assert.Equal(t, exit.CodeFailure, h.run("deploy", "--profile", "production", "-f", endpoints))
	assert.Contains(t, h.err.String(), "[FAIL] nodes-anti-affinity")
	assert.Contains(t, h.err.String(), "hint: use --profile local or staging")
	assert.Contains(t, h.err.String(), "preflight failed (nodes-anti-affinity): nothing was changed")
	_, err := h.cfg.Releases.Last("nova")
	assert.Error(t, err, "no release was created")

	assert.Equal(t, exit.CodeOK, h.run("preflight", "--profile", "local"), h.err.String())
	assert.Contains(t, h.err.String(), "[ok  ] nodes-anti-affinity")
	// The same results as data, on stdout; a failure still exits 1.
	assert.Equal(t, exit.CodeFailure, h.run("preflight", "--profile", "production", "-f", endpoints, "-o", "json"))
	var results []map[string]any
	require.NoError(t, json.Unmarshal(h.out.Bytes(), &results), h.out.String())
	var antiAffinity map[string]any
	for _, r := range results {
		if r["id"] == "nodes-anti-affinity" {
			antiAffinity = r
		}
	}
	assert.Equal(t, false, antiAffinity["ok"], "%v", results)
	assert.Equal(t, "fatal", antiAffinity["level"])
	assert.Contains(t, antiAffinity["hint"], "use --profile local or staging")
	assert.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "production", "-f", endpoints, "--skip-check", "nodes-anti-affinity", "--wait=false"), h.err.String())
}

func TestProfilesAndVersion(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("profiles"))
	assert.Regexp(t, `(?m)^local\s+profile\s+a one-node laptop cluster`, h.out.String())
	assert.Regexp(t, `(?m)^topology-consolidated\s+preset \(-f\)`, h.out.String())
	require.Equal(t, exit.CodeOK, h.run("profiles", "-o", "yaml"))
	assert.Contains(t, h.out.String(), "- description: a one-node laptop cluster")
	assert.Contains(t, h.out.String(), "kind: preset\n  name: topology-consolidated")
	require.Equal(t, exit.CodeOK, h.run("version"))
	assert.Contains(t, h.out.String(), "chart nova 0.1.0")
}

func TestStatusOutputs(t *testing.T) {
	h := newHarness(t)
	assert.Equal(t, exit.CodeFailure, h.run("status"))
	assert.Contains(t, h.err.String(), `release "nova" is not installed`)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false"))
	require.Equal(t, exit.CodeOK, h.run("status"), h.err.String())
	assert.Contains(t, h.out.String(), "revision 1, deployed, chart nova-0.1.0, profile local")
	require.Equal(t, exit.CodeOK, h.run("status", "-o", "json"))
	assert.Contains(t, h.out.String(), `"profile": "local"`)
	assert.Equal(t, exit.CodeBadInput, h.run("status", "-o", "xml"))
}

func TestVerifyRunsTheChartChecks(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false"))
	require.Equal(t, exit.CodeOK, h.run("verify"), h.err.String())
	// The fake kube client reports every test pod as succeeded.
	assert.Contains(t, h.out.String(), "PASS  nova-redis-sentinel-test (Succeeded)")
	assert.Regexp(t, `(?m)^\d+ checks passed$`, h.out.String())
}

func TestFailedDeploySaysWhyAndHowToRecover(t *testing.T) {
	h := newHarness(t)
	h.cfg.KubeClient = &kubefake.FailingKubeClient{PrintingKubeClient: kubefake.PrintingKubeClient{Out: io.Discard},
		WaitError: errors.New("context deadline exceeded")}
	ctx := context.Background()
	three := int32(3)
	_, _ = h.kube.AppsV1().StatefulSets("nova").Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "nova-redis-sentinel-redis", Namespace: "nova",
		Labels: map[string]string{"app.kubernetes.io/instance": "nova", "app.kubernetes.io/name": "redis-sentinel"}}, Spec: appsv1.StatefulSetSpec{Replicas: &three}}, metav1.CreateOptions{})
	_, _ = h.kube.CoreV1().Pods("nova").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "user-service-1", Namespace: "nova",
		Labels: map[string]string{"app.kubernetes.io/instance": "nova"}}, Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}}}}, metav1.CreateOptions{})

	// The same labels in another namespace: another release named nova.
	_, _ = h.kube.CoreV1().Pods("other").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "user-service-other", Namespace: "other",
		Labels: map[string]string{"app.kubernetes.io/instance": "nova"}}, Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available"}}}}, metav1.CreateOptions{})

	assert.Equal(t, exit.CodeFailure, h.run("deploy", "--profile", "local", "--timeout", "1s", "-n", "nova"))
	errOut := h.err.String()
	assert.Contains(t, errOut, "[redis] StatefulSet nova-redis-sentinel-redis: 0/3 ready", "progress, tier by tier")
	assert.Contains(t, errOut, "context deadline exceeded")
	assert.Contains(t, errOut, "Why:\n  pod/user-service-1 in nova: Unschedulable: 0/3 nodes are available")
	assert.NotContains(t, errOut, "user-service-other", "another namespace's release is not this one")
	assert.Contains(t, errOut, "nova-installer rollback --release nova")
	assert.Contains(t, errOut, "nova-installer cleanup --release nova")
}

func TestCreatedNamespaceEnforcesRestricted(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run("deploy", "--profile", "local", "--wait=false", "--create-namespace", "-n", "team-a"), h.err.String())
	ns, err := h.kube.CoreV1().Namespaces().Get(context.Background(), "team-a", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "restricted", ns.Labels["pod-security.kubernetes.io/enforce"])
}

// With a real client: an unreachable API server is named in the message.
func TestUnreachableClusterSaysWhatWasTried(t *testing.T) {
	kubeconfig := t.TempDir() + "/config"
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: nowhere, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
current-context: nowhere
`), 0o600))
	var out, errOut bytes.Buffer
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, Settings: cli.New(), Charts: nova.Charts, Profiles: nova.Profiles}
	code := Main(env, []string{"preflight", "--profile", "local", "--kubeconfig", kubeconfig, "--kube-context", "nowhere"})
	assert.Equal(t, exit.CodeFailure, code)
	assert.Contains(t, errOut.String(), "[FAIL] kube-api")
	assert.Contains(t, errOut.String(), "tried "+kubeconfig+", nowhere, server https://127.0.0.1:1")
}

func TestShortVerboseFlagIsDebug(t *testing.T) {
	for _, flag := range []string{"-v", "--debug"} {
		var out, errOut bytes.Buffer
		env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, Settings: cli.New(),
			Charts: nova.Charts, Profiles: nova.Profiles}
		require.Equal(t, exit.CodeOK, Main(env, []string{flag, "profiles"}), errOut.String())
		assert.True(t, env.Settings.Debug, "%s turns on helm's debug output", flag)
	}
}

func TestNoCommandPrintsHelp(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, exit.CodeOK, h.run(), h.err.String())
	assert.Contains(t, h.out.String(), "Available Commands:")
}
