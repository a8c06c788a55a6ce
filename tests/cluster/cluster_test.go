package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// The proving ground itself: nodes, admission, volumes, Jobs, and that Down
// stops exactly what Up started.
func TestClusterLifecycle(t *testing.T) {
	c := ForTest(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := c.Client()
	require.NoError(t, err)

	t.Run("nodes carry hostname and zone labels", func(t *testing.T) {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		require.Len(t, nodes.Items, 2)
		zones := map[string]bool{}
		for _, n := range nodes.Items {
			assert.Equal(t, n.Name, n.Labels[HostnameLabel])
			zones[n.Labels[ZoneLabel]] = true
			assert.True(t, nodeReady(&n), "node %s Ready", n.Name)
		}
		assert.Len(t, zones, 2)
	})

	t.Run("a second up on the same directory is refused", func(t *testing.T) {
		_, err := Up(ctx, Config{Dir: c.Dir(), Bin: BinDir(), Nodes: 1})
		require.ErrorIs(t, err, ErrRunning)
		assert.Contains(t, err.Error(), "make cluster-down")
		assert.True(t, c.Running(), "the running cluster is untouched")
	})

	ns := restrictedNamespace(t, ctx, client, "lifecycle")

	t.Run("Pod Security restricted rejects a root pod", func(t *testing.T) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "root", Namespace: ns},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36.1"}}},
		}
		_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		require.Error(t, err)
		assert.True(t, apierrors.IsForbidden(err), "%v", err)
		assert.Contains(t, err.Error(), `violates PodSecurity "restricted`)
	})

	t.Run("a StatefulSet pod runs with a bound volume", func(t *testing.T) {
		sts := &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{
				Replicas: ptr.To[int32](2),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "data"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "data"}},
					Spec:       compliantPod("/data"),
				},
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
					ObjectMeta: metav1.ObjectMeta{Name: "data"},
					Spec: corev1.PersistentVolumeClaimSpec{
						AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
						Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceStorage: resource.MustParse("1Gi")}},
					},
				}},
			},
		}
		_, err := client.AppsV1().StatefulSets(ns).Create(ctx, sts, metav1.CreateOptions{})
		require.NoError(t, err)
		poll(t, ctx, "2 ready replicas and 2 bound claims", func() error {
			s, err := client.AppsV1().StatefulSets(ns).Get(ctx, "data", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if s.Status.ReadyReplicas != 2 {
				return fmt.Errorf("%d ready", s.Status.ReadyReplicas)
			}
			pvcs, err := client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			for _, p := range pvcs.Items {
				if p.Status.Phase != corev1.ClaimBound || *p.Spec.StorageClassName != StorageClass {
					return fmt.Errorf("claim %s is %s (class %s)", p.Name, p.Status.Phase, *p.Spec.StorageClassName)
				}
			}
			return nil
		})
	})

	t.Run("a Job completes", func(t *testing.T) {
		job := &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "once", Namespace: ns},
			Spec:       batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: compliantPod("")}},
		}
		job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
		_, err := client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
		require.NoError(t, err)
		poll(t, ctx, "the Job to succeed", func() error {
			j, err := client.BatchV1().Jobs(ns).Get(ctx, "once", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if j.Status.Succeeded != 1 {
				return errors.New("not yet")
			}
			return nil
		})
	})

	t.Run("down stops every process it started", func(t *testing.T) {
		loaded, err := Load(c.Dir())
		require.NoError(t, err)
		require.Len(t, loaded.Procs, len(Binaries))
		require.True(t, loaded.Running())
		require.NoError(t, loaded.Down(io.Discard))
		for _, p := range loaded.Procs {
			_, err := os.Stat(fmt.Sprintf("/proc/%d", p.PID))
			assert.True(t, os.IsNotExist(err) || !p.alive(), "%s (pid %d) still runs", p.Name, p.PID)
		}
		_, err = os.Stat(filepath.Join(c.Dir(), stateFile))
		assert.True(t, os.IsNotExist(err), "state file removed")
	})
}

func TestMissingBinariesNamesThem(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "etcd"), nil, 0o755))
	err := MissingBinaries(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kube-apiserver, kube-controller-manager, kube-scheduler, kwok missing")
	assert.NotContains(t, err.Error(), "etcd,")
	assert.Contains(t, err.Error(), "make cluster-tools")
}

func restrictedNamespace(t *testing.T, ctx context.Context, client kubernetes.Interface, name string) string {
	t.Helper()
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	poll(t, ctx, "the default ServiceAccount in "+name, func() error {
		_, err := client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	return name
}

// compliantPod passes Pod Security "restricted".
func compliantPod(mount string) corev1.PodSpec {
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	spec := corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](1000),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36.1", SecurityContext: sc}},
	}
	if mount != "" {
		spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: mount}}
	}
	return spec
}

// poll retries check every 250 ms until it returns nil or ctx ends.
func poll(t *testing.T, ctx context.Context, what string, check func() error) {
	t.Helper()
	var last error
	for {
		if last = check(); last == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s: %v", what, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
