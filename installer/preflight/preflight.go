// Package preflight checks a cluster before anything is changed: API version,
// enough nodes for hard anti-affinity, storage classes and permissions. Each
// check has an id, a level and a hint, in the manner of linkerd's checks.
package preflight

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/nova-platform/nova/installer/manifest"
)

// Level says whether a failed check stops the deploy.
type Level string

const (
	Fatal Level = "fatal"
	Warn  Level = "warn"
)

// Input is what the checks look at.
type Input struct {
	Client      kubernetes.Interface
	Manifest    string // the rendered release (helm template output)
	KubeVersion string // the chart's kubeVersion constraint, e.g. ">=1.28.0-0"
	Profile     string
	Target      string // which kubeconfig, context and server, for messages
}

// Result of one check.
type Result struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Level       Level  `json:"level"`
	OK          bool   `json:"ok"`
	Detail      string `json:"detail"`
	Hint        string `json:"hint,omitempty"`
}

// Results are every check's result, in order.
type Results []Result

// Check is one preflight check.
type Check struct {
	ID, Description string
	Level           Level
	Run             func(ctx context.Context, in Input, objs []object) (detail, hint string, ok bool)
}

// Checks are every check, in order.
var Checks = []Check{
	{"kube-api", "Kubernetes API reachable and new enough", Fatal, checkAPI},
	{"nodes-anti-affinity", "enough Ready schedulable nodes for hard anti-affinity", Fatal, checkNodes},
	{"storage-class", "the StorageClasses the volumes use exist", Fatal, checkStorage},
	{"permissions", "allowed to create every object of the release", Fatal, checkAccess},
}

// Run runs every check not skipped; it stops after a failed kube-api check.
func Run(ctx context.Context, in Input, skip []string) (Results, error) {
	objs, err := parse(in.Manifest)
	if err != nil {
		return nil, err
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	var out []Result
	for _, c := range Checks {
		if skipped[c.ID] {
			continue
		}
		detail, hint, ok := c.Run(ctx, in, objs)
		out = append(out, Result{ID: c.ID, Description: c.Description, Level: c.Level, OK: ok, Detail: detail, Hint: hint})
		if !ok && c.ID == "kube-api" {
			break
		}
	}
	return out, nil
}

// Failed returns the failed fatal checks.
func Failed(results []Result) []Result {
	var out []Result
	for _, r := range results {
		if !r.OK && r.Level == Fatal {
			out = append(out, r)
		}
	}
	return out
}

// WriteTable writes one line per check and the hint of each failure
// (output.Tabler).
func (results Results) WriteTable(w io.Writer) error {
	for _, r := range results {
		mark := "ok  "
		if !r.OK {
			mark = "FAIL"
			if r.Level == Warn {
				mark = "warn"
			}
		}
		if _, err := fmt.Fprintf(w, "[%s] %-20s %s: %s\n", mark, r.ID, r.Description, r.Detail); err != nil {
			return err
		}
		if !r.OK && r.Hint != "" {
			if _, err := fmt.Fprintf(w, "       hint: %s\n", r.Hint); err != nil {
				return err
			}
		}
	}
	return nil
}

// object is one rendered document.
type object struct {
	unstructured.Unstructured
	raw []byte
}

func parse(rendered string) ([]object, error) {
	var out []object
	for _, doc := range manifest.Documents(rendered) {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o.Object); err != nil {
			return nil, fmt.Errorf("rendered manifest: %w", err)
		}
		o.raw = []byte(doc)
		out = append(out, o)
	}
	return out, nil
}

func checkAPI(_ context.Context, in Input, _ []object) (string, string, bool) {
	v, err := in.Client.Discovery().ServerVersion()
	if err != nil {
		return err.Error(), fmt.Sprintf("tried %s: check --kubeconfig / --kube-context and that the API server is up", in.Target), false
	}
	c, err := semver.NewConstraint(in.KubeVersion)
	sv, err2 := semver.NewVersion(v.GitVersion)
	if err != nil || err2 != nil {
		return fmt.Sprintf("server %s", v.GitVersion), "", true
	}
	if !c.Check(sv) {
		return fmt.Sprintf("server %s does not satisfy %s", v.GitVersion, in.KubeVersion), "upgrade the cluster", false
	}
	return fmt.Sprintf("server %s", v.GitVersion), "", true
}

