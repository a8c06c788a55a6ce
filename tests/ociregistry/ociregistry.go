// Package ociregistry runs a real OCI registry (CNCF distribution, the
// registry behind `docker run registry`) inside the test process, on
// 127.0.0.1, with in-memory storage and no authentication. Tests push charts
// to it with `helm push` (or helm's registry client) and pull them back with
// `nova-installer deploy --chart oci://HOST/charts/nova --plain-http`.
package ociregistry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	"github.com/sirupsen/logrus"
)

const (
	// readyTimeout bounds how long Run waits for the registry to answer.
	readyTimeout = 10 * time.Second
	// stopTimeout bounds the graceful shutdown. Clients such as helm's (oras)
	// dial connections in parallel and may leave one open without sending a
	// request; net/http's Shutdown waits 5 s before it treats such a
	// connection as idle. The listener is closed at once either way, so the
	// wait is cut short: requests still running after a second are dropped.
	stopTimeout = time.Second
)

// Start runs a registry on a free port of 127.0.0.1 until the test ends and
// returns its address, "127.0.0.1:PORT". Charts are then reachable at
// oci://127.0.0.1:PORT/<repository> over plain HTTP.
func Start(t testing.TB) string {
	t.Helper()
	var lastErr error
	// The port is found free and then handed to the registry, which binds it
	// itself; another process may take it in between, so try a few times.
	for range 3 {
		addr, err := freeAddr()
		if err != nil {
			t.Fatalf("ociregistry: %v", err)
		}
		stop, err := Run(context.Background(), addr)
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(stop)
		return addr
	}
	t.Fatalf("ociregistry: %v", lastErr)
	return ""
}

// Run starts a registry listening on addr (host:port, port not 0) and returns
// once it answers GET /v2/, or with an error when it fails to start within
// 10 seconds or ctx ends first. stop closes the listener, waits up to a
// second for requests in flight and may be called more than once.
//
// The registry logs through logrus' standard logger, which Run silences
// (output io.Discard, level error) for the whole process. Run also turns off
// the registry's OpenTelemetry trace export (OTEL_TRACES_EXPORTER=none)
// unless the environment chooses an exporter.
func Run(ctx context.Context, addr string) (stop func(), err error) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" || port == "0" {
		return nil, fmt.Errorf("registry address %q: want host:port with a fixed port", addr)
	}
	quiet()

	config := &configuration.Configuration{}
	config.Log.Level = "error"
	config.Log.AccessLog.Disabled = true
	config.HTTP.Addr = addr
	// No DrainTimeout: with one, ListenAndServe would catch SIGINT/SIGTERM of
	// the whole test process.
	config.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// Nothing to purge in a registry that lives for one test.
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": false},
		},
	}

	reg, err := registry.NewRegistry(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("registry on %s: %w", addr, err)
	}
	served := make(chan error, 1)
	go func() { served <- reg.ListenAndServe() }()

	var once sync.Once
	stop = func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			_ = reg.Shutdown(sctx)
		})
	}

	if err := waitReady(ctx, addr, served); err != nil {
		stop()
		return nil, fmt.Errorf("registry on %s: %w", addr, err)
	}
	return stop, nil
}

// waitReady polls GET http://addr/v2/ until the registry answers 200 or its
// server ends.
func waitReady(ctx context.Context, addr string, served <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	url := "http://" + addr + "/v2/"
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		// A failed bind shows up here before the first poll gets through.
		select {
		case err := <-served:
			return stopped(err)
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			// The header tells the registry from whatever else may have
			// taken the port.
			api := resp.Header.Get("Docker-Distribution-API-Version")
			if resp.StatusCode == http.StatusOK && api == "registry/2.0" {
				return nil
			}
			err = fmt.Errorf("GET %s: %s (API version %q)", url, resp.Status, api)
		}
		last = err
		select {
		case err := <-served:
			return stopped(err)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// stopped is the error for a server that ended while Run waited for it.
func stopped(err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		return errors.New("server stopped")
	}
	return err
}

func quiet() {
	logrus.SetOutput(io.Discard)
	if strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")) == "" {
		_ = os.Setenv("OTEL_TRACES_EXPORTER", "none")
	}
}

// freeAddr returns 127.0.0.1:PORT for a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
