package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/klog/v2"
)

// portForwardReady bounds the wait for a port-forward to listen.
var portForwardReady = 10 * time.Second

// PortForwardDialer reaches pods the way kubectl port-forward does: each dial
// forwards a free port of 127.0.0.1 to the pod's port through the API server
// (SPDY) and connects to it; closing the connection stops the forward. Errors
// start with "port-forward: " and do not repeat the pod and port (the caller
// names them).
func PortForwardDialer(cfg *rest.Config) Dialer {
	setup := sync.OnceValues(func() (*portForwardSetup, error) {
		if cfg == nil {
			return nil, errors.New("no cluster configuration")
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		transport, upgrader, err := spdy.RoundTripperFor(cfg)
		if err != nil {
			return nil, err
		}
		return &portForwardSetup{client, &http.Client{Transport: transport}, upgrader}, nil
	})
	return func(ctx context.Context, namespace, pod string, port int) (net.Conn, error) {
		s, err := setup()
		if err != nil {
			return nil, fmt.Errorf("port-forward: %w", err)
		}
		conn, err := s.dial(ctx, namespace, pod, port)
		if err != nil {
			return nil, fmt.Errorf("port-forward: %w", err)
		}
		return conn, nil
	}
}

type portForwardSetup struct {
	client   kubernetes.Interface
	http     *http.Client
	upgrader spdy.Upgrader
}

func (s *portForwardSetup) dial(ctx context.Context, namespace, pod string, port int) (net.Conn, error) {
	url := s.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("portforward").URL()
	dialer := spdy.NewDialer(s.upgrader, s.http, http.MethodPost, url)
	// The forward outlives ctx (a dial's context, as for net.Dialer) until the
	// connection is closed. Its own error log (klog) is discarded: what fails
	// is returned.
	fctx, stop := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logr.Discard()))
	ready := make(chan struct{})
	fw, err := portforward.NewOnAddressesWithContext(fctx, dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, ready, io.Discard, io.Discard)
	if err != nil {
		stop()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	timer := time.NewTimer(portForwardReady)
	defer timer.Stop()
	select {
	case <-ready:
	case err := <-done:
		stop()
		if err == nil {
			err = errors.New("stopped before it was ready")
		}
		return nil, err
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	case <-timer.C:
		stop()
		return nil, fmt.Errorf("not ready after %s", portForwardReady)
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		stop()
		return nil, fmt.Errorf("no local port: %v", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local))))
	if err != nil {
		stop()
		return nil, err
	}
	return &forwardedConn{Conn: conn, stop: stop}, nil
}

// forwardedConn stops its port-forward when closed.
type forwardedConn struct {
	net.Conn
	stop context.CancelFunc
}

func (c *forwardedConn) Close() error {
	err := c.Conn.Close()
	c.stop()
	return err
}
