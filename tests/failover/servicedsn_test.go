package failover

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/nova-platform/nova/tests/render"
)

// checkServiceDSNs runs the `database` container of every nova-services helm
// test Pod (what `nova-installer verify` runs) against these PostgreSQL
// processes: the service's own rendered env, its DATABASE_URL expanded from
// the Secrets as the kubelet would, the primary Service's name resolved to the
// leader. Each must land in its service's database.
func checkServiceDSNs(t *testing.T, c *pgCluster, leader int) {
	t.Helper()
	m := render.Render(t, render.Options{Chart: "nova", Profile: c.profile, Namespace: c.ns})
	for _, s := range append(render.All[*corev1.Secret](m), userSecrets()...) {
		if _, ok := c.secrets[s.Name]; !ok { // the data tier's Secrets stay the harness's
			c.secrets[s.Name] = s
		}
	}
	// The services' test pods mount their own chart's scripts.
	for name, dir := range writeConfigMaps(t, render.All[*corev1.ConfigMap](m), filepath.Join(c.dir, "service-configmaps")) {
		if _, ok := c.configMaps[name]; !ok {
			c.configMaps[name] = dir
		}
	}
	primary := render.Get[*corev1.Service](t, m, "nova-postgres-ha-primary")
	primaryHost := fmt.Sprintf("%s.%s.svc.cluster.local:%s", primary.Name, c.ns, c.pgPort)
	checked := 0
	for _, check := range serviceChecks(m, "database") {
		p := check.pod
		if p.Spec.Containers[0].Name != "database" {
			t.Fatalf("%s: the database check is not the first container, which runClientPod runs", p.Name)
		}
		url := ""
		for _, kv := range c.podEnv(t, check.ctr, pod{name: p.Name, ip: "127.0.0.1"}) {
			if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
				url = v
			}
		}
		if !strings.Contains(url, "@"+primaryHost+"/") {
			t.Errorf("%s: DATABASE_URL %q does not go through the primary Service %s", p.Name, url, primaryHost)
			continue
		}
		resolved := strings.Replace(url, "@"+primaryHost+"/", "@"+net.JoinHostPort(c.hosts[leader], c.pgPort)+"/", 1)
		code, out := c.runClientPod(t, p.Name, p.Spec, "DATABASE_URL="+resolved)
		if code != 0 || !strings.Contains(out, "DATABASE_URL reaches database "+check.ctr.Args[len(check.ctr.Args)-1]) {
			t.Errorf("%s's database check exited %d:\n%s", p.Name, code, out)
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("ran %d service database checks, want one per service with a database (at least 3)", checked)
	}
}

// checkServiceRedisURLs runs the `redis` container of every nova-services
// helm test Pod against these Redis processes: the service's own env with
// REDIS_URL expanded as the kubelet would, its host (the master Service)
// resolved to the chart's HAProxy. Each must get PONG, so the DSN carries
// the right password and reaches a master.
func checkServiceRedisURLs(t *testing.T, c *redisCluster) {
	t.Helper()
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production", Namespace: "nova"})
	secrets := map[string]*corev1.Secret{}
	for _, s := range append(render.All[*corev1.Secret](m), userSecrets()...) {
		secrets[s.Name] = s
	}
	// The harness's Redis runs with its own render's password.
	auth := secrets["nova-redis-sentinel-auth"].DeepCopy()
	auth.Data = map[string][]byte{"password": []byte(c.password)}
	secrets[auth.Name] = auth
	scripts := writeConfigMaps(t, render.All[*corev1.ConfigMap](m), filepath.Join(c.dir, "service-configmaps"))
	checked := 0
	for _, check := range serviceChecks(m, "redis") {
		p, ctr := check.pod, check.ctr
		var env []string
		for _, kv := range kubeletEnv(t, ctr, pod{name: p.Name, ip: "127.0.0.1"}, "nova", secrets) {
			if url, ok := strings.CutPrefix(kv, "REDIS_URL="); ok {
				at, slash := strings.LastIndex(url, "@"), strings.LastIndex(url, "/")
				if at < 0 || slash < at || !strings.HasPrefix(url[at+1:], "nova-redis-sentinel-master.") {
					t.Errorf("%s: REDIS_URL %q does not go through the master Service", p.Name, url)
					continue
				}
				kv = "REDIS_URL=" + url[:at+1] + c.haAddr + url[slash:]
			}
			env = append(env, kv)
		}
		argv := onHost(append(append([]string{}, ctr.Command...), ctr.Args...), mountDirs(p.Spec, ctr, scripts))
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "REDIS_URL answers PONG") {
			t.Errorf("%s's redis check: %v\n%s", p.Name, err, out)
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("ran %d service Redis checks, want one per service that uses Redis (at least 3)", checked)
	}
}

// userSecrets are the Secrets a user creates for the profiles that require
// external endpoints (the existingSecrets of render.EndpointsFile), with
// stand-in values: the services' env refers to them.
func userSecrets() []*corev1.Secret {
	var out []*corev1.Secret
	for name, keys := range map[string][]string{"nova-s3": {"aws-access-key-id", "aws-secret-access-key"}, "nova-clickhouse": {"clickhouse-password"}} {
		s := &corev1.Secret{Data: map[string][]byte{}}
		s.Name = name
		for _, k := range keys {
			s.Data[k] = []byte("stand-in-" + k)
		}
		out = append(out, s)
	}
	return out
}

// serviceCheck is one container of a nova-services helm test Pod.
type serviceCheck struct {
	pod *corev1.Pod
	ctr corev1.Container
}

// serviceChecks are the containers named container of every nova-services
// helm test Pod in m.
func serviceChecks(m *render.Manifest, container string) []serviceCheck {
	var out []serviceCheck
	for _, p := range render.All[*corev1.Pod](m) {
		if !strings.HasSuffix(p.Name, "-test-connections") {
			continue
		}
		for _, ctr := range p.Spec.Containers {
			if ctr.Name == container {
				out = append(out, serviceCheck{p, ctr})
			}
		}
	}
	return out
}
