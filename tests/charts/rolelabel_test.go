package charts

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/nova-platform/nova/installer/facts"
	"github.com/nova-platform/nova/tests/render"
)

// checkPodLabelRBAC: the StatefulSet's pods run as a ServiceAccount whose
// only grant is get and patch on the set's own member pods, by name, in the
// release namespace; nothing cluster-wide.
func checkPodLabelRBAC(t *testing.T, m *render.Manifest, sts *appsv1.StatefulSet) {
	t.Helper()
	if n := len(render.All[*rbacv1.ClusterRole](m)) + len(render.All[*rbacv1.ClusterRoleBinding](m)); n != 0 {
		t.Errorf("%d cluster-wide RBAC objects; labelling a pod needs its namespace only", n)
	}
	spec := sts.Spec.Template.Spec
	sa := render.Get[*corev1.ServiceAccount](t, m, spec.ServiceAccountName)
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount %s mounts its token by default", sa.Name)
	}
	role := render.Get[*rbacv1.Role](t, m, sa.Name)
	var members []string
	for i := range int(*sts.Spec.Replicas) {
		members = append(members, fmt.Sprintf("%s-%d", sts.Name, i))
	}
	if len(role.Rules) != 1 {
		t.Fatalf("Role %s: %d rules, want 1", role.Name, len(role.Rules))
	}
	r := role.Rules[0]
	if fmt.Sprint(r.APIGroups) != "[]" || fmt.Sprint(r.Resources) != "[pods]" {
		t.Errorf("Role %s rule %+v: want pods in the core group only", role.Name, r)
	}
	if fmt.Sprint(r.Verbs) != "[get patch]" {
		t.Errorf("Role %s verbs %v, want [get patch]", role.Name, r.Verbs)
	}
	if fmt.Sprint(r.ResourceNames) != fmt.Sprint(members) {
		t.Errorf("Role %s names %v, want the member pods %v", role.Name, r.ResourceNames, members)
	}
	rb := render.Get[*rbacv1.RoleBinding](t, m, role.Name)
	if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != role.Name || len(rb.Subjects) != 1 ||
		rb.Subjects[0].Name != sa.Name || rb.Subjects[0].Namespace != sts.Namespace {
		t.Errorf("RoleBinding %+v does not bind Role %s to ServiceAccount %s", rb, role.Name, sa.Name)
	}
}

// tokenMounts lists the containers that can read a ServiceAccount token:
// every container when the pod automounts it, else those mounting a
// projected volume with a serviceAccountToken source.
func tokenMounts(spec corev1.PodSpec) []string {
	tokenVolumes := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				tokenVolumes[v.Name] = true
			}
		}
	}
	var out []string
	for _, c := range spec.Containers {
		auto := spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken
		if auto || slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return tokenVolumes[m.Name] }) {
			out = append(out, c.Name)
		}
	}
	return out
}

// The Redis members label themselves: a role-label sidecar, the only
// container with a token, reads its own Redis (its port, its password file)
// and patches its own pod's role label, the one status selects on.
func TestRedisRoleLabelSidecar(t *testing.T) {
	for _, profile := range []string{"local", "production"} {
		t.Run(profile, func(t *testing.T) {
			m := renderRedis(t, profile, map[string]string{"metrics.enabled": "true"})
			sts := render.Get[*appsv1.StatefulSet](t, m, redisSTS)
			spec := sts.Spec.Template.Spec
			checkPodLabelRBAC(t, m, sts)
			if got := tokenMounts(spec); fmt.Sprint(got) != "[role-label]" {
				t.Errorf("containers that can read a token: %v, want [role-label] only", got)
			}
			sidecar, redis := container(t, spec, "role-label"), container(t, spec, "redis")
			env := envOf(sidecar)
			if env["ROLE_LABEL"].Value != facts.LabelRole {
				t.Errorf("ROLE_LABEL %q; status selects on %q", env["ROLE_LABEL"].Value, facts.LabelRole)
			}
			if port := fmt.Sprint(redis.Ports[0].ContainerPort); env["REDIS_PORT"].Value != port {
				t.Errorf("REDIS_PORT %q, Redis listens on %s", env["REDIS_PORT"].Value, port)
			}
			if env["REDIS_PASSWORD_FILE"].Value != envOf(redis)["REDIS_PASSWORD_FILE"].Value {
				t.Errorf("REDIS_PASSWORD_FILE %q, Redis reads %q", env["REDIS_PASSWORD_FILE"].Value, envOf(redis)["REDIS_PASSWORD_FILE"].Value)
			}
			for _, name := range []string{"POD_NAME", "POD_NAMESPACE"} {
				if ref := env[name].ValueFrom; ref == nil || ref.FieldRef == nil {
					t.Errorf("%s does not come from the pod itself", name)
				}
			}
			mounted := map[string]string{}
			for _, vm := range sidecar.VolumeMounts {
				mounted[vm.Name] = vm.MountPath
			}
			if mounted["auth"] == "" || mounted["scripts"] == "" || mounted["api-token"] != "/var/run/secrets/kubernetes.io/serviceaccount" {
				t.Errorf("role-label mounts %v: want auth, scripts and the token where curl's defaults look", mounted)
			}
			scripts := render.Get[*corev1.ConfigMap](t, m, "nova-redis-sentinel-scripts").Data
			for _, f := range []string{"role-label.sh", "label-pod.sh"} {
				if scripts[f] == "" {
					t.Errorf("the scripts ConfigMap has no %s", f)
				}
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		m := renderRedis(t, "production", map[string]string{"roleLabel.enabled": "false"})
		spec := render.Get[*appsv1.StatefulSet](t, m, redisSTS).Spec.Template.Spec
		if got := tokenMounts(spec); len(got) != 0 || spec.ServiceAccountName != "" {
			t.Errorf("off: token readable by %v, service account %q", got, spec.ServiceAccountName)
		}
		if n := len(render.All[*rbacv1.Role](m)); n != 0 {
			t.Errorf("off: %d Roles", n)
		}
	})
}

// Both data stores ship the same label-pod.sh: the one owner is
// nova-common.podLabel.script.
func TestLabelPodScriptIsSharedByTheDataCharts(t *testing.T) {
	m := render.Render(t, render.Options{Chart: "nova", Profile: "production"})
	redis := render.Get[*corev1.ConfigMap](t, m, "nova-redis-sentinel-scripts").Data["label-pod.sh"]
	pg := render.Get[*corev1.ConfigMap](t, m, "nova-postgres-ha-scripts").Data["label-pod.sh"]
	if redis == "" || redis != pg {
		t.Errorf("label-pod.sh differs between the charts (redis %d bytes, postgres %d bytes)", len(redis), len(pg))
	}
}
