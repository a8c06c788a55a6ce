package status

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/nova-platform/nova/installer/resp"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

const (
	testSentinelPort = 26379
	testPassword     = "s3cret pass"
	redisNS          = "nova-redis"
)

// redisPod is a pod of the redis-sentinel StatefulSet as the chart renders it
// (the parts RedisMaster reads): the sentinel container's port, its
// REDIS_PASSWORD_FILE, the auth Secret volume mapping key "password" to the
// file "password".
func redisPod(ns, name, ip string, phase corev1.PodPhase) *corev1.Pod {
	mounts := []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "config", MountPath: "/etc/redis"},
		{Name: "auth", MountPath: "/etc/redis-auth", ReadOnly: true}}
	return &corev1.Pod{
		ObjectMeta: meta(ns, name, "redis-sentinel", "redis"),
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{Name: "redis", Ports: []corev1.ContainerPort{{Name: "redis", ContainerPort: 6379}}, VolumeMounts: mounts},
				{Name: "sentinel", Ports: []corev1.ContainerPort{{Name: "sentinel", ContainerPort: testSentinelPort}},
					Env: []corev1.EnvVar{{Name: "SENTINEL_PORT", Value: "26379"},
						{Name: "REDIS_PASSWORD_FILE", Value: "/etc/redis-auth/password"}}, VolumeMounts: mounts},
			},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
				{Name: "auth", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "nova-redis-sentinel-auth",
					Items: []corev1.KeyToPath{{Key: "password", Path: "password"}}}}},
			},
		},
		Status: corev1.PodStatus{Phase: phase, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
	}
}

func authSecret(ns, key, password string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nova-redis-sentinel-auth"},
		Data: map[string][]byte{key: []byte(password)}}
}

// threePods are the three members with IPs 10.0.0.10-12, Running.
func threePods() []runtime.Object {
	var out []runtime.Object
	for i := 0; i < 3; i++ {
		out = append(out, redisPod(redisNS, fmt.Sprintf("nova-redis-sentinel-redis-%d", i), fmt.Sprintf("10.0.0.1%d", i), corev1.PodRunning))
	}
	return out
}

// fakeSentinel speaks enough RESP2 to be a Sentinel: AUTH (required when
// password is set) and SENTINEL MASTERS, which lists masters (each a flat
// field list).
type fakeSentinel struct {
	password string
	addr     string
	mu       sync.Mutex
	masters  [][]string
	commands []string
}

func startFakeSentinel(t *testing.T, password string, masters ...[]string) *fakeSentinel {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &fakeSentinel{password: password, addr: ln.Addr().String(), masters: masters}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(conn, true)
			wg.Add(1)
			go func() { defer wg.Done(); defer conn.Close(); s.serve(conn) }()
		}
	}()
	return s
}

// received are the commands the Sentinel got, in order.
func (s *fakeSentinel) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// master is a SENTINEL MASTERS entry as Redis 7 sends it (abridged).
func master(ip, flags string) []string {
	return []string{"name", "mymaster", "ip", ip, "port", "6379", "runid", "abc", "flags", flags, "num-slaves", "2", "quorum", "2"}
}

func (s *fakeSentinel) serve(conn net.Conn) {
	r := bufio.NewReader(conn)
	authed := s.password == ""
	for {
		req, err := resp.Read(r)
		if err != nil {
			return
		}
		args, _ := req.([]any)
		var cmd []string
		for _, a := range args {
			cmd = append(cmd, fmt.Sprint(a))
		}
		s.mu.Lock()
		s.commands = append(s.commands, strings.Join(cmd, " "))
		masters := s.masters
		s.mu.Unlock()
		var reply string
		switch {
		case len(cmd) == 2 && strings.EqualFold(cmd[0], "AUTH"):
			if cmd[1] == s.password {
				authed, reply = true, "+OK\r\n"
			} else {
				reply = "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
			}
		case !authed:
			reply = "-NOAUTH Authentication required.\r\n"
		case len(cmd) == 2 && strings.EqualFold(cmd[0], "SENTINEL") && strings.EqualFold(cmd[1], "MASTERS"):
			var b strings.Builder
			fmt.Fprintf(&b, "*%d\r\n", len(masters))
			for _, m := range masters {
				b.Write(resp.Command(m...)) // a flat array of bulk strings
			}
			reply = b.String()
		default:
			reply = "-ERR unknown command\r\n"
		}
		if _, err := conn.Write([]byte(reply)); err != nil {
			return
		}
	}
}

