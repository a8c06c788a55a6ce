// Package status reports what the Nova release runs: the release itself, the
// readiness of every workload tier by tier, the Redis master and the
// PostgreSQL leader (the role labels the pods keep: the role-label sidecar,
// Patroni's callback; a Sentinel cross-checks Redis) and the endpoints
// clients connect to.
package status

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/nova-platform/nova/installer/output"
	novarelease "github.com/nova-platform/nova/installer/release"
)

// Tiers maps each chart to the tier shown in the report.
var Tiers = facts.Tiers

// Report is the status of a release.
type Report struct {
	Release      string     `json:"release"`
	Namespace    string     `json:"namespace"`
	Revision     int        `json:"revision"`
	Status       string     `json:"status"`
	Chart        string     `json:"chart"`
	Profile      string     `json:"profile"`
	LastDeployed time.Time  `json:"lastDeployed"`
	Workloads    []Workload `json:"workloads"`
	RedisMaster  string     `json:"redisMaster"`
	RedisCheck   string     `json:"redisCheck,omitempty"` // what the Sentinel cross-check found, when it differs
	PostgresLead string     `json:"postgresLeader"`
	Endpoints    []Endpoint `json:"endpoints"`
}

// Workload is one Deployment or StatefulSet.
type Workload struct {
	Tier      string `json:"tier"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Ready     int32  `json:"ready"`
	Desired   int32  `json:"desired"`
}

// Endpoint is a Service clients use.
type Endpoint struct {
	Tier    string `json:"tier"`
	Service string `json:"service"`
	Address string `json:"address"`
}

// Option adds to what Collect reports.
type Option func(*options)

type options struct{ sentinel Sentinel }

// WithSentinel makes Collect cross-check the Redis master's label with a
// Sentinel (RedisMaster).
func WithSentinel(s Sentinel) Option { return func(o *options) { o.sentinel = s } }

// redisMasterTimeout bounds the search for the Redis master, all pods together.
var redisMasterTimeout = 20 * time.Second

// Collect reads the release's objects in the namespaces of the release
// (novarelease.Namespaces: the release namespace and the tier namespaces), so
// a release of the same name in another namespace is not reported. A Redis
// master that cannot be found is "unknown (<why>)", not an error.
func Collect(ctx context.Context, c kubernetes.Interface, rel *release.Release, profileLabel string, opts ...Option) (*Report, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	r := &Report{Release: rel.Name, Namespace: rel.Namespace, Revision: rel.Version, Status: rel.Info.Status.String(),
		Chart: rel.Chart.Metadata.Name + "-" + rel.Chart.Metadata.Version, Profile: rel.Labels[profileLabel],
		LastDeployed: rel.Info.LastDeployed.Time, RedisMaster: "unknown", PostgresLead: "unknown"}
	namespaces := novarelease.Namespaces(rel)
	sel := metav1.ListOptions{LabelSelector: facts.Release(rel.Name)}
	workloads, err := Workloads(ctx, c, rel.Name, namespaces)
	if err != nil {
		return nil, err
	}
	r.Workloads = workloads
	rctx, cancel := context.WithTimeout(ctx, redisMasterTimeout)
	r.RedisMaster, r.RedisCheck = redisMasterOrReason(rctx, c, o.sentinel, rel.Name, namespaces)
	cancel()
	leaderSel := metav1.ListOptions{LabelSelector: facts.PostgresLeader(rel.Name)}
	var leaders []string
	for _, ns := range namespaces {
		pods, err := c.CoreV1().Pods(ns).List(ctx, leaderSel)
		if err != nil {
			continue // the leader is "unknown" when it cannot be read
		}
		for _, p := range pods.Items {
			leaders = append(leaders, p.Name)
		}
	}
	if len(leaders) > 0 {
		r.PostgresLead = strings.Join(leaders, ", ")
	}
	var svcs []corev1.Service
	for _, ns := range namespaces {
		list, err := c.CoreV1().Services(ns).List(ctx, sel)
		if err != nil {
			return nil, fmt.Errorf("list Services in %s: %w", ns, err)
		}
		svcs = append(svcs, list.Items...)
	}
	for _, s := range svcs {
		component := s.Labels[facts.LabelComponent]
		if s.Spec.ClusterIP == "None" || component == facts.ComponentMetrics || len(s.Spec.Ports) == 0 {
			continue
		}
		r.Endpoints = append(r.Endpoints, Endpoint{Tiers[s.Labels[facts.LabelName]], s.Name,
			fmt.Sprintf("%s.%s.svc:%d", s.Name, s.Namespace, s.Spec.Ports[0].Port)})
	}
	sort.Slice(r.Endpoints, func(i, j int) bool {
		a, b := r.Endpoints[i], r.Endpoints[j]
		return tierOrder[a.Tier] < tierOrder[b.Tier] || tierOrder[a.Tier] == tierOrder[b.Tier] && a.Service < b.Service
	})
	return r, nil
}

var tierOrder = facts.TierOrder

// Workloads are the release's StatefulSets and Deployments in the given
// namespaces (the release's: novarelease.Namespaces), tier by tier.
func Workloads(ctx context.Context, c kubernetes.Interface, name string, namespaces []string) ([]Workload, error) {
	sel := metav1.ListOptions{LabelSelector: facts.Release(name)}
	var out []Workload
	for _, ns := range namespaces {
		sts, err := c.AppsV1().StatefulSets(ns).List(ctx, sel)
		if err != nil {
			return nil, fmt.Errorf("list StatefulSets in %s: %w", ns, err)
		}
		for _, s := range sts.Items {
			out = append(out, Workload{Tiers[s.Labels[facts.LabelName]], "StatefulSet", s.Namespace, s.Name, s.Status.ReadyReplicas, ptr.Deref(s.Spec.Replicas, 1)})
		}
		deps, err := c.AppsV1().Deployments(ns).List(ctx, sel)
		if err != nil {
			return nil, fmt.Errorf("list Deployments in %s: %w", ns, err)
		}
		for _, d := range deps.Items {
			out = append(out, Workload{Tiers[d.Labels[facts.LabelName]], "Deployment", d.Namespace, d.Name, d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 1)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if tierOrder[a.Tier] != tierOrder[b.Tier] {
			return tierOrder[a.Tier] < tierOrder[b.Tier]
		}
		return a.Name < b.Name
	})
	return out, nil
}

// Ready says whether every workload has all its replicas ready.
func (r *Report) Ready() bool {
	for _, w := range r.Workloads {
		if w.Ready < w.Desired {
			return false
		}
	}
	return true
}

// WriteTable writes the report for people (output.Tabler).
func (r *Report) WriteTable(out io.Writer) error {
	fmt.Fprintf(out, "Release %s in %s: revision %d, %s, chart %s, profile %s, deployed %s\n\n",
		r.Release, r.Namespace, r.Revision, r.Status, r.Chart, output.Dash(r.Profile), r.LastDeployed.UTC().Format(time.RFC3339))
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIER\tKIND\tNAMESPACE\tNAME\tREADY")
	for _, x := range r.Workloads {
		mark := ""
		if x.Ready < x.Desired {
			mark = "  (not ready)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d/%d%s\n", x.Tier, x.Kind, x.Namespace, x.Name, x.Ready, x.Desired, mark)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	master := r.RedisMaster
	if r.RedisCheck != "" {
		master += " (" + r.RedisCheck + ")"
	}
	fmt.Fprintf(out, "\nRedis master: %s\nPostgreSQL leader: %s\n\nEndpoints:\n", master, r.PostgresLead)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", e.Tier, e.Service, e.Address)
	}
	return w.Flush()
}
