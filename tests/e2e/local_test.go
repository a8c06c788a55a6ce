package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nova-platform/nova/tests/cluster"
)

// The local profile's life on one node: deploy, a no-op redeploy, a Redis
// change, rollback, history and cleanup with and without the data.
func TestLocalProfileLifecycle(t *testing.T) {
	e := newEnv(t, 1)
	const ns = "nova"
	var first map[string]workload
	var firstSecrets map[string]map[string][]byte

	t.Run("deploy --profile local makes every tier ready", func(t *testing.T) {
		r := e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-n", ns, "--create-namespace", "--timeout", "3m"))
		assert.Contains(t, r.stdout, `Release "nova" revision 1: deployed`)
		assert.Contains(t, r.stdout, "is installed as release \"nova\"", "NOTES printed")
		for _, tier := range []string{"[redis]", "[database]", "[services]"} {
			assert.Contains(t, r.stderr, tier, "progress lines per tier")
		}
		first = e.requireAllReady(t, ns)
		for _, w := range []string{"StatefulSet/nova-redis-sentinel-redis", "StatefulSet/nova-postgres-ha-postgres",
			"StatefulSet/nova-postgres-ha-etcd", "Deployment/nova-redis-sentinel-haproxy", "Deployment/user-service",
			"Deployment/messaging-service", "Deployment/search-service", "Deployment/streaming-api"} {
			assert.Contains(t, first, w)
		}
		firstSecrets = e.secrets(t, ns)
		require.NotEmpty(t, firstSecrets)
	})

	t.Run("helm list sees the release with its profile", func(t *testing.T) {
		assertDeployed(t, e, ns, "--selector", "nova-profile=local")
	})

	t.Run("Pod Security restricted admits every pod", func(t *testing.T) {
		nsObj, err := e.client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "restricted", nsObj.Labels["pod-security.kubernetes.io/enforce"])
		events, err := e.client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=FailedCreate"})
		require.NoError(t, err)
		for _, ev := range events.Items {
			t.Errorf("%s/%s: %s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Message)
		}
	})

	t.Run("status reports the release", func(t *testing.T) {
		r := e.mustSucceed(t, e.installer(t, "status", "-n", ns, "-o", "json"))
		var report struct {
			Profile     string
			Revision    int
			RedisMaster string
			Workloads   []struct{ Ready, Desired int32 }
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
		assert.Equal(t, "local", report.Profile)
		assert.Equal(t, 1, report.Revision)
		assert.Len(t, report.Workloads, len(first))
		// No container runs here, so no Sentinel answers: status says why
		// instead of failing.
		assert.Regexp(t, `^unknown \(sentinel on all 3 pods: `, report.RedisMaster)
	})

	t.Run("logs of a service and of a tier, prefixed by pod", func(t *testing.T) {
		r := e.mustSucceed(t, e.installer(t, "logs", "user-service", "-n", ns))
		assert.Regexp(t, `(?m)^\[user-service-[a-z0-9]+-[a-z0-9]+/user-service\] `+cluster.SimulatedLog+`$`, r.stdout)
		r = e.mustSucceed(t, e.installer(t, "logs", "redis", "-n", ns, "--container", "sentinel", "--tail", "1"))
		for i := 0; i < 3; i++ {
			assert.Contains(t, r.stdout, fmt.Sprintf("[nova-redis-sentinel-redis-%d/sentinel] %s\n", i, cluster.SimulatedLog))
		}
		assert.NotContains(t, r.stdout, "/redis]", "--container picks one container")
	})

	t.Run("the same deploy again changes nothing", func(t *testing.T) {
		e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-n", ns, "--timeout", "3m"))
		assert.Equal(t, firstSecrets, e.secrets(t, ns), "generated Secrets byte-identical")
		assert.Equal(t, first, e.workloads(t, ns), "no pod template changed: no rollout")
	})

	t.Run("a Redis setting rolls only the Redis pods", func(t *testing.T) {
		e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-n", ns, "--timeout", "3m",
			"--set", "redis-sentinel.redis.maxmemoryPolicy=noeviction"))
		now := e.workloads(t, ns)
		for name, w := range first {
			if name == "StatefulSet/nova-redis-sentinel-redis" {
				assert.Equal(t, w.generation+1, now[name].generation, "%s rolled", name)
				assert.NotEqual(t, w.template, now[name].template, "checksum annotation changed")
				continue
			}
			assert.Equal(t, w, now[name], "%s untouched", name)
		}
		assert.Equal(t, firstSecrets, e.secrets(t, ns))
	})

	t.Run("rollback to revision 1 and history", func(t *testing.T) {
		e.mustSucceed(t, e.installer(t, "rollback", "1", "-n", ns, "--timeout", "3m"))
		now := e.workloads(t, ns)
		redis := "StatefulSet/nova-redis-sentinel-redis"
		assert.Equal(t, first[redis].template, now[redis].template, "revision 1's Redis config is back")
		r := e.mustSucceed(t, e.installer(t, "history", "-n", ns))
		for rev := 1; rev <= 4; rev++ {
			assert.Regexp(t, fmt.Sprintf(`(?m)^%d\s`, rev), r.stdout)
		}
		assert.Contains(t, r.stdout, "Rollback to 1")
	})

	t.Run("the switch to the gitops preset keeps every password", func(t *testing.T) {
		e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-f", filepath.Join(cluster.RepoRoot(), "values", "gitops.yaml"),
			"-n", ns, "--timeout", "3m"))
		assert.Equal(t, firstSecrets, e.secrets(t, ns), "the generated Secrets stay, byte for byte")
		manifest := e.mustSucceed(t, e.helm(t, "get", "manifest", "nova", "-n", ns)).stdout
		for name := range firstSecrets {
			if strings.HasSuffix(name, "-external") {
				continue // the values' credentials (the S3 placeholders): rendered in every mode
			}
			assert.NotContains(t, manifest, "kind: Secret\nmetadata:\n  name: "+name+"\n", "the release no longer renders %s", name)
		}
		e.requireAllReady(t, ns)
	})

	t.Run("cleanup keeps data and credentials", func(t *testing.T) {
		pvcs := len(e.pvcs(t, ns))
		require.Positive(t, pvcs)
		r := e.mustSucceed(t, e.installer(t, "cleanup", "-n", ns))
		assert.Contains(t, r.stdout, `Release "nova" uninstalled.`)
		assert.Contains(t, r.stdout, "Kept (data and credentials):")
		assert.Contains(t, r.stdout, "--delete-data")
		assert.Zero(t, e.releaseRecords(t, ns), "release gone")
		assert.Len(t, e.pvcs(t, ns), pvcs, "PVCs kept")
		kept := e.secrets(t, ns)
		require.NotEmpty(t, kept, "credential Secrets kept")
		for name, data := range kept {
			assert.Equal(t, firstSecrets[name], data, "%s unchanged", name)
		}
		r = e.mustSucceed(t, e.helm(t, "list", "-n", ns, "-q"))
		assert.Empty(t, bytes.TrimSpace([]byte(r.stdout)))
	})

	t.Run("cleanup --delete-data --yes removes them", func(t *testing.T) {
		r := e.mustSucceed(t, e.installer(t, "cleanup", "-n", ns, "--delete-data", "--yes"))
		assert.Contains(t, r.stdout, "deleted persistentvolumeclaim/")
		eventually(t, time.Minute, "PVCs and Secrets deleted", func() error {
			if n := len(e.pvcs(t, ns)); n > 0 {
				return fmt.Errorf("%d PVCs left", n)
			}
			if n := len(e.secrets(t, ns)); n > 0 {
				return fmt.Errorf("%d Secrets left", n)
			}
			return nil
		})
	})
}