// dialer connects pod names to addresses and records what was dialed.
type dialer struct {
	mu     sync.Mutex
	addrs  map[string]string // "namespace/pod" -> address
	dialed []string
}

func (d *dialer) dial(ctx context.Context, namespace, pod string, port int) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, pod)
	addr, ok := d.addrs[namespace+"/"+pod]
	d.mu.Unlock()
	if port != testSentinelPort {
		return nil, fmt.Errorf("dialed port %d, the sentinel port is %d", port, testSentinelPort)
	}
	if !ok {
		return nil, errors.New("pod unreachable")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", addr)
}

func TestRedisMasterReportedAsAPodDNSName(t *testing.T) {
	s := startFakeSentinel(t, testPassword,
		master("nova-redis-sentinel-redis-1.nova-redis-sentinel-headless.nova-redis.svc.cluster.local", "master"))
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	d := &dialer{addrs: map[string]string{redisNS + "/nova-redis-sentinel-redis-0": s.addr}}
	got, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{"nova", redisNS})
	require.NoError(t, err)
	assert.Equal(t, "nova-redis-sentinel-redis-1", got)
	assert.Equal(t, []string{"nova-redis-sentinel-redis-0"}, d.dialed, "the first pod answered")
	assert.Equal(t, []string{"AUTH " + testPassword, "SENTINEL MASTERS"}, s.received())
}

func TestRedisMasterReportedAsAnIP(t *testing.T) {
	s := startFakeSentinel(t, testPassword, master("10.0.0.12", "master"))
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword+"\n"))...)
	d := &dialer{addrs: map[string]string{redisNS + "/nova-redis-sentinel-redis-0": s.addr}}
	got, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.NoError(t, err, "the password file's trailing newline is dropped, as $(cat) does")
	assert.Equal(t, "nova-redis-sentinel-redis-2", got)
}

func TestRedisMasterOutsideTheReleaseIsTheAddress(t *testing.T) {
	s := startFakeSentinel(t, testPassword, master("10.9.9.9", "master"))
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	d := &dialer{addrs: map[string]string{redisNS + "/nova-redis-sentinel-redis-0": s.addr}}
	got, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.NoError(t, err)
	assert.Equal(t, "10.9.9.9:6379", got)
}

func TestRedisMasterWrongPassword(t *testing.T) {
	s := startFakeSentinel(t, "the real one", master("10.0.0.12", "master"))
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	d := &dialer{addrs: map[string]string{}}
	for i := 0; i < 3; i++ {
		d.addrs[fmt.Sprintf("%s/nova-redis-sentinel-redis-%d", redisNS, i)] = s.addr
	}
	_, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.Error(t, err)
	assert.Equal(t, "sentinel on all 3 pods: "+
		"AUTH: WRONGPASS invalid username-password pair or user is disabled.", err.Error())
	for _, cmd := range s.received() {
		assert.NotEqual(t, "SENTINEL MASTERS", cmd, "nothing is asked unauthenticated")
	}
}

func TestRedisMasterNoRunningPods(t *testing.T) {
	c := fake.NewSimpleClientset(
		redisPod(redisNS, "nova-redis-sentinel-redis-0", "10.0.0.10", corev1.PodPending),
		redisPod(redisNS, "nova-redis-sentinel-redis-1", "10.0.0.11", corev1.PodFailed),
		redisPod("elsewhere", "nova-redis-sentinel-redis-0", "10.1.0.10", corev1.PodRunning), // not the release's namespaces
		authSecret(redisNS, "password", testPassword))
	d := &dialer{}
	_, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{"nova", redisNS})
	require.EqualError(t, err, "no running Redis pods")
	assert.Empty(t, d.dialed)

	_, err = SentinelMaster(context.Background(), c, d.dial, "other-release", []string{"elsewhere"})
	require.EqualError(t, err, "no running Redis pods", "another release's pods are not looked at")
}

