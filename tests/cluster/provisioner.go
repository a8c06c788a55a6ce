package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// createLocalStorageClass makes the real node's default StorageClass.
func createLocalStorageClass(ctx context.Context, client kubernetes.Interface) error {
	immediate := storagev1.VolumeBindingImmediate
	del := corev1.PersistentVolumeReclaimDelete
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: LocalStorageClass,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: localProvisioner, ReclaimPolicy: &del, VolumeBindingMode: &immediate,
	}
	if _, err := client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create StorageClass %s: %w", LocalStorageClass, err)
	}
	return nil
}

// Provisioner gives every pending claim of LocalStorageClass a `local`
// PersistentVolume: a directory under Dir on Node, pre-bound to the claim
// (the persistentvolume controller completes the binding). A released
// volume's directory and PersistentVolume are deleted. The kubelet applies
// the pod's fsGroup to local volumes, as to cloud block volumes.
type Provisioner struct {
	Client kubernetes.Interface
	Dir    string
	Node   string
	Log    io.Writer
}

const provisionedBy = "pv.kubernetes.io/provisioned-by"

// Run provisions until ctx ends, once a second.
func (p Provisioner) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if err := p.Once(ctx); err != nil {
			fmt.Fprintln(p.Log, "provision:", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Once handles every claim and released volume once.
func (p Provisioner) Once(ctx context.Context) error {
	claims, err := p.Client.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pvc := range claims.Items {
		class := ""
		if pvc.Spec.StorageClassName != nil {
			class = *pvc.Spec.StorageClassName
		}
		if class != LocalStorageClass || pvc.Spec.VolumeName != "" || pvc.Status.Phase != corev1.ClaimPending {
			continue
		}
		if err := p.provision(ctx, pvc); err != nil {
			fmt.Fprintf(p.Log, "provision %s/%s: %v\n", pvc.Namespace, pvc.Name, err)
		}
	}
	pvs, err := p.Client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pv := range pvs.Items {
		if pv.Annotations[provisionedBy] != localProvisioner || pv.Status.Phase != corev1.VolumeReleased || pv.Spec.Local == nil {
			continue
		}
		if err := os.RemoveAll(pv.Spec.Local.Path); err != nil {
			fmt.Fprintf(p.Log, "delete %s: %v\n", pv.Spec.Local.Path, err)
			continue
		}
		if err := p.Client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			fmt.Fprintf(p.Log, "delete PersistentVolume %s: %v\n", pv.Name, err)
			continue
		}
		fmt.Fprintf(p.Log, "deleted %s and its directory\n", pv.Name)
	}
	return nil
}

func (p Provisioner) provision(ctx context.Context, pvc corev1.PersistentVolumeClaim) error {
	name := "local-" + string(pvc.UID)
	dir := filepath.Join(p.Dir, name)
	// Owned by root, 0755: the kubelet applies the pod's fsGroup.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fs := corev1.PersistentVolumeFilesystem
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{provisionedBy: localProvisioner}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              LocalStorageClass,
			VolumeMode:                    &fs,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: pvc.Namespace, Name: pvc.Name,
				UID: pvc.UID, APIVersion: "v1"},
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dir}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: HostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{p.Node}}},
			}}}},
		},
	}
	if _, err := p.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	fmt.Fprintf(p.Log, "provisioned %s for %s/%s at %s\n", name, pvc.Namespace, pvc.Name, dir)
	return nil
}
