package charts

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nova-platform/nova/tests/need"
	"github.com/nova-platform/nova/tests/ports"
	"github.com/nova-platform/nova/tests/render"
)

// What the services need from outside the release (Kafka, ClickHouse, S3):
// staging and production refuse to render without it, naming each value;
// the chart's defaults leave it out and NOTES say so; local has placeholders.
func TestExternalEndpointsAreRequiredWhereTheProfileSaysSo(t *testing.T) {
	wantNamed := []string{"external.kafka.brokers (KAFKA_BROKERS)", "external.clickhouse.url (CLICKHOUSE_URL)", "external.s3.bucket (S3_BUCKET_NAME)",
		"external.s3.region (S3_REGION)", "external.s3.cloudfrontUrl (CLOUDFRONT_URL)", "external.s3.accessKeyId or external.s3.existingSecret (AWS_ACCESS_KEY_ID)"}
	for _, profile := range []string{"staging", "production"} {
		for _, files := range [][]string{nil, consolidated} {
			_, err := render.TemplateE(t, render.Options{Chart: "nova", Profile: profile, Files: files, NoEndpoints: true})
			if err == nil {
				t.Fatalf("%s %v rendered without Kafka, ClickHouse and S3", profile, files)
			}
			for _, w := range wantNamed {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s %v: the error does not name %s:\n%v", profile, files, w, err)
				}
			}
		}
		// The example file, as the profile's comment says, makes it render.
		render.Render(t, render.Options{Chart: "nova", Profile: profile, Files: []string{render.EndpointsFile}, NoEndpoints: true})
	}
	// One value missing: named alone.
	_, err := render.TemplateE(t, render.Options{Chart: "nova", Profile: "production", Set: map[string]string{"nova-services.external.kafka.brokers": ""}})
	if err == nil || !strings.Contains(err.Error(), "external.kafka.brokers") || strings.Contains(err.Error(), "CLICKHOUSE_URL") {
		t.Errorf("production without Kafka brokers: %v", err)
	}
	// A service that needs none of them (search-service alone) renders.
	alone := map[string]string{}
	for _, s := range []string{"user-service", "streaming-api", "messaging-service"} {
		alone["nova-services.services."+s+".enabled"] = "false"
	}
	render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: alone, NoEndpoints: true})

	// Chart defaults: left out, and NOTES name them.
	out, err := renderWithEngine(t, "nova-services", map[string]any{}, newFakeCluster())
	if err != nil {
		t.Fatal(err)
	}
	notes := out["nova-services/templates/NOTES.txt"]
	for _, w := range wantNamed {
		if !strings.Contains(notes, w) || !strings.Contains(notes, "WARNING: user-service exits at start") {
			t.Errorf("NOTES do not warn about %s:\n%s", w, notes)
		}
	}
}

// auth-service and api-gateway have no published image: they stay in the
// catalogue, off, and turning one on without an image names the value.
func TestServicesWithoutAnImageNeedOne(t *testing.T) {
	for _, svc := range []string{"auth-service", "api-gateway"} {
		_, err := render.TemplateE(t, render.Options{Chart: "nova", Profile: "local", Set: map[string]string{"nova-services.services." + svc + ".enabled": "true"}})
		if err == nil || !strings.Contains(err.Error(), "services."+svc+".image.repository: no image is published for "+svc) {
			t.Errorf("%s enabled without an image: %v", svc, err)
		}
		m := render.Render(t, render.Options{Chart: "nova", Profile: "local", Set: map[string]string{"nova-services.services." + svc + ".enabled": "true",
			"nova-services.services." + svc + ".image.repository": "example/" + svc, "nova-services.services." + svc + ".image.tag": "v1"}})
		if got := app(t, m, svc).Image; got != "ghcr.io/example/"+svc+":v1" {
			t.Errorf("%s: image %q", svc, got)
		}
	}
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local"})
	for _, d := range serviceDeployments(m) {
		if d.Name == "auth-service" || d.Name == "api-gateway" {
			t.Errorf("%s is on by default", d.Name)
		}
	}
}