func TestRedisMasterFirstSentinelUnreachable(t *testing.T) {
	s := startFakeSentinel(t, testPassword, master("10.0.0.11", "master"))
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	dead.Close() // connection refused
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	d := &dialer{addrs: map[string]string{
		redisNS + "/nova-redis-sentinel-redis-0": deadAddr,
		redisNS + "/nova-redis-sentinel-redis-1": s.addr,
	}}
	got, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.NoError(t, err)
	assert.Equal(t, "nova-redis-sentinel-redis-1", got)
	assert.Equal(t, []string{"nova-redis-sentinel-redis-0", "nova-redis-sentinel-redis-1"}, d.dialed)
}

// A Sentinel that sees its master down is passed over: it is being replaced.
func TestRedisMasterDownIsNotTheMaster(t *testing.T) {
	behind := startFakeSentinel(t, testPassword, master("10.0.0.10", "master,s_down,o_down"))
	current := startFakeSentinel(t, testPassword, master("10.0.0.11", "master"))
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	d := &dialer{addrs: map[string]string{
		redisNS + "/nova-redis-sentinel-redis-1": behind.addr,
		redisNS + "/nova-redis-sentinel-redis-2": current.addr,
	}}
	got, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.NoError(t, err)
	assert.Equal(t, "nova-redis-sentinel-redis-1", got)

	delete(d.addrs, redisNS+"/nova-redis-sentinel-redis-2")
	_, err = SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.Error(t, err)
	assert.Equal(t, "sentinel on pods nova-redis-sentinel-redis-0, nova-redis-sentinel-redis-2: connect to port 26379: pod unreachable; "+
		"sentinel on pod nova-redis-sentinel-redis-1: master 10.0.0.10:6379 is down (flags master,s_down,o_down)", err.Error(),
		"pods that fail alike are named together")
}

func TestRedisMasterMastersCount(t *testing.T) {
	for _, masters := range [][][]string{nil, {master("10.0.0.10", "master"), master("10.0.0.11", "master")}} {
		s := startFakeSentinel(t, testPassword, masters...)
		c := fake.NewSimpleClientset(redisPod(redisNS, "nova-redis-sentinel-redis-0", "10.0.0.10", corev1.PodRunning),
			authSecret(redisNS, "password", testPassword))
		d := &dialer{addrs: map[string]string{redisNS + "/nova-redis-sentinel-redis-0": s.addr}}
		_, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
		assert.EqualError(t, err, fmt.Sprintf("sentinel on pod nova-redis-sentinel-redis-0: SENTINEL MASTERS: %d masters monitored, want 1", len(masters)))
	}
}

// A Sentinel that accepts the connection and says nothing costs
// sentinelTimeout, then the next pod is asked.
func TestRedisMasterSilentSentinelTimesOut(t *testing.T) {
	defer func(d time.Duration) { sentinelTimeout = d }(sentinelTimeout)
	sentinelTimeout = 300 * time.Millisecond
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer silent.Close()
	s := startFakeSentinel(t, testPassword, master("10.0.0.10", "master"))
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	d := &dialer{addrs: map[string]string{
		redisNS + "/nova-redis-sentinel-redis-0": silent.Addr().String(),
		redisNS + "/nova-redis-sentinel-redis-1": s.addr,
	}}
	start := time.Now()
	got, err := SentinelMaster(context.Background(), c, d.dial, "nova", []string{redisNS})
	require.NoError(t, err)
	assert.Equal(t, "nova-redis-sentinel-redis-0", got)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestSentinelPasswordFromTheMountedSecret(t *testing.T) {
	pod := redisPod(redisNS, "p", "10.0.0.10", corev1.PodRunning)
	sentinel := &pod.Spec.Containers[1]
	c := fake.NewSimpleClientset(authSecret(redisNS, "password", "from-items"),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: redisNS, Name: "other"}, Data: map[string][]byte{"pw": []byte("from-key")}})
	access := func() (int, string, error) {
		return sentinelAccess(context.Background(), c, pod, map[string]*corev1.Secret{})
	}

	port, password, err := access()
	require.NoError(t, err)
	assert.Equal(t, testSentinelPort, port)
	assert.Equal(t, "from-items", password, "file /etc/redis-auth/password, item key password")

	// REDIS_PASSWORD_FILE in a deeper mount of a Secret volume without items: the file name is the key.
	sentinel.Env[len(sentinel.Env)-1].Value = "/etc/redis-auth/other/pw"
	sentinel.VolumeMounts = append(sentinel.VolumeMounts, corev1.VolumeMount{Name: "other", MountPath: "/etc/redis-auth/other/"})
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "other", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "other"}}})
	_, password, err = access()
	require.NoError(t, err)
	assert.Equal(t, "from-key", password)

	sentinel.Env[len(sentinel.Env)-1].Value = "/etc/redis/password"
	_, _, err = access()
	assert.EqualError(t, err, "volume config (password file /etc/redis/password) is not a Secret volume")

	sentinel.Env[len(sentinel.Env)-1].Value = "/elsewhere/password"
	_, _, err = access()
	assert.EqualError(t, err, "no volume mounted at the password file /elsewhere/password")

	sentinel.Env[len(sentinel.Env)-1].Value = "/etc/redis-auth/other/missing"
	_, _, err = access()
	assert.EqualError(t, err, `Secret nova-redis/other has no key "missing"`)

	sentinel.Env = sentinel.Env[:len(sentinel.Env)-1]
	_, _, err = access()
	assert.EqualError(t, err, "container sentinel has no REDIS_PASSWORD_FILE")

	sentinel.Ports = nil
	_, _, err = access()
	assert.EqualError(t, err, `container sentinel has no port named "sentinel"`)

	pod.Spec.Containers = pod.Spec.Containers[:1]
	_, _, err = access()
	assert.EqualError(t, err, `no container "sentinel"`)
}

