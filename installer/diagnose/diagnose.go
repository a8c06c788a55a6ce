// Package diagnose says why a release is not ready: Pending pods and their
// FailedScheduling events, image pull errors, crash loops with their last log
// lines, unbound PVCs and failed hook Jobs.
package diagnose

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/nova-platform/nova/installer/facts"
)

// Problem is one reason, with the object it is about.
type Problem struct {
	Object  string // kind/name in namespace
	Reason  string
	Message string
	Logs    []string // last log lines of a crashing container
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s: %s: %s", p.Object, p.Reason, p.Message)
	for _, l := range p.Logs {
		s += "\n    | " + l
	}
	return s
}

// LogLines is how many log lines of a crashing container are shown.
const LogLines = 10

// Release lists the problems of a release's pods, PVCs and Jobs in the given
// namespaces: the release's (release.Namespaces), not every namespace, where a
// release of the same name may live too.
func Release(ctx context.Context, c kubernetes.Interface, name string, namespaces []string) ([]Problem, error) {
	sel := metav1.ListOptions{LabelSelector: facts.Release(name)}
	var out []Problem
	for _, ns := range namespaces {
		pods, err := c.CoreV1().Pods(ns).List(ctx, sel)
		if err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			out = append(out, podProblems(ctx, c, p)...)
		}
		pvcs, err := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, sel)
		if err != nil {
			return nil, err
		}
		for _, pvc := range pvcs.Items {
			if pvc.Status.Phase != corev1.ClaimBound {
				msg := "not bound"
				if e := lastEvent(ctx, c, pvc.Namespace, "PersistentVolumeClaim", pvc.Name); e != "" {
					msg += ": " + e
				}
				out = append(out, Problem{Object: object("pvc", pvc.Namespace, pvc.Name), Reason: "Unbound", Message: msg})
			}
		}
		created, err := failedCreates(ctx, c, ns, sel)
		if err != nil {
			return nil, err
		}
		out = append(out, created...)
		jobs, err := c.BatchV1().Jobs(ns).List(ctx, sel)
		if err != nil {
			return nil, err
		}
		for _, j := range jobs.Items {
			for _, cond := range j.Status.Conditions {
				if cond.Type == "Failed" && cond.Status == corev1.ConditionTrue {
					out = append(out, Problem{Object: object("job", j.Namespace, j.Name), Reason: "JobFailed", Message: cond.Reason + ": " + cond.Message})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Object < out[j].Object })
	return out, nil
}

func object(kind, ns, name string) string { return fmt.Sprintf("%s/%s in %s", kind, name, ns) }

func podProblems(ctx context.Context, c kubernetes.Interface, p corev1.Pod) []Problem {
	var out []Problem
	where := object("pod", p.Namespace, p.Name)
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
			msg := cond.Message
			if e := lastEvent(ctx, c, p.Namespace, "Pod", p.Name); e != "" {
				msg = e
			}
			out = append(out, Problem{Object: where, Reason: "Unschedulable", Message: msg})
		}
	}
	for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		w := cs.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
			out = append(out, Problem{Object: where, Reason: w.Reason, Message: fmt.Sprintf("container %s: %s", cs.Name, w.Message)})
		case "CrashLoopBackOff", "CreateContainerConfigError":
			out = append(out, Problem{Object: where, Reason: w.Reason, Message: fmt.Sprintf("container %s (restarts %d): %s", cs.Name, cs.RestartCount, w.Message),
				Logs: lastLogs(ctx, c, p, cs.Name)})
		}
	}
	return out
}

// failedCreates reports StatefulSets, ReplicaSets and Jobs whose controller could
// not create their pods (admission refused them: Pod Security, quotas): no
// pod exists to say why, only the controller's FailedCreate event.
func failedCreates(ctx context.Context, c kubernetes.Interface, ns string, sel metav1.ListOptions) ([]Problem, error) {
	type owner struct{ kind, name string }
	var owners []owner
	sts, err := c.AppsV1().StatefulSets(ns).List(ctx, sel)
	if err != nil {
		return nil, err
	}
	for _, s := range sts.Items {
		if s.Status.ReadyReplicas < ptr.Deref(s.Spec.Replicas, 1) {
			owners = append(owners, owner{"StatefulSet", s.Name})
		}
	}
	rss, err := c.AppsV1().ReplicaSets(ns).List(ctx, sel)
	if err != nil {
		return nil, err
	}
	for _, r := range rss.Items {
		if want := ptr.Deref(r.Spec.Replicas, 1); want > 0 && r.Status.ReadyReplicas < want {
			owners = append(owners, owner{"ReplicaSet", r.Name})
		}
	}
	// Hook Jobs too: a pre-install Job whose pod admission refuses makes
	// Helm wait out its --timeout with no reason of its own.
	jobs, err := c.BatchV1().Jobs(ns).List(ctx, sel)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs.Items {
		if !jobFinished(j) {
			owners = append(owners, owner{"Job", j.Name})
		}
	}
	var out []Problem
	for _, o := range owners {
		if reason, msg := lastWarning(ctx, c, ns, o.kind, o.name); reason == "FailedCreate" {
			out = append(out, Problem{Object: object(strings.ToLower(o.kind), ns, o.name), Reason: reason, Message: msg})
		}
	}
	return out, nil
}

// jobFinished: the Job completed or failed (its own conditions say so).
func jobFinished(j batchv1.Job) bool {
	for _, cond := range j.Status.Conditions {
		if (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// lastEvent is the newest warning about an object, as "Reason: message".
func lastEvent(ctx context.Context, c kubernetes.Interface, ns, kind, name string) string {
	if reason, msg := lastWarning(ctx, c, ns, kind, name); reason != "" {
		return reason + ": " + msg
	}
	return ""
}

func lastWarning(ctx context.Context, c kubernetes.Interface, ns, kind, name string) (reason, message string) {
	evs, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=" + kind + ",involvedObject.name=" + name})
	if err != nil {
		return "", ""
	}
	sort.Slice(evs.Items, func(i, j int) bool { return evs.Items[i].LastTimestamp.Before(&evs.Items[j].LastTimestamp) })
	for i := len(evs.Items) - 1; i >= 0; i-- {
		e := evs.Items[i]
		if e.Type == corev1.EventTypeWarning && e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
			return e.Reason, e.Message
		}
	}
	return "", ""
}

func lastLogs(ctx context.Context, c kubernetes.Interface, p corev1.Pod, container string) []string {
	tail := int64(LogLines)
	stream, err := c.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: true, TailLines: &tail}).Stream(ctx)
	if err != nil {
		return nil
	}
	defer stream.Close()
	var lines []string
	s := bufio.NewScanner(stream)
	for s.Scan() {
		lines = append(lines, strings.TrimRight(s.Text(), "\r"))
	}
	if len(lines) > LogLines {
		lines = lines[len(lines)-LogLines:]
	}
	return lines
}

// Explain is the reasons the release is not ready, to append to a failed
// deploy ("\nWhy:" and one line per problem), or "" when none is found or
// the cluster cannot be read.
func Explain(ctx context.Context, c kubernetes.Interface, name string, namespaces []string) string {
	problems, err := Release(ctx, c, name, namespaces)
	if err != nil || len(problems) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nWhy:")
	for _, p := range problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}
