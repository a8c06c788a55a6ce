package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nova-platform/nova/tests/cluster"
)

// The production profile: preflight refuses too few nodes, hard
// anti-affinity spreads every data tier over three nodes, and the PDBs hold
// when a node is drained.
func TestProductionProfile(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	const ns = "nova"

	t.Run("preflight refuses a 2-node cluster and names what fits", func(t *testing.T) {
		third := cluster.NodeName(3)
		require.NoError(t, e.client.CoreV1().Nodes().Delete(ctx, third, metav1.DeleteOptions{}))
		r := e.installer(t, "deploy", "--profile", "production", "-f", endpointsFile(), "-n", ns, "--create-namespace")
		assert.NotZero(t, r.code, "%s", r)
		out := r.stdout + r.stderr
		assert.Contains(t, out, "nodes-anti-affinity")
		assert.Contains(t, out, "hard anti-affinity")
		assert.Contains(t, out, "2 Ready schedulable nodes")
		assert.Regexp(t, `profile local|antiAffinity=soft`, out, "the hint names a profile or setting that fits")
		assert.Zero(t, e.releaseRecords(t, ns), "nothing was installed")

		// The node comes back for the rest of the test.
		_, err := e.c.AddNode(ctx, 3)
		require.NoError(t, err)
		require.NoError(t, e.c.WaitNodesReady(ctx, third))
	})

	statefulSets := []string{"nova-redis-sentinel-redis", "nova-postgres-ha-postgres", "nova-postgres-ha-etcd"}

	t.Run("each data tier has one member per node", func(t *testing.T) {
		e.mustSucceed(t, e.installer(t, "deploy", "--profile", "production", "-f", endpointsFile(), "-n", ns, "--create-namespace", "--timeout", "3m"))
		e.requireAllReady(t, ns)
		// The autoscaled services start at the HPA's minimum, not at 1: the
		// PDB of user-service (minAvailable 2) holds from the first minute.
		for name, min := range map[string]int32{"user-service": 3, "messaging-service": 2} {
			d, err := e.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			require.NoError(t, err)
			assert.EqualValues(t, min, *d.Spec.Replicas, "%s replicas right after the install", name)
			assert.EqualValues(t, min, d.Status.ReadyReplicas, "%s ready right after the install", name)
		}
		for _, name := range statefulSets {
			sts, err := e.client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
			require.NoError(t, err)
			nodes := map[string]bool{}
			for pod, node := range e.podNodes(t, ns, sts) {
				require.NotEmpty(t, node, "%s scheduled", pod)
				nodes[node] = true
			}
			assert.Len(t, nodes, 3, "%s pods on 3 distinct nodes", name)
		}
	})

	t.Run("drain a node, then the PDB refuses a second disruption", func(t *testing.T) {
		drained := cluster.NodeName(1)
		patch := []byte(`{"spec":{"unschedulable":true}}`)
		_, err := e.client.CoreV1().Nodes().Patch(ctx, drained, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		require.NoError(t, err)
		pods, err := e.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + drained})
		require.NoError(t, err)
		require.NotEmpty(t, pods.Items)
		for _, p := range pods.Items {
			// The PDB controller may still be catching up after the deploy:
			// a refusal is retried for a few seconds, as kubectl drain does.
			eventually(t, 30*time.Second, "eviction of "+p.Name, func() error { return evict(ctx, e, p) })
		}
		for _, name := range statefulSets {
			sts, err := e.client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
			require.NoError(t, err)
			var survivor *corev1.Pod
			eventually(t, 30*time.Second, name+": a running pod on another node, and the evicted one pending", func() error {
				survivor = nil
				pending := 0
				for pod, node := range e.podNodes(t, ns, sts) {
					switch {
					case node == "":
						pending++
					case node != drained && survivor == nil:
						p, err := e.client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
						if err != nil {
							return err
						}
						survivor = p
					}
				}
				if pending != 1 || survivor == nil {
					return fmt.Errorf("%d pending", pending)
				}
				return nil
			})
			err = evict(ctx, e, *survivor)
			require.Error(t, err, "evicting %s would leave %s with 1 ready member", survivor.Name, name)
			var status apierrors.APIStatus
			require.ErrorAs(t, err, &status)
			assert.EqualValues(t, http.StatusTooManyRequests, status.Status().Code, "%v", err)
			assert.Contains(t, err.Error(), "disruption budget")
		}
	})

	t.Run("an upgrade keeps the replicas the HPA set", func(t *testing.T) {
		// The drained node is back, so the evicted members run again.
		patch := []byte(`{"spec":{"unschedulable":false}}`)
		_, err := e.client.CoreV1().Nodes().Patch(ctx, cluster.NodeName(1), types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		require.NoError(t, err)
		eventually(t, 60*time.Second, "every workload ready again", func() error {
			for name, w := range e.workloads(t, ns) {
				if w.ready != w.desired {
					return fmt.Errorf("%s not ready", name)
				}
			}
			return nil
		})
		// The simulated cluster has no metrics, so its HPA controller leaves
		// a count inside [min, max] alone: scale as an HPA would.
		var scale *autoscalingv1.Scale
		scale, err = e.client.AppsV1().Deployments(ns).GetScale(ctx, "user-service", metav1.GetOptions{})
		require.NoError(t, err)
		scale.Spec.Replicas = 5
		_, err = e.client.AppsV1().Deployments(ns).UpdateScale(ctx, "user-service", scale, metav1.UpdateOptions{})
		require.NoError(t, err)
		w, err := e.client.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=user-service"})
		require.NoError(t, err)
		lowest := make(chan int32, 1)
		go func() {
			low := int32(5)
			for ev := range w.ResultChan() {
				if d, ok := ev.Object.(*appsv1.Deployment); ok && d.Spec.Replicas != nil && *d.Spec.Replicas < low {
					low = *d.Spec.Replicas
				}
			}
			lowest <- low
		}()
		e.mustSucceed(t, e.installer(t, "deploy", "--profile", "production", "-f", endpointsFile(), "-n", ns, "--timeout", "3m",
			"--set", "nova-services.rustLog=debug"))
		w.Stop()
		assert.EqualValues(t, 5, <-lowest, "user-service's replicas during the upgrade never went below the HPA's 5")
		d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "user-service", metav1.GetOptions{})
		require.NoError(t, err)
		assert.EqualValues(t, 5, *d.Spec.Replicas, "after the upgrade")
	})
}

// endpointsFile is the template of the Kafka, ClickHouse and S3 values the
// production profile requires.
func endpointsFile() string {
	return filepath.Join(cluster.RepoRoot(), "values", "examples", "external-endpoints.yaml")
}

func evict(ctx context.Context, e *env, p corev1.Pod) error {
	return e.client.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
	})
}