// The tag defaults to the chart's appVersion; one value sets it for every
// service, a service's own wins; streaming-api runs user-service's image.
func TestImageTagIsSetOnceOrPerService(t *testing.T) {
	ct := loadContract(t)
	m := render.Render(t, render.Options{Chart: "nova", Profile: "local"})
	for _, d := range serviceDeployments(m) {
		if img := app(t, m, d.Name).Image; !strings.HasSuffix(img, ":"+ct.Build) {
			t.Errorf("%s: image %q, want the appVersion tag %s", d.Name, img, ct.Build)
		}
	}
	if got := app(t, m, "streaming-api").Image; got != "ghcr.io/proerror77/nova/user-service:"+ct.Build {
		t.Errorf("streaming-api runs %q, want user-service's image", got)
	}
	if got := envOf(app(t, m, "streaming-api"))["APP_PORT"].Value; got != "8081" {
		t.Errorf("streaming-api APP_PORT=%q, want 8081", got)
	}
	m = render.Render(t, render.Options{Chart: "nova", Profile: "local", Set: map[string]string{"nova-services.image.tag": "main-0123456",
		"nova-services.services.search-service.image.tag": "main-abcdef0", "nova-services.image.registry": "registry.example.com"}})
	for _, d := range serviceDeployments(m) {
		want := ":main-0123456"
		if d.Name == "search-service" {
			want = ":main-abcdef0"
		}
		if img := app(t, m, d.Name).Image; !strings.HasSuffix(img, want) || !strings.HasPrefix(img, "registry.example.com/proerror77/nova/") {
			t.Errorf("%s: image %q, want registry.example.com/...%s", d.Name, img, want)
		}
	}
}

func decodePEMKeyPair(t *testing.T, data map[string]string) (*rsa.PrivateKey, *rsa.PublicKey) {
	t.Helper()
	block := func(key string) *pem.Block {
		raw, err := base64.StdEncoding.DecodeString(data[key])
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		b, _ := pem.Decode(raw)
		if b == nil {
			t.Fatalf("%s is not PEM: %q", key, raw)
		}
		return b
	}
	k, err := x509.ParsePKCS8PrivateKey(block("private.pem").Bytes)
	if err != nil {
		t.Fatalf("private.pem: %v", err)
	}
	p, err := x509.ParsePKIXPublicKey(block("public.pem").Bytes)
	if err != nil {
		t.Fatalf("public.pem: %v", err)
	}
	priv, ok1 := k.(*rsa.PrivateKey)
	pub, ok2 := p.(*rsa.PublicKey)
	if !ok1 || !ok2 {
		t.Fatalf("keys are %T and %T, want RSA", k, p)
	}
	return priv, pub
}

// How the schema is made: a hook Job per database in job mode (production),
// every pod at start in onStart mode (local), nothing in off mode.
func TestMigrationModes(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production"})
	job := render.Get[*batchv1.Job](t, m, "nova-nova-services-migrate-nova-auth")
	if job.Annotations["helm.sh/hook"] != "post-install,pre-upgrade" || job.Annotations["helm.sh/hook-weight"] != "10" {
		t.Errorf("migration Job hooks %v: want after the install (and the database ensure Job, weight 0), before an upgrade", job.Annotations)
	}
	c := job.Spec.Template.Spec.Containers[0]
	env := envOf(c)
	if env["APP_ENV"].Value == "production" || env["RUN_MIGRATIONS"].Value != "true" || env["LISTEN_PORT"].Value != env["APP_PORT"].Value ||
		!strings.HasSuffix(dsn(t, c).Path, "/nova_auth") {
		t.Errorf("migration Job env: APP_ENV %q, RUN_MIGRATIONS %q, LISTEN_PORT %q, APP_PORT %q", env["APP_ENV"].Value, env["RUN_MIGRATIONS"].Value,
			env["LISTEN_PORT"].Value, env["APP_PORT"].Value)
	}
	// migrate.sh inline (the Job may run before the scripts ConfigMap of
	// this release exists), the program's binary as its argument.
	if args := append(slices.Clone(c.Command), c.Args...); len(args) != 5 || args[3] != "migrate" || args[4] != "/app/user-service" || !strings.Contains(args[2], "/proc/net") {
		t.Errorf("migration Job command %q args %q", c.Command, c.Args)
	}
	if c.Image != app(t, m, "user-service").Image {
		t.Errorf("migration Job image %q, user-service runs %q", c.Image, app(t, m, "user-service").Image)
	}
	n := 0
	for _, j := range render.All[*batchv1.Job](m) {
		if strings.Contains(j.Name, "migrate") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d migration Jobs, want one for nova_auth (user-service and streaming-api share it)", n)
	}
	for _, d := range serviceDeployments(m) {
		if env := envOf(app(t, m, d.Name)); env["APP_ENV"].Value == "production" && env["RUN_MIGRATIONS"].Value != "false" {
			t.Errorf("%s: RUN_MIGRATIONS=%q in job mode", d.Name, env["RUN_MIGRATIONS"].Value)
		}
	}

	local := render.Render(t, render.Options{Chart: "nova", Profile: "local"})
	for _, j := range render.All[*batchv1.Job](local) {
		if strings.Contains(j.Name, "migrate") {
			t.Errorf("local renders migration Job %s; its pods migrate at start", j.Name)
		}
	}
	if env := envOf(app(t, local, "user-service")); env["RUN_MIGRATIONS"].Value != "true" || env["APP_ENV"].Value != "local" {
		t.Errorf("local user-service: RUN_MIGRATIONS %q, APP_ENV %q", env["RUN_MIGRATIONS"].Value, env["APP_ENV"].Value)
	}
	off := render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: map[string]string{"nova-services.migrations.mode": "off"}})
	if strings.Contains(off.Raw, "-migrate-") || envOf(app(t, off, "user-service"))["RUN_MIGRATIONS"].Value != "false" {
		t.Error("migrations.mode off still migrates")
	}
	_, err := render.TemplateE(t, render.Options{Chart: "nova", Profile: "production", Set: map[string]string{"nova-services.migrations.mode": "onStart"}})
	if err == nil || !strings.Contains(err.Error(), "migrations.mode: onStart needs appEnv other than production") {
		t.Errorf("onStart in production: %v", err)
	}
}

