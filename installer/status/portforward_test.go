package status

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nova-platform/nova/installer/resp"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	streamhttp "k8s.io/streaming/pkg/httpstream"
	streamspdy "k8s.io/streaming/pkg/httpstream/spdy"
)

// fakePortForwardAPI is the pods/portforward subresource of an API server
// (SPDY, portforward.k8s.io) forwarding every data stream to target.
type fakePortForwardAPI struct {
	mu       sync.Mutex
	requests []string // "POST /api/v1/namespaces/ns/pods/pod/portforward"
	ports    []string // the port header of each data stream
	open     int      // SPDY connections not closed yet
}

func startFakePortForwardAPI(t *testing.T, target string) (*httptest.Server, *fakePortForwardAPI) {
	a := &fakePortForwardAPI{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests = append(a.requests, r.Method+" "+r.URL.Path)
		a.mu.Unlock()
		if _, err := streamhttp.Handshake(r, w, []string{"portforward.k8s.io"}); err != nil {
			return
		}
		streams := make(chan streamhttp.Stream, 16)
		conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s streamhttp.Stream, _ <-chan struct{}) error {
			streams <- s
			return nil
		})
		if conn == nil {
			return
		}
		defer conn.Close()
		a.mu.Lock()
		a.open++
		a.mu.Unlock()
		defer func() { a.mu.Lock(); a.open--; a.mu.Unlock() }()
		for {
			select {
			case s := <-streams:
				switch s.Headers().Get(corev1.StreamType) {
				case corev1.StreamTypeError:
					s.Close() // nothing to report
				case corev1.StreamTypeData:
					a.mu.Lock()
					a.ports = append(a.ports, s.Headers().Get(corev1.PortHeader))
					a.mu.Unlock()
					go pipe(s, target)
				}
			case <-conn.CloseChan():
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, a
}

func pipe(s streamhttp.Stream, target string) {
	tcp, err := net.Dial("tcp", target)
	if err != nil {
		_ = s.Reset()
		return
	}
	done := make(chan struct{})
	go func() { _, _ = io.Copy(tcp, s); tcp.Close(); close(done) }()
	_, _ = io.Copy(s, tcp)
	s.Close()
	<-done
}

func (a *fakePortForwardAPI) openConnections() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.open
}

// RedisMaster through PortForwardDialer: the pod's portforward subresource,
// the sentinel port, and the forward stopped once the answer is read.
func TestRedisMasterThroughPortForward(t *testing.T) {
	s := startFakeSentinel(t, testPassword, master("10.0.0.11", "master"))
	api, a := startFakePortForwardAPI(t, s.addr)
	c := fake.NewSimpleClientset(append(threePods(), authSecret(redisNS, "password", testPassword))...)
	got, err := SentinelMaster(context.Background(), c, PortForwardDialer(&rest.Config{Host: api.URL}), "nova", []string{redisNS})
	require.NoError(t, err)
	assert.Equal(t, "nova-redis-sentinel-redis-1", got)
	a.mu.Lock()
	assert.Equal(t, []string{"POST /api/v1/namespaces/nova-redis/pods/nova-redis-sentinel-redis-0/portforward"}, a.requests)
	assert.Equal(t, []string{"26379"}, a.ports)
	a.mu.Unlock()
	assert.Eventually(t, func() bool { return a.openConnections() == 0 }, 5*time.Second, 10*time.Millisecond,
		"closing the connection stops the port-forward")
}

func TestPortForwardDialerStopsWhenTheConnectionCloses(t *testing.T) {
	s := startFakeSentinel(t, "")
	api, a := startFakePortForwardAPI(t, s.addr)
	conn, err := PortForwardDialer(&rest.Config{Host: api.URL})(context.Background(), redisNS, "p", testSentinelPort)
	require.NoError(t, err)
	local := conn.RemoteAddr().String()
	rc := resp.NewConn(conn)
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	reply, err := rc.Do("SENTINEL", "MASTERS")
	require.NoError(t, err)
	assert.Equal(t, []any{}, reply)
	assert.Equal(t, 1, a.openConnections())

	require.NoError(t, conn.Close())
	assert.Eventually(t, func() bool { return a.openConnections() == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", local, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the local port no longer listens")
}

// The port-forward dialer fails fast when the API server refuses the upgrade
// (a simulated cluster has no kubelet to forward to).
func TestPortForwardDialerError(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no kubelet", http.StatusNotFound)
	}))
	defer api.Close()
	start := time.Now()
	_, err := PortForwardDialer(&rest.Config{Host: api.URL})(context.Background(), redisNS, "nova-redis-sentinel-redis-0", testSentinelPort)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "port-forward: error upgrading connection: ")
	assert.Less(t, time.Since(start), 5*time.Second)

	_, err = PortForwardDialer(nil)(context.Background(), redisNS, "p", 1)
	assert.EqualError(t, err, "port-forward: no cluster configuration")
}

// An API server that never answers costs the dial's context, not more.
func TestPortForwardDialerHungAPIServer(t *testing.T) {
	release := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer api.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := PortForwardDialer(&rest.Config{Host: api.URL})(ctx, redisNS, "p", testSentinelPort)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}