// hardAntiAffinityReplicas: the largest replica count of a workload whose
// pods must each be on their own node.
func hardAntiAffinityReplicas(objs []object) (int, string) {
	need, who := 0, ""
	for _, o := range objs {
		var replicas *int32
		var spec corev1.PodSpec
		switch o.GetKind() {
		case "StatefulSet":
			var s appsv1.StatefulSet
			if yaml.Unmarshal(o.raw, &s) != nil {
				continue
			}
			replicas, spec = s.Spec.Replicas, s.Spec.Template.Spec
		case "Deployment":
			var d appsv1.Deployment
			if yaml.Unmarshal(o.raw, &d) != nil {
				continue
			}
			replicas, spec = d.Spec.Replicas, d.Spec.Template.Spec
		default:
			continue
		}
		a := spec.Affinity
		if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) == 0 || replicas == nil {
			continue
		}
		if int(*replicas) > need {
			need, who = int(*replicas), o.GetKind()+" "+o.GetName()
		}
	}
	return need, who
}

func checkNodes(ctx context.Context, in Input, objs []object) (string, string, bool) {
	need, who := hardAntiAffinityReplicas(objs)
	nodes, err := in.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error(), "the installer needs to list nodes", false
	}
	ready := 0
	for _, n := range nodes.Items {
		if schedulable(n) {
			ready++
		}
	}
	if need == 0 {
		return fmt.Sprintf("%d Ready schedulable nodes; no hard anti-affinity", ready), "", true
	}
	if ready < need {
		return fmt.Sprintf("%s needs %d nodes (hard anti-affinity of profile %q), the cluster has %d Ready schedulable nodes", who, need, in.Profile, ready),
			"use --profile local or staging (soft anti-affinity), or --set global.antiAffinity=soft, or add nodes", false
	}
	return fmt.Sprintf("%d Ready schedulable nodes for %d members on distinct nodes", ready, need), "", true
}

func schedulable(n corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func checkStorage(ctx context.Context, in Input, objs []object) (string, string, bool) {
	wanted := map[string]bool{} // "" = the default class
	for _, o := range objs {
		if o.GetKind() != "StatefulSet" {
			continue
		}
		var s appsv1.StatefulSet
		if yaml.Unmarshal(o.raw, &s) != nil {
			continue
		}
		for _, t := range s.Spec.VolumeClaimTemplates {
			if t.Spec.StorageClassName == nil {
				wanted[""] = true
			} else if *t.Spec.StorageClassName != "" {
				wanted[*t.Spec.StorageClassName] = true
			}
		}
	}
	if len(wanted) == 0 {
		return "no volumes", "", true
	}
	classes, err := in.Client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error(), "the installer needs to list StorageClasses", false
	}
	have, def := map[string]bool{}, ""
	for _, c := range classes.Items {
		have[c.Name] = true
		if c.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			def = c.Name
		}
	}
	var missing []string
	for name := range wanted {
		if name == "" && def == "" {
			missing = append(missing, "a default StorageClass")
		} else if name != "" && !have[name] {
			missing = append(missing, "StorageClass "+name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return "missing " + strings.Join(missing, ", "), "set global.storageClass to an existing class (kubectl get storageclass), or mark one as default", false
	}
	if def != "" && wanted[""] {
		return "default StorageClass " + def, "", true
	}
	return "StorageClasses exist", "", true
}

func checkAccess(ctx context.Context, in Input, objs []object) (string, string, bool) {
	type target struct{ group, resource, namespace string }
	seen := map[target]bool{}
	var denied []string
	for _, o := range objs {
		gv := strings.SplitN(o.GetAPIVersion(), "/", 2)
		group := ""
		if len(gv) == 2 {
			group = gv[0]
		}
		t := target{group, resourceOf(o.GetKind()), o.GetNamespace()}
		if seen[t] {
			continue
		}
		seen[t] = true
		review := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
			Verb: "create", Group: t.group, Resource: t.resource, Namespace: t.namespace}}}
		res, err := in.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return err.Error(), "the installer needs to create SelfSubjectAccessReviews", false
		}
		if !res.Status.Allowed {
			where := t.namespace
			if where == "" {
				where = "cluster scope"
			}
			denied = append(denied, fmt.Sprintf("create %s in %s", t.resource, where))
		}
	}
	if len(denied) > 0 {
		sort.Strings(denied)
		return "denied: " + strings.Join(denied, "; "), "ask for a Role that allows these, or deploy to a namespace you manage (-n)", false
	}
	return fmt.Sprintf("%d kinds checked", len(seen)), "", true
}

// resourceOf maps a kind to its resource name (every kind the charts render).
func resourceOf(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "policy"):
		return strings.TrimSuffix(k, "y") + "ies"
	case strings.HasSuffix(k, "s"):
		return k + "es"
	}
	return k + "s"
}
