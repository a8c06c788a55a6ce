package diagnose

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func meta(name string) metav1.ObjectMeta { return metaIn("nova", name) }

func metaIn(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app.kubernetes.io/instance": "nova"}}
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
	problems, err := Release(context.Background(), c, "nova", []string{"nova"})
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

// Two releases named nova, in namespaces a and b: diagnosing a reports a's
// objects only.
func TestProblemsOfTheReleaseNamespacesOnly(t *testing.T) {
	pending := func(ns, name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metaIn(ns, name), Status: corev1.PodStatus{Phase: corev1.PodPending,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "unschedulable"}}}}
	}
	unbound := func(ns, name string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metaIn(ns, name), Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	}
	c := fake.NewSimpleClientset(pending("a", "user-service-a"), unbound("a", "data-a"), pending("a-database", "postgres-a"),
		pending("b", "user-service-b"), unbound("b", "data-b"), pending("b-database", "postgres-b"))
	problems, err := Release(context.Background(), c, "nova", []string{"a", "a-database"})
	require.NoError(t, err)
	var text []string
	for _, p := range problems {
		text = append(text, p.String())
	}
	all := strings.Join(text, "\n")
	assert.Len(t, problems, 3, all)
	assert.Contains(t, all, "pod/user-service-a in a: Unschedulable")
	assert.Contains(t, all, "pvc/data-a in a: Unbound")
	assert.Contains(t, all, "pod/postgres-a in a-database: Unschedulable", "tier namespaces are looked at")
	assert.NotContains(t, all, "-b")
}

// Pods that admission refused never exist: the controller's FailedCreate
// event is the only trace, and it is reported.
func TestPodsRefusedByAdmissionAreReported(t *testing.T) {
	three, one := int32(3), int32(1)
	refused := `pods "user-service-7d9-x" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0 (pod must not set runAsUser=0)`
	c := fake.NewSimpleClientset(
		&appsv1.StatefulSet{ObjectMeta: meta("nova-redis-sentinel-redis"), Spec: appsv1.StatefulSetSpec{Replicas: &three},
			Status: appsv1.StatefulSetStatus{ReadyReplicas: 3}},
		&appsv1.ReplicaSet{ObjectMeta: meta("user-service-7d9"), Spec: appsv1.ReplicaSetSpec{Replicas: &one}},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "nova", Name: "e1"}, Type: corev1.EventTypeWarning, Reason: "FailedCreate",
			Message: "Error creating: " + refused, InvolvedObject: corev1.ObjectReference{Kind: "ReplicaSet", Name: "user-service-7d9", Namespace: "nova"}},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "nova", Name: "e2"}, Type: corev1.EventTypeWarning, Reason: "FailedCreate",
			Message: "old news", InvolvedObject: corev1.ObjectReference{Kind: "StatefulSet", Name: "nova-redis-sentinel-redis", Namespace: "nova"}},
	)
	problems, err := Release(context.Background(), c, "nova", []string{"nova"})
	require.NoError(t, err)
	require.Len(t, problems, 1, "the ready StatefulSet's old event is not a problem")
	assert.Equal(t, "replicaset/user-service-7d9 in nova: FailedCreate: Error creating: "+refused, problems[0].String())

	// A hook Job (pre-install: no other object exists yet) whose pod is refused.
	job := `pods "nova-nova-services-credentials-x" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0`
	done := batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}
	c = fake.NewSimpleClientset(
		&batchv1.Job{ObjectMeta: meta("nova-nova-services-credentials")},
		&batchv1.Job{ObjectMeta: meta("nova-postgres-ha-ensure"), Status: done},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "nova", Name: "e3"}, Type: corev1.EventTypeWarning, Reason: "FailedCreate",
			Message: "Error creating: " + job, InvolvedObject: corev1.ObjectReference{Kind: "Job", Name: "nova-nova-services-credentials", Namespace: "nova"}},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "nova", Name: "e4"}, Type: corev1.EventTypeWarning, Reason: "FailedCreate",
			Message: "old news", InvolvedObject: corev1.ObjectReference{Kind: "Job", Name: "nova-postgres-ha-ensure", Namespace: "nova"}},
	)
	problems, err = Release(context.Background(), c, "nova", []string{"nova"})
	require.NoError(t, err)
	require.Len(t, problems, 1, "the completed Job's old event is not a problem")
	assert.Equal(t, "job/nova-nova-services-credentials in nova: FailedCreate: Error creating: "+job, problems[0].String())
}