// The migration wrapper as it ships, with a stand-in program: it waits
// until the program listens, stops it and succeeds; it fails when the
// program exits first or never listens.
func TestMigrateScriptWaitsForTheListener(t *testing.T) {
	busybox := need.Command(t, "busybox", "busybox")
	port := ports.One(t)
	run := func(timeout string, program ...string) (string, error) {
		cmd := exec.Command("/bin/sh", append([]string{render.Path("charts", "nova-services", "files", "migrate.sh")}, program...)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LISTEN_PORT=" + strconv.Itoa(port), "MIGRATE_TIMEOUT=" + timeout}
		start := time.Now()
		out, err := cmd.CombinedOutput()
		return fmt.Sprintf("%s(%.1f s)", out, time.Since(start).Seconds()), err
	}
	// "Migrates" for 2 s, then listens.
	listener := fmt.Sprintf("sleep 2; exec %s nc -l -p %d 127.0.0.1", busybox, port)
	out, err := run("20", "/bin/sh", "-c", listener)
	if err != nil || !strings.Contains(out, "listens on port "+strconv.Itoa(port)) {
		t.Errorf("a program that listens after 2 s: %v\n%s", err, out)
	}
	if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		conn.Close()
		t.Error("the program still listens: the script did not stop it")
	}
	if out, err := run("20", "/bin/sh", "-c", "echo cannot reach the database; exit 3"); err == nil || !strings.Contains(out, "exited with status 3 before it listened") {
		t.Errorf("a program that exits: want a failure, got %v\n%s", err, out)
	}
	if out, err := run("2", "/bin/sh", "-c", "exec sleep 30"); err == nil || !strings.Contains(out, "did not listen on port") {
		t.Errorf("a program that never listens: want a timeout, got %v\n%s", err, out)
	}
}

// With an HPA, the Deployment starts at the HPA's minimum (so the PDB can
// be met at once) and an upgrade keeps whatever the HPA set: an omitted
// field would reach the API server as replicas: null and become 1.
func TestAutoscaledReplicasOnInstallAndUpgrade(t *testing.T) {
	values := map[string]any{"services": map[string]any{"search-service": map[string]any{"hpa": map[string]any{"enabled": false}, "replicas": 2}}}
	replicas := func(cluster fakeCluster) map[string]int32 {
		out, err := renderWithEngine(t, "nova-services", values, cluster)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int32{}
		for _, d := range render.All[*appsv1.Deployment](decodeAll(t, out)) {
			if d.Spec.Replicas == nil {
				t.Errorf("%s: no replicas", d.Name)
				continue
			}
			got[d.Name] = *d.Spec.Replicas
		}
		return got
	}
	install := replicas(newFakeCluster())
	for name, want := range map[string]int32{"user-service": 3, "messaging-service": 2, "streaming-api": 2, "search-service": 2} {
		if install[name] != want {
			t.Errorf("install: %s replicas %d, want %d", name, install[name], want)
		}
	}
	scaled := &appsv1.Deployment{}
	scaled.Name, scaled.Namespace = "user-service", "nova"
	seven := int32(7)
	scaled.Spec.Replicas = &seven
	upgrade := replicas(newFakeCluster(scaled))
	if upgrade["user-service"] != 7 || upgrade["messaging-service"] != 2 || upgrade["search-service"] != 2 {
		t.Errorf("upgrade: replicas %v, want user-service at the HPA's 7, the others as on install", upgrade)
	}
}