func TestRedisMasterSecretNotReadable(t *testing.T) {
	c := fake.NewSimpleClientset(threePods()...)
	_, err := SentinelMaster(context.Background(), c, (&dialer{}).dial, "nova", []string{redisNS})
	require.Error(t, err)
	assert.Equal(t, `sentinel on all 3 pods: `+
		`read the password: secrets "nova-redis-sentinel-auth" not found`, err.Error())
}

func testRelease(ns, manifest string) *release.Release {
	return &release.Release{Name: "nova", Namespace: ns, Version: 1, Manifest: manifest,
		Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "nova", Version: "0.1.0"}}, Info: &release.Info{Status: release.StatusDeployed}}
}

// Collect shows the master, or why it is unknown, without failing.
func TestCollectRedisMaster(t *testing.T) {
	s := startFakeSentinel(t, testPassword, master("10.0.0.11", "master"))
	objects := append(threePods(), authSecret(redisNS, "password", testPassword))
	d := &dialer{addrs: map[string]string{redisNS + "/nova-redis-sentinel-redis-0": s.addr}}
	rel := testRelease("nova", tierNamespaces(redisNS))
	collect := func(c *fake.Clientset, dial Dialer) *Report {
		t.Helper()
		var opts []Option
		if dial != nil {
			opts = append(opts, WithSentinel(DialSentinels{Client: c, Dial: dial}))
		}
		report, err := Collect(context.Background(), c, rel, "nova-profile", opts...)
		require.NoError(t, err)
		return report
	}

	report := collect(fake.NewSimpleClientset(objects...), d.dial)
	assert.Equal(t, "nova-redis-sentinel-redis-1", report.RedisMaster, "no pod labelled: the Sentinels' answer")
	assert.Equal(t, "from the Sentinels; no pod is labelled role=master", report.RedisCheck)

	labelled := append(threePods(), authSecret(redisNS, "password", testPassword))
	labelled[1].(*corev1.Pod).Labels[facts.LabelRole] = facts.RoleMaster
	report = collect(fake.NewSimpleClientset(labelled...), nil)
	assert.Equal(t, "nova-redis-sentinel-redis-1", report.RedisMaster, "the label, without a Sentinel")
	assert.Empty(t, report.RedisCheck)

	report = collect(fake.NewSimpleClientset(objects...), nil)
	assert.Equal(t, "unknown (no running Redis pod is labelled role=master)", report.RedisMaster)

	report = collect(fake.NewSimpleClientset(), d.dial)
	assert.Equal(t, "unknown (no running Redis pods)", report.RedisMaster)

	api := httptest.NewServer(http.NotFoundHandler())
	defer api.Close()
	report = collect(fake.NewSimpleClientset(objects...), PortForwardDialer(&rest.Config{Host: api.URL}))
	assert.Regexp(t, `^unknown \(sentinel on all 3 pods: `+
		`connect to port 26379: port-forward: .*\)$`, report.RedisMaster)
	t.Log(report.RedisMaster)
	report = collect(fake.NewSimpleClientset(labelled...), PortForwardDialer(&rest.Config{Host: api.URL}))
	assert.Equal(t, "nova-redis-sentinel-redis-1", report.RedisMaster, "the label stands when the Sentinel cannot be asked")
	assert.Regexp(t, `^not cross-checked: sentinel on all 3 pods: connect to port 26379: `, report.RedisCheck)
}

