package charts

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nova-platform/nova/tests/render"
)

// workload is a Deployment or StatefulSet seen through what the tests check.
type workload struct {
	Kind     string
	Meta     metav1.ObjectMeta
	Selector *metav1.LabelSelector
	Template corev1.PodTemplateSpec
	Replicas *int32
}

func workloads(m *render.Manifest) []workload {
	var out []workload
	for _, d := range render.All[*appsv1.Deployment](m) {
		out = append(out, workload{"Deployment", d.ObjectMeta, d.Spec.Selector, d.Spec.Template, d.Spec.Replicas})
	}
	for _, s := range render.All[*appsv1.StatefulSet](m) {
		out = append(out, workload{"StatefulSet", s.ObjectMeta, s.Spec.Selector, s.Spec.Template, s.Spec.Replicas})
	}
	return out
}

// metaObjects returns the metadata of every object of a render.
func metaObjects(m *render.Manifest) []metav1.Object {
	var out []metav1.Object
	for _, o := range m.Objects {
		if mo, ok := o.(metav1.Object); ok {
			out = append(out, mo)
		}
	}
	return out
}
