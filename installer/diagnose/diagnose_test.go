package diagnose

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: "nova", Name: name, Labels: map[string]string{"app.kubernetes.io/instance": "nova"}}
}

func TestProblemsSayWhy(t *testing.T) {
	c := fake.NewSimpleClientset(
		&corev1.Pod{ObjectMeta: meta("user-service-1"), Status: corev1.PodStatus{Phase: corev1.PodPending,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "unschedulable"}}}},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "nova", Name: "e1"}, Type: corev1.EventTypeWarning, Reason: "FailedScheduling",
			Message:        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "user-service-1", Namespace: "nova"}},
		&corev1.Pod{ObjectMeta: meta("nova-redis-sentinel-redis-0"), Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
			{Name: "redis", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "redis:9"`}}},
			{Name: "sentinel", RestartCount: 4, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}}},
		}}},
		&corev1.PersistentVolumeClaim{ObjectMeta: meta("data-nova-postgres-ha-postgres-0"), Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}},
		&batchv1.Job{ObjectMeta: meta("nova-postgres-ha-ensure"), Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}}},
		&corev1.Pod{ObjectMeta: meta("healthy"), Status: corev1.PodStatus{Phase: corev1.PodRunning}},
	)
	problems, err := Release(context.Background(), c, "nova")
	require.NoError(t, err)
	var text []string
	for _, p := range problems {
		text = append(text, p.String())
	}
	all := strings.Join(text, "\n")
	assert.Len(t, problems, 5, all)
	assert.Contains(t, all, "pod/user-service-1 in nova: Unschedulable: FailedScheduling: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.")
	assert.Contains(t, all, `ImagePullBackOff: container redis: Back-off pulling image "redis:9"`)
	assert.Contains(t, all, "CrashLoopBackOff: container sentinel (restarts 4): back-off 40s\n    | fake logs")
	assert.Contains(t, all, "pvc/data-nova-postgres-ha-postgres-0 in nova: Unbound: not bound")
	assert.Contains(t, all, "job/nova-postgres-ha-ensure in nova: JobFailed: BackoffLimitExceeded")
	assert.NotContains(t, all, "healthy")
}