// sentinelSays is a Sentinel with a fixed answer.
type sentinelSays struct {
	master string
	err    error
	asked  int
}

func (s *sentinelSays) Master(context.Context, string, []string) (string, error) {
	s.asked++
	return s.master, s.err
}

// The label is the answer; the Sentinel only checks it, or stands in when
// no single Running pod of this release is labelled.
func TestRedisMasterReadsTheRoleLabel(t *testing.T) {
	const r0, r1, r2 = "nova-redis-sentinel-redis-0", "nova-redis-sentinel-redis-1", "nova-redis-sentinel-redis-2"
	pods := func(masters ...int) *fake.Clientset {
		objects := threePods()
		for _, i := range masters {
			objects[i].(*corev1.Pod).Labels[facts.LabelRole] = facts.RoleMaster
		}
		other := redisPod(redisNS, "other-redis-sentinel-redis-0", "10.0.0.30", corev1.PodRunning)
		other.Labels["app.kubernetes.io/instance"] = "other"
		other.Labels[facts.LabelRole] = facts.RoleMaster
		stopped := redisPod(redisNS, "nova-redis-sentinel-redis-3", "", corev1.PodFailed)
		stopped.Labels[facts.LabelRole] = facts.RoleMaster
		leaving := redisPod(redisNS, "nova-redis-sentinel-redis-4", "10.0.0.14", corev1.PodRunning)
		leaving.Labels[facts.LabelRole] = facts.RoleMaster
		leaving.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		leaving.Finalizers = []string{"test"} // the fake tracker keeps a deleting object only with one
		return fake.NewSimpleClientset(append(objects, other, stopped, leaving)...)
	}
	down := errors.New("sentinel on all 3 pods: down")
	for _, tc := range []struct {
		name          string
		masters       []int
		sentinel      *sentinelSays
		master, check string
		err           string
	}{
		{"labelled, Sentinel agrees", []int{1}, &sentinelSays{master: r1}, r1, "", ""},
		{"labelled, Sentinel names another", []int{1}, &sentinelSays{master: r2}, r1, "the Sentinels name " + r2 + ": a failover is under way", ""},
		{"labelled, Sentinel down", []int{1}, &sentinelSays{err: down}, r1, "not cross-checked: " + down.Error(), ""},
		{"labelled, no Sentinel", []int{2}, nil, r2, "", ""},
		{"none labelled", nil, &sentinelSays{master: r0}, r0, "from the Sentinels; no pod is labelled role=master", ""},
		{"two labelled", []int{0, 2}, &sentinelSays{master: r2}, r2, "from the Sentinels; pods " + r0 + ", " + r2 + " are all labelled role=master", ""},
		{"two labelled, Sentinel down", []int{0, 2}, &sentinelSays{err: down}, "", "", down.Error()},
		{"two labelled, no Sentinel", []int{0, 2}, nil, "", "", "pods " + r0 + ", " + r2 + " are all labelled role=master"},
		{"none labelled, no Sentinel", nil, nil, "", "", "no running Redis pod is labelled role=master"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Sentinel
			if tc.sentinel != nil {
				s = tc.sentinel
			}
			master, check, err := RedisMaster(context.Background(), pods(tc.masters...), s, "nova", []string{redisNS})
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.master, master)
			assert.Equal(t, tc.check, check)
			if tc.sentinel != nil {
				assert.Equal(t, 1, tc.sentinel.asked, "the Sentinel is asked once")
			}
		})
	}
}
