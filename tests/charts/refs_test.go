package charts

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nova-platform/nova/tests/render"
)

// A generic check over whole renders: every reference a pod makes to a
// Secret, ConfigMap or ServiceAccount (env valueFrom, envFrom, volumes,
// projected volumes, serviceAccountName) resolves to an object of the same
// render in the pod's namespace that has the key, or to a Secret the case
// declares as existing outside the render; and every $(VAR) in an env value
// names a variable defined before it in the same container (the kubelet
// leaves an unknown reference as literal text).

// externalSecrets are Secrets a render may use without rendering them:
// "namespace/name" -> keys.
type externalSecrets map[string][]string

type podRef struct {
	owner string // Kind/name of the workload
	ns    string
	spec  corev1.PodSpec
}

// podSpecs returns every pod template of a render, in order.
func podSpecs(m *render.Manifest) []podRef {
	var out []podRef
	add := func(kind string, meta metav1.ObjectMeta, spec corev1.PodSpec) {
		ns := meta.Namespace
		if ns == "" {
			ns = "nova"
		}
		out = append(out, podRef{kind + "/" + meta.Name, ns, spec})
	}
	for _, o := range m.Objects {
		switch v := o.(type) {
		case *appsv1.Deployment:
			add("Deployment", v.ObjectMeta, v.Spec.Template.Spec)
		case *appsv1.StatefulSet:
			add("StatefulSet", v.ObjectMeta, v.Spec.Template.Spec)
		case *appsv1.DaemonSet:
			add("DaemonSet", v.ObjectMeta, v.Spec.Template.Spec)
		case *appsv1.ReplicaSet:
			add("ReplicaSet", v.ObjectMeta, v.Spec.Template.Spec)
		case *batchv1.Job:
			add("Job", v.ObjectMeta, v.Spec.Template.Spec)
		case *batchv1.CronJob:
			add("CronJob", v.ObjectMeta, v.Spec.JobTemplate.Spec.Template.Spec)
		case *corev1.Pod:
			add("Pod", v.ObjectMeta, v.Spec)
		}
	}
	return out
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// unresolvedRefs lists every reference of the render that does not resolve.
func unresolvedRefs(m *render.Manifest, external externalSecrets) []string {
	secrets := map[string]map[string]bool{}
	configMaps := map[string]map[string]bool{}
	accounts := map[string]bool{}
	keysOf := func(into map[string]map[string]bool, ns, name string, keys ...string) {
		id := ns + "/" + name
		if into[id] == nil {
			into[id] = map[string]bool{}
		}
		for _, k := range keys {
			into[id][k] = true
		}
	}
	nsOf := func(meta metav1.ObjectMeta) string {
		if meta.Namespace == "" {
			return "nova"
		}
		return meta.Namespace
	}
	for _, o := range m.Objects {
		switch v := o.(type) {
		case *corev1.Secret:
			keysOf(secrets, nsOf(v.ObjectMeta), v.Name)
			for k := range v.Data {
				keysOf(secrets, nsOf(v.ObjectMeta), v.Name, k)
			}
			for k := range v.StringData {
				keysOf(secrets, nsOf(v.ObjectMeta), v.Name, k)
			}
		case *corev1.ConfigMap:
			keysOf(configMaps, nsOf(v.ObjectMeta), v.Name)
			for k := range v.Data {
				keysOf(configMaps, nsOf(v.ObjectMeta), v.Name, k)
			}
			for k := range v.BinaryData {
				keysOf(configMaps, nsOf(v.ObjectMeta), v.Name, k)
			}
		case *corev1.ServiceAccount:
			accounts[nsOf(v.ObjectMeta)+"/"+v.Name] = true
		}
	}
	for id, keys := range external {
		keysOf(secrets, strings.SplitN(id, "/", 2)[0], strings.SplitN(id, "/", 2)[1], keys...)
	}

	var problems []string
	for _, p := range podSpecs(m) {
		// Kubernetes publishes its CA in every namespace (the projected
		// ServiceAccount token volumes read it).
		keysOf(configMaps, p.ns, "kube-root-ca.crt", "ca.crt")
		fail := func(format string, args ...any) {
			problems = append(problems, p.owner+": "+fmt.Sprintf(format, args...))
		}
		has := func(objs map[string]map[string]bool, kind, name, key string) {
			keys, ok := objs[p.ns+"/"+name]
			switch {
			case !ok:
				fail("%s %s/%s is neither rendered nor declared", kind, p.ns, name)
			case key != "" && !keys[key]:
				fail("%s %s/%s has no key %q", kind, p.ns, name, key)
			}
		}
		if sa := p.spec.ServiceAccountName; sa != "" && sa != "default" && !accounts[p.ns+"/"+sa] {
			fail("ServiceAccount %s/%s is not rendered", p.ns, sa)
		}
		for _, v := range p.spec.Volumes {
			switch {
			case v.Secret != nil:
				has(secrets, "Secret", v.Secret.SecretName, "")
				for _, it := range v.Secret.Items {
					has(secrets, "Secret", v.Secret.SecretName, it.Key)
				}
			case v.ConfigMap != nil:
				has(configMaps, "ConfigMap", v.ConfigMap.Name, "")
				for _, it := range v.ConfigMap.Items {
					has(configMaps, "ConfigMap", v.ConfigMap.Name, it.Key)
				}
			case v.Projected != nil:
				for _, src := range v.Projected.Sources {
					if s := src.Secret; s != nil {
						has(secrets, "Secret", s.Name, "")
						for _, it := range s.Items {
							has(secrets, "Secret", s.Name, it.Key)
						}
					}
					if c := src.ConfigMap; c != nil {
						has(configMaps, "ConfigMap", c.Name, "")
						for _, it := range c.Items {
							has(configMaps, "ConfigMap", c.Name, it.Key)
						}
					}
				}
			}
		}
		cs := append(append([]corev1.Container{}, p.spec.InitContainers...), p.spec.Containers...)
		for _, c := range cs {
			defined := map[string]bool{}
			for _, ef := range c.EnvFrom {
				if r := ef.SecretRef; r != nil {
					has(secrets, "Secret", r.Name, "")
					for k := range secrets[p.ns+"/"+r.Name] {
						defined[ef.Prefix+k] = true
					}
				}
				if r := ef.ConfigMapRef; r != nil {
					has(configMaps, "ConfigMap", r.Name, "")
					for k := range configMaps[p.ns+"/"+r.Name] {
						defined[ef.Prefix+k] = true
					}
				}
			}
			for _, e := range c.Env {
				if vf := e.ValueFrom; vf != nil {
					if r := vf.SecretKeyRef; r != nil {
						has(secrets, "Secret", r.Name, r.Key)
					}
					if r := vf.ConfigMapKeyRef; r != nil {
						has(configMaps, "ConfigMap", r.Name, r.Key)
					}
				}
				for _, ref := range envRef.FindAllStringSubmatchIndex(e.Value, -1) {
					if ref[0] > 0 && e.Value[ref[0]-1] == '$' {
						continue // $$(X) is an escaped literal
					}
					if name := e.Value[ref[2]:ref[3]]; !defined[name] {
						fail("container %s: env %s uses $(%s), which is not defined before it", c.Name, e.Name, name)
					}
				}
				defined[e.Name] = true
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// refCases are the renders the checker runs on: every chart with its
// defaults and every profile, the umbrella with both topologies (and the
// optional services on), tier namespaces and existing Secrets.
func refCases() map[string]struct {
	opts     render.Options
	external externalSecrets
} {
	type c = struct {
		opts     render.Options
		external externalSecrets
	}
	// Installed alone, the services tier uses the other tiers' Secrets by
	// their contract names: those are declared, not rendered.
	dataTier := externalSecrets{"nova/nova-postgres-ha-auth": {"app-password"}, "nova/nova-redis-sentinel-auth": {"password"}}
	cases := map[string]c{}
	for _, chart := range render.Charts {
		for _, profile := range append([]string{""}, render.Profiles...) {
			var ext externalSecrets
			if chart == "nova-services" {
				ext = dataTier
			}
			cases[chart+"/"+profile] = c{render.Options{Chart: chart, Profile: profile}, ext}
			if chart == "nova" {
				cases[chart+"/"+profile+"/consolidated"] = c{render.Options{Chart: chart, Profile: profile,
					Files: []string{"values/topology-consolidated.yaml"},
					Set:   map[string]string{"nova-services.services.streaming-service.enabled": "true"}}, nil}
			}
		}
	}
	cases["nova/api-gateway and credentials as values"] = c{render.Options{Chart: "nova", Profile: "local", Set: map[string]string{
		"nova-services.services.api-gateway.enabled":          "true",
		"nova-services.services.api-gateway.image.repository": "example/api-gateway",
		"nova-services.services.api-gateway.image.tag":        "1.25",
		"nova-services.external.clickhouse.password":          "x",
		"nova-services.rtc.turn.password":                     "x",
		"nova-services.apns.enabled":                          "true",
		"nova-services.apns.bundleId":                         "app.nova",
		"nova-services.apns.certificate":                      "Y2VydA==",
		"nova-services.services.search-service.enabled":       "false"}}, nil}
	// GitOps: no credential is rendered; the hook Jobs declare every one.
	for _, profile := range render.Profiles {
		cases["nova/"+profile+"/gitops"] = c{render.Options{Chart: "nova", Profile: profile, Files: []string{"values/gitops.yaml"}}, nil}
	}
	cases["nova/gitops tier namespaces consolidated"] = c{render.Options{Chart: "nova", Profile: "production",
		Files: []string{"values/topology-consolidated.yaml", "values/gitops.yaml"}, Set: map[string]string{"global.tierNamespaces.enabled": "true"}}, nil}
	cases["nova/tier namespaces"] = c{render.Options{Chart: "nova", Profile: "production",
		Set: map[string]string{"global.tierNamespaces.enabled": "true"}}, nil}
	cases["nova/tier namespaces consolidated"] = c{render.Options{Chart: "nova", Profile: "staging",
		Files: []string{"values/topology-consolidated.yaml"}, Set: map[string]string{"global.tierNamespaces.enabled": "true"}}, nil}
	cases["nova/existing secrets"] = c{render.Options{Chart: "nova", Profile: "production", Set: map[string]string{
		"global.postgres.existingSecret":        "pg-creds",
		"global.redis.existingSecret":           "redis-creds",
		"global.redis.existingSecretKey":        "redis-password",
		"nova-services.jwt.existingSecret":      "jwt-creds",
		"nova-services.rtc.turn.existingSecret": "turn-creds",
		"nova-services.rtc.turn.urls":           "turn:turn.example.com:3478",
		"nova-services.apns.enabled":            "true",
		"nova-services.apns.bundleId":           "app.nova",
		"nova-services.apns.existingSecret":     "apns-creds"}},
		externalSecrets{
			"nova/pg-creds":    {"superuser-password", "replication-password", "app-password", "rest-password"},
			"nova/redis-creds": {"redis-password"},
			"nova/jwt-creds":   {"private.pem", "public.pem", "jwt-secret"},
			"nova/turn-creds":  {"turn-password"},
			"nova/apns-creds":  {"apns-certificate", "apns-passphrase"},
		}}
	return cases
}

func TestEverySecretAndConfigMapReferenceResolves(t *testing.T) {
	cases := refCases()
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			m := render.Render(t, c.opts)
			if len(podSpecs(m)) == 0 {
				t.Fatal("no pods rendered: nothing was checked")
			}
			external := externalSecrets{}
			for _, src := range []externalSecrets{c.external, declaredSecrets(m, "nova"), declaredSecrets(m, "nova-services")} {
				for k, v := range src {
					external[k] = append(external[k], v...)
				}
			}
			for _, p := range unresolvedRefs(m, external) {
				t.Error(p)
			}
		})
	}
}

// The checker itself must be able to fail: a wrong key, an undeclared
// Secret, a missing ConfigMap and a $(VAR) used before its definition.
func TestReferenceCheckerCatchesDrift(t *testing.T) {
	doc := `apiVersion: v1
kind: Secret
metadata: {name: s, namespace: nova}
data: {a: eA==}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: nova}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      serviceAccountName: missing-account
      containers:
        - name: c
          image: x:1
          env:
            - {name: URL, value: "x://$(PASSWORD)@h"}
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: s, key: b}}
            - name: OTHER
              valueFrom: {secretKeyRef: {name: elsewhere, key: a}}
            - {name: ESCAPED, value: "$$(NOT_A_REF)"}
          envFrom:
            - configMapRef: {name: absent}
`
	m, err := render.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(unresolvedRefs(m, nil), "\n")
	for _, want := range []string{`Secret nova/s has no key "b"`, "Secret nova/elsewhere is neither rendered nor declared",
		"ConfigMap nova/absent is neither rendered nor declared", "env URL uses $(PASSWORD), which is not defined before it",
		"ServiceAccount nova/missing-account is not rendered"} {
		if !strings.Contains(got, want) {
			t.Errorf("checker missed %q; it reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, "NOT_A_REF") {
		t.Errorf("an escaped $$(...) was taken for a reference:\n%s", got)
	}
	if n := len(unresolvedRefs(m, externalSecrets{"nova/elsewhere": {"a"}})); n != 4 {
		t.Errorf("a declared existing Secret should resolve: %d problems left, want 4", n)
	}

	// On a real render: the tiers pointed at a database Secret that nobody
	// renders or declares.
	m = render.Render(t, render.Options{Chart: "nova", Set: map[string]string{"global.postgres.existingSecret": "typo-creds"}})
	if got := strings.Join(unresolvedRefs(m, nil), "\n"); !strings.Contains(got, "Secret nova/typo-creds is neither rendered nor declared") {
		t.Errorf("a DSN password from an unknown Secret went unnoticed:\n%s", got)
	}
}
