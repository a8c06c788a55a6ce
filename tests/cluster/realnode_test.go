package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/nova-platform/nova/tests/cluster/images"
)

// restricted is a Pod Security "restricted" pod of one container.
func restricted(name, image string, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: name, Image: image, Args: args, ImagePullPolicy: corev1.PullIfNotPresent,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		},
	}
}

// runPod creates the pod, waits for it to end and returns its phase and log.
func runPod(ctx context.Context, t *testing.T, client kubernetes.Interface, ns string, pod *corev1.Pod) (corev1.PodPhase, string) {
	t.Helper()
	_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	var phase corev1.PodPhase
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		require.NoError(t, err)
		if phase = p.Status.Phase; phase == corev1.PodSucceeded || phase == corev1.PodFailed {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	var log []byte
	for i := 0; i < 20; i++ {
		if log, err = client.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx); err == nil {
			break
		}
		t.Logf("logs of %s, attempt %d: %v %s", pod.Name, i+1, err, log)
		time.Sleep(500 * time.Millisecond)
	}
	require.NoError(t, err, "logs of %s (phase %s)", pod.Name, phase)
	return phase, strings.TrimSpace(string(log))
}

// The real node: containers really run, restricted, with the cluster DNS
// and kube-proxy's Services; nothing leaves the machine; local volumes get
// the pod's fsGroup; Down leaves nothing behind.
func TestRealNode(t *testing.T) {
	c := ForRealTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client, err := c.Client()
	require.NoError(t, err)
	const ns = "real"
	_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	}, 30*time.Second, 200*time.Millisecond)
	nettest := images.Registry + "/nettest:1"

	t.Run("the node is Ready with its zone", func(t *testing.T) {
		n, err := client.CoreV1().Nodes().Get(ctx, RealNodeName, metav1.GetOptions{})
		require.NoError(t, err)
		assert.True(t, nodeReady(n))
		assert.Equal(t, Zone(1), n.Labels[ZoneLabel])
		assert.Equal(t, RealNodeName, n.Labels[HostnameLabel])
	})

	t.Run("cluster names resolve through CoreDNS, others do not", func(t *testing.T) {
		phase, log := runPod(ctx, t, client, ns, restricted("dns-in", nettest, "dns", "kubernetes.default.svc.cluster.local"))
		assert.Equal(t, corev1.PodSucceeded, phase, log)
		assert.Contains(t, log, "[10.96.0.1]")
		phase, log = runPod(ctx, t, client, ns, restricted("dns-out", nettest, "dns", "deb.debian.org"))
		assert.Equal(t, corev1.PodFailed, phase, log)
		assert.Contains(t, log, "no such host")
	})

	t.Run("a Service reaches its endpoint through kube-proxy", func(t *testing.T) {
		phase, log := runPod(ctx, t, client, ns, restricted("api-service", nettest, "tcp", "kubernetes.default.svc.cluster.local:443"))
		assert.Equal(t, corev1.PodSucceeded, phase, log)
	})

	t.Run("nothing leaves the machine", func(t *testing.T) {
		// A public resolver by address: the packet is dropped (no answer,
		// no route out), never answered.
		phase, log := runPod(ctx, t, client, ns, restricted("out", nettest, "tcp", "192.0.2.1:53"))
		assert.Equal(t, corev1.PodFailed, phase, log)
		phase, log = runPod(ctx, t, client, ns, restricted("out-udp", nettest, "udp", "9.9.9.9:53"))
		assert.Equal(t, corev1.PodFailed, phase, log)
		out, err := exec.Command("iptables", "-w", "-L", guardChain, "-v", "-n", "-x").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Regexp(t, `(?m)^\s+[1-9][0-9]*\s+\d+\s+DROP`, string(out), "the guard dropped the pods' packets")
	})

	t.Run("a local volume gets the pod's fsGroup", func(t *testing.T) {
		pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"},
			Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
		_, err := client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{})
		require.NoError(t, err)
		pod := restricted("volume", nettest, "dns", "kubernetes.default.svc.cluster.local")
		pod.Spec.SecurityContext.FSGroup = ptr.To(int64(1001))
		pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
		phase, log := runPod(ctx, t, client, ns, pod)
		assert.Equal(t, corev1.PodSucceeded, phase, log)
		got, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
		require.NoError(t, err)
		pv, err := client.CoreV1().PersistentVolumes().Get(ctx, got.Spec.VolumeName, metav1.GetOptions{})
		require.NoError(t, err)
		require.NotNil(t, pv.Spec.Local, "a local PersistentVolume")
		st, err := os.Stat(pv.Spec.Local.Path)
		require.NoError(t, err)
		assert.EqualValues(t, 1001, st.Sys().(*syscall.Stat_t).Gid, "the kubelet gave the volume the pod's fsGroup")
		assert.NotZero(t, st.Mode()&os.ModeSetgid, "and made it setgid, as it does for CSI block volumes")
	})

	t.Run("a second real node on the machine is refused and touches nothing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		other := t.TempDir()
		_, err := Up(ctx, Config{Dir: other, Bin: BinDir(), Real: true, Log: testLog{t}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "a real node is already running on this machine, in "+c.Dir())
		assert.Contains(t, err.Error(), "nova-cluster down --dir "+c.Dir())
		require.NoError(t, exec.Command("ip", "link", "show", nodeBridge).Run(), "the first node's bridge is still there")
		n, err := client.CoreV1().Nodes().Get(ctx, RealNodeName, metav1.GetOptions{})
		require.NoError(t, err)
		assert.True(t, nodeReady(n), "the first node is still Ready")
	})

	t.Run("Down leaves nothing on the machine", func(t *testing.T) {
		saved, created := c.Net.Sysctls, c.Net.Created
		pids := map[string]int{}
		for _, p := range c.Procs {
			pids[p.Name] = p.PID
		}
		require.NoError(t, c.Down(io.Discard))
		for name, pid := range pids {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
				assert.NotContains(t, exe, filepath.Base(name), "%s (pid %d) still runs", name, pid)
			}
		}
		mounts, _ := os.ReadFile("/proc/self/mounts")
		assert.NotContains(t, string(mounts), c.Dir(), "mounts under the cluster directory")
		for name, value := range saved {
			got, err := readSysctl(name)
			if err == nil {
				assert.Equal(t, value, got, "sysctl %s restored", name)
			}
		}
		assert.Error(t, exec.Command("ip", "link", "show", nodeBridge).Run(), "the bridge is gone")
		routes, _ := exec.Command("ip", "route", "show", "type", "unreachable").CombinedOutput()
		assert.NotContains(t, string(routes), podRange)
		for _, table := range []string{"filter", "nat"} {
			rules, _ := exec.Command("iptables", "-w", "-t", table, "-S").CombinedOutput()
			assert.NotContains(t, string(rules), guardChain)
			assert.NotContains(t, string(rules), "KUBE-", "kube-proxy's and the kubelet's chains in %s", table)
		}
		_, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", cgroupRoot))
		assert.True(t, os.IsNotExist(err), "the node's cgroups are gone")
		for _, d := range created {
			_, err := os.Stat(d)
			assert.True(t, os.IsNotExist(err), "%s, made by the node's components, is gone", d)
		}
		_, err = os.Stat(realNodeLock)
		assert.True(t, os.IsNotExist(err), "the machine's claim %s is released", realNodeLock)
		links, _ := filepath.Glob("/var/log/containers/*.log")
		for _, l := range links {
			target, _ := os.Readlink(l)
			assert.NotContains(t, target, c.Dir(), "the kubelet's log link %s", l)
		}
	})
}
