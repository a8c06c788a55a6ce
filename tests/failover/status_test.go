package failover

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/nova-platform/nova/installer/status"
	"github.com/nova-platform/nova/tests/render"
)

// TestStatusRedisMaster: `nova-installer status` reads the Redis master's
// role label and asks the Sentinels to cross-check it (status.RedisMaster,
// status.SentinelMaster). Here they are the chart's Redis, Sentinel and
// role-label sidecar as processes, the sidecars' labels copied from the fake
// API they patch; the rest is
// the rendered StatefulSet's pod template as pods whose IPs are the members' loopback addresses, and the
// rendered auth Secret with the harness' password. The dialer connects to the
// members' Sentinel ports (no port-forward). The harness announces IPs, so
// the master is found by pod IP (the DNS-name case is in the unit tests).
func TestStatusRedisMaster(t *testing.T) {
	c := newRedisCluster(t, "production")
	for i := range c.hosts {
		c.startMember(i)
	}
	m := render.Render(t, render.Options{Chart: "redis-sentinel", Profile: "production"})
	sts := render.Get[*appsv1.StatefulSet](t, m, "nova-redis-sentinel-redis")
	secret := render.Get[*corev1.Secret](t, m, "nova-redis-sentinel-auth").DeepCopy()
	secret.Data["password"] = []byte(c.password) // the harness' render generated its own
	objects := []runtime.Object{secret}
	podName := func(i int) string { return fmt.Sprintf("%s-%d", sts.Name, i) }
	for i, host := range c.hosts {
		objects = append(objects, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: sts.Namespace, Name: podName(i), Labels: sts.Spec.Template.Labels},
			Spec:       *sts.Spec.Template.Spec.DeepCopy(),
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: host, PodIPs: []corev1.PodIP{{IP: host}}},
		})
	}
	client := fake.NewSimpleClientset(objects...)
	var dialed []string
	dial := func(ctx context.Context, namespace, pod string, port int) (net.Conn, error) {
		dialed = append(dialed, pod)
		if namespace != sts.Namespace || strconv.Itoa(port) != c.sentPort {
			return nil, fmt.Errorf("dialed %s/%s:%d; the Sentinels are in %s on port %s", namespace, pod, port, sts.Namespace, c.sentPort)
		}
		for i := range c.hosts {
			if pod == podName(i) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", net.JoinHostPort(c.hosts[i], c.sentPort))
			}
		}
		return nil, fmt.Errorf("no member for pod %s", pod)
	}
	redisMaster := func(client *fake.Clientset) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return status.SentinelMaster(ctx, client, dial, "nova", []string{sts.Namespace})
	}

	old := c.stable(40 * time.Second)
	got, err := redisMaster(client)
	if err != nil || got != podName(old) {
		t.Fatalf("RedisMaster = %q, %v; the harness' master is member %d (%s)", got, err, old, podName(old))
	}

	t.Run("wrong password: the Sentinel's AUTH error", func(t *testing.T) {
		wrong := secret.DeepCopy()
		wrong.Data["password"] = []byte("not-" + c.password)
		others := append([]runtime.Object{wrong}, objects[1:]...)
		_, err := redisMaster(fake.NewSimpleClientset(others...))
		if err == nil || !strings.Contains(err.Error(), "AUTH: WRONGPASS") {
			t.Errorf("RedisMaster with a wrong password: %v; want an AUTH error", err)
		}
	})

	t.Run("SIGKILL the master: the new master once the Sentinels agree", func(t *testing.T) {
		killed := time.Now()
		c.killMember(old)
		// What status shows during the failover, each answer once.
		var seen []string
		if err := eventually(30*time.Second, 100*time.Millisecond, func() error {
			got, err := redisMaster(client)
			answer := got
			if err != nil {
				answer = "error: " + err.Error()
			}
			if len(seen) == 0 || seen[len(seen)-1] != answer {
				seen = append(seen, answer)
				t.Logf("%5.2f s after the kill: %s", time.Since(killed).Seconds(), answer)
			}
			if err != nil || got == podName(old) {
				return fmt.Errorf("still %s", answer)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		master := c.stable(30 * time.Second)
		if master == old {
			t.Fatal("the killed member is master")
		}
		dialed = nil
		got, err := redisMaster(client)
		if err != nil || got != podName(master) {
			t.Fatalf("RedisMaster = %q, %v; the harness' master is member %d (%s)", got, err, master, podName(master))
		}
		if old == 0 && (len(dialed) < 2 || dialed[0] != podName(0)) {
			t.Errorf("dialed %v: the dead member's Sentinel first, then the next", dialed)
		}
	})

	t.Run("the label the sidecars keep is the answer, and the Sentinels agree", func(t *testing.T) {
		master := c.stable(30 * time.Second)
		if err := c.roleLabelsFollow(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		labelled := []runtime.Object{secret}
		for _, o := range objects[1:] {
			p := o.(*corev1.Pod).DeepCopy()
			for k, v := range c.api.labels(p.Name) {
				p.Labels[k] = v
			}
			labelled = append(labelled, p)
		}
		client := fake.NewSimpleClientset(labelled...)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		got, check, err := status.RedisMaster(ctx, client, status.DialSentinels{Client: client, Dial: dial}, "nova", []string{sts.Namespace})
		if err != nil || got != podName(master) || check != "" {
			t.Errorf("RedisMaster = %q (check %q), %v; the harness' master is %s", got, check, err, podName(master))
		}
		// Without a Sentinel the label alone answers.
		if got, _, err := status.RedisMaster(ctx, client, nil, "nova", []string{sts.Namespace}); err != nil || got != podName(master) {
			t.Errorf("RedisMaster from the label only = %q, %v; want %s", got, err, podName(master))
		}
	})
}
