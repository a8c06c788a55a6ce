package logs

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func pod(name, component string, containers ...string) *corev1.Pod {
	return podIn("nova", name, component, containers...)
}

func podIn(ns, name, component string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
		"app.kubernetes.io/instance": "nova", "app.kubernetes.io/component": component}}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
	}
	return p
}

func TestLogsArePrefixedByPodAndContainer(t *testing.T) {
	c := fake.NewSimpleClientset(pod("nova-redis-sentinel-redis-1", "redis", "redis", "sentinel"),
		pod("nova-redis-sentinel-redis-0", "redis", "redis", "sentinel"), pod("user-service-abc", "user-service", "user-service"))
	var out bytes.Buffer
	require.NoError(t, Stream(context.Background(), c, Options{Release: "nova", Namespaces: []string{"nova"}, Component: "sentinel", Tail: -1}, &out))
	// The fake API answers every log request with "fake logs".
	assert.Equal(t, "[nova-redis-sentinel-redis-0/sentinel] fake logs\n[nova-redis-sentinel-redis-1/sentinel] fake logs\n", out.String())

	out.Reset()
	require.NoError(t, Stream(context.Background(), c, Options{Release: "nova", Namespaces: []string{"nova"}, Component: "redis", Tail: 10}, &out))
	assert.Contains(t, out.String(), "[nova-redis-sentinel-redis-0/redis] fake logs\n[nova-redis-sentinel-redis-0/sentinel] fake logs\n")

	err := Stream(context.Background(), c, Options{Release: "nova", Namespaces: []string{"nova"}, Component: "users"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no pods of "users" in release "nova"`)
}

// Two releases named nova, in namespaces a and b: the logs of a are a's only.
func TestLogsOfTheReleaseNamespacesOnly(t *testing.T) {
	c := fake.NewSimpleClientset(podIn("a", "user-service-a", "user-service", "user-service"),
		podIn("a-services", "user-service-a2", "user-service", "user-service"),
		podIn("b", "user-service-b", "user-service", "user-service"))
	var out bytes.Buffer
	require.NoError(t, Stream(context.Background(), c, Options{Release: "nova", Namespaces: []string{"a", "a-services"}, Component: "user-service", Tail: -1}, &out))
	assert.Equal(t, "[user-service-a/user-service] fake logs\n[user-service-a2/user-service] fake logs\n", out.String())

	err := Stream(context.Background(), c, Options{Release: "nova", Namespaces: []string{"c"}, Component: "user-service"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no pods of "user-service" in release "nova" in namespaces c`)
}