// The optional Ingress carries the Nova API's routing table, without a
// rewrite, in the services' namespace; routes follow the topology.
func TestIngressCarriesTheRoutingTable(t *testing.T) {
	set := map[string]string{"nova-services.ingress.enabled": "true", "nova-services.ingress.hosts[0].host": "api.nova.example.com",
		"global.tierNamespaces.enabled": "true"}
	want := map[string]string{"/api/v1/auth": "user-service", "/api/v1/feed": "user-service", "/api/v1/streams": "user-service", "/ws": "user-service",
		"/docs": "user-service", "/api/v1/admin": "user-service", "/api/v1/conversations": "messaging-service", "/api/v1/ws": "messaging-service",
		"/api/v1/rtc": "messaging-service", "/api/v1/calls": "messaging-service", "/api/v1/notifications": "messaging-service",
		"/api/v1/search": "search-service"}
	for name, c := range map[string]struct {
		files  []string
		rename map[string]string
	}{
		"split":        {nil, nil},
		"consolidated": {consolidated, map[string]string{"user-service": "api-service", "messaging-service": "realtime-service"}},
	} {
		m := renderServices(t, "production", c.files, set)
		ing := render.All[*networkingv1.Ingress](m)
		if len(ing) != 1 {
			t.Fatalf("%s: %d Ingresses", name, len(ing))
		}
		if ing[0].Namespace != "nova-services" {
			t.Errorf("%s: Ingress in %q, want the services' namespace", name, ing[0].Namespace)
		}
		for k := range ing[0].Annotations {
			if strings.Contains(k, "rewrite") {
				t.Errorf("%s: annotation %s", name, k)
			}
		}
		got := map[string]string{}
		for _, p := range ing[0].Spec.Rules[0].HTTP.Paths {
			if *p.PathType != networkingv1.PathTypePrefix || p.Backend.Service.Port.Name != "http" {
				t.Errorf("%s: path %s %s to port %+v", name, p.Path, *p.PathType, p.Backend.Service.Port)
			}
			got[p.Path] = p.Backend.Service.Name
		}
		for path, svc := range want {
			if r, ok := c.rename[svc]; ok {
				svc = r
			}
			if got[path] != svc {
				t.Errorf("%s: %s routes to %q, want %s", name, path, got[path], svc)
			}
		}
		if _, ok := got["/health"]; ok {
			t.Errorf("%s: /health is routed (user-service has none)", name)
		}
	}
}

// Every hook Job gives up 10 s before Helm's --timeout, which nova-installer
// passes as global.hookTimeoutSeconds, so its own error is what the user sees.
func TestHookJobsEndBeforeHelmsTimeout(t *testing.T) {
	for timeout, deadline := range map[string]int64{"": 290, "600": 590} {
		set := map[string]string{}
		if timeout != "" {
			set["global.hookTimeoutSeconds"] = timeout
		}
		m := render.Render(t, render.Options{Chart: "nova", Profile: "production", Set: set})
		jobs := render.All[*batchv1.Job](m)
		if len(jobs) != 3 {
			t.Errorf("%d hook Jobs, want the JWT keys, the schema migration and the database ensure Job", len(jobs))
		}
		for _, j := range jobs {
			if j.Spec.ActiveDeadlineSeconds == nil || *j.Spec.ActiveDeadlineSeconds != deadline {
				t.Errorf("timeout %q: Job %s deadline %v, want %d", timeout, j.Name, j.Spec.ActiveDeadlineSeconds, deadline)
			}
		}
		ensure := render.Get[*batchv1.Job](t, m, "nova-postgres-ha-ensure")
		if got := envOf(ensure.Spec.Template.Spec.Containers[0])["WAIT_SECONDS"].Value; got != strconv.FormatInt(deadline-30, 10) {
			t.Errorf("timeout %q: the ensure Job waits %s s for a primary, want %d", timeout, got, deadline-30)
		}
	}
}
