package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bad input and failed deploys against a live cluster: a clear message, a
// non-zero exit, and nothing half-installed without a way out.
func TestFailuresAreClear(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()

	t.Run("an unknown kube-context names what was tried", func(t *testing.T) {
		r := e.installer(t, "deploy", "--profile", "local", "--kube-context", "staging-eu", "-n", "ctx", "--create-namespace")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.Contains(t, r.stderr, "staging-eu")
		assert.Contains(t, r.stderr, e.c.Kubeconfig)
		assert.Zero(t, e.releaseRecords(t, "ctx"))
	})

	t.Run("a values file the schema rejects: exit 2 and the field named", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "bad.yaml")
		require.NoError(t, os.WriteFile(file, []byte("redis-sentinel:\n  replicas: 2\n"), 0o644))
		r := e.installer(t, "deploy", "--profile", "local", "-f", file, "-n", "schema", "--create-namespace")
		assert.Equal(t, 2, r.code, "%s", r)
		assert.Contains(t, r.stderr, "replicas")
		assert.Zero(t, e.releaseRecords(t, "schema"))
		_, err := e.client.CoreV1().Namespaces().Get(ctx, "schema", metav1.GetOptions{})
		assert.Error(t, err, "not even the namespace was created")
	})

	t.Run("a namespace without permission: preflight says what is denied", func(t *testing.T) {
		kubeconfig := limitedKubeconfig(t, e, "limited")
		r := e.run(t, installerBin, "--kubeconfig", kubeconfig, "deploy", "--profile", "local", "-n", "limited")
		assert.Equal(t, 1, r.code, "%s", r)
		out := r.stdout + r.stderr
		assert.Contains(t, out, "permissions")
		assert.Contains(t, out, "denied: create")
		assert.Contains(t, out, "statefulsets in limited")
		assert.Zero(t, e.releaseRecords(t, "limited"))
		sts, err := e.client.AppsV1().StatefulSets("limited").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		assert.Empty(t, sts.Items, "nothing half-installed")
	})

	t.Run("an unschedulable pod: timeout with the scheduler's reason and a way out", func(t *testing.T) {
		r := e.installer(t, "deploy", "--profile", "local", "-n", "unschedulable", "--create-namespace",
			"--timeout", "20s", "--set", "nova-services.nodeSelector.disktype=nvme")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.Contains(t, r.stderr, "Unschedulable")
		assert.Contains(t, r.stderr, "didn't match Pod's node affinity/selector")
		assert.Contains(t, r.stderr, "nova-installer rollback")
		assert.Contains(t, r.stderr, "nova-installer cleanup")
		e.mustSucceed(t, e.installer(t, "cleanup", "-n", "unschedulable", "--delete-data", "--yes"))
	})

	t.Run("a pod Pod Security rejects is reported, not waited on in silence", func(t *testing.T) {
		r := e.installer(t, "deploy", "--profile", "local", "-n", "rootpods", "--create-namespace",
			"--timeout", "20s", "--set", "nova-services.podSecurityContext.runAsUser=0")
		assert.Equal(t, 1, r.code, "%s", r)
		assert.Contains(t, r.stderr, "FailedCreate")
		assert.Contains(t, r.stderr, `violates PodSecurity "restricted:latest"`)
		assert.Contains(t, r.stderr, "runAsUser=0")
		e.mustSucceed(t, e.installer(t, "cleanup", "-n", "rootpods", "--delete-data", "--yes"))
	})
}

// limitedKubeconfig is a kubeconfig for a ServiceAccount that may read nodes,
// StorageClasses and its namespace's Secrets (helm's release records) but
// create nothing.
func limitedKubeconfig(t *testing.T, e *env, ns string) string {
	t.Helper()
	ctx := context.Background()
	_, err := e.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	sa, err := e.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: ns}}
	_, err = e.client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "nova-e2e-viewer"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: []string{"get", "list"}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = e.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "nova-e2e-viewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "nova-e2e-viewer"},
		Subjects:   subject,
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = e.client.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets", "pods"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = e.client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "viewer"},
		Subjects:   subject,
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	token, err := e.client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, e.c.WriteTokenKubeconfig(path, token.Status.Token, ns))
	return path
}
