package data

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
)

// seed creates, in namespace ns, what release leaves: a PVC, a kept
// credential Secret and a Secret helm deletes with the release.
func seed(t *testing.T, c kubernetes.Interface, ns, release string) {
	ctx := context.Background()
	instance := map[string]string{"app.kubernetes.io/instance": release}
	labels := map[string]string{"app.kubernetes.io/instance": release, "app.kubernetes.io/part-of": "nova"}
	_, err := c.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{
		Name: "data-" + release + "-redis-0", Namespace: ns, Labels: instance}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: release + "-redis-auth", Namespace: ns, Labels: labels, Annotations: map[string]string{"helm.sh/resource-policy": "keep"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: release + "-tls", Namespace: ns, Labels: labels}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// Find lists the release's PVCs and kept Secrets in its namespaces only:
// not another namespace's release of the same name, not another release,
// not a Secret helm deletes itself.
func TestFindListsTheReleaseDataInItsNamespacesOnly(t *testing.T) {
	c := k8sfake.NewSimpleClientset()
	seed(t, c, "a", "nova")
	seed(t, c, "a-database", "nova")
	seed(t, c, "b", "nova")
	seed(t, c, "a", "other")
	found, err := Find(context.Background(), c, "nova", []string{"a", "a-database"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []Object{
		{PVC, "a", "data-nova-redis-0"}, {Secret, "a", "nova-redis-auth"},
		{PVC, "a-database", "data-nova-redis-0"}, {Secret, "a-database", "nova-redis-auth"},
	}, found)
}

// Delete removes exactly the object it names.
func TestDeleteRemovesTheObject(t *testing.T) {
	c := k8sfake.NewSimpleClientset()
	seed(t, c, "a", "nova")
	ctx := context.Background()
	require.NoError(t, Object{PVC, "a", "data-nova-redis-0"}.Delete(ctx, c))
	require.NoError(t, Object{Secret, "a", "nova-redis-auth"}.Delete(ctx, c))
	pvcs, err := c.CoreV1().PersistentVolumeClaims("a").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, pvcs.Items)
	secrets, err := c.CoreV1().Secrets("a").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, secrets.Items, 1)
	assert.Equal(t, "nova-tls", secrets.Items[0].Name)
}
