package status

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nova-platform/nova/installer/resp"

	"github.com/nova-platform/nova/installer/facts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Dialer opens a TCP connection to a port of a pod (PortForwardDialer through
// the API server; tests dial local servers). Like net.Dialer.DialContext, ctx
// bounds the dial only, not the connection.
type Dialer func(ctx context.Context, namespace, pod string, port int) (net.Conn, error)

// sentinelTimeout bounds one Sentinel: the dial and both commands.
var sentinelTimeout = 5 * time.Second

// Sentinel names the Redis master as the release's Sentinels see it: a pod
// name, or the address they report when no pod of the release has it.
type Sentinel interface {
	Master(ctx context.Context, release string, namespaces []string) (string, error)
}

// DialSentinels is the Sentinel of the release's Redis pods, reached with
// Dial (SentinelMaster).
type DialSentinels struct {
	Client kubernetes.Interface
	Dial   Dialer
}

// Master implements Sentinel.
func (s DialSentinels) Master(ctx context.Context, release string, namespaces []string) (string, error) {
	return SentinelMaster(ctx, s.Client, s.Dial, release, namespaces)
}

// RedisMaster is the Redis master's pod: the Running pod, not being deleted, that the chart's
// role-label sidecar labelled role=master, as kubectl get pods -l shows it.
// A Sentinel, when given, cross-checks it; check says what the Sentinel saw
// when it differs or could not be asked (empty when it agrees). Without one
// labelled pod (the sidecar off, two labels in a failover) the Sentinel's
// answer is the master.
func RedisMaster(ctx context.Context, c kubernetes.Interface, s Sentinel, release string, namespaces []string) (master, check string, err error) {
	var labelled []string
	for _, ns := range namespaces {
		list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: facts.RedisMaster(release)})
		if err != nil {
			return "", "", fmt.Errorf("list Redis pods in %s: %w", ns, err)
		}
		for _, p := range list.Items {
			// A pod being deleted is handing over (the preStop switchover).
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				labelled = append(labelled, p.Name)
			}
		}
	}
	sort.Strings(labelled)
	label := fmt.Sprintf("%s=%s", facts.LabelRole, facts.RoleMaster)
	if s == nil {
		switch len(labelled) {
		case 1:
			return labelled[0], "", nil
		case 0:
			return "", "", fmt.Errorf("no running Redis pod is labelled %s", label)
		default:
			return "", "", fmt.Errorf("pods %s are all labelled %s", strings.Join(labelled, ", "), label)
		}
	}
	fromSentinel, sentinelErr := s.Master(ctx, release, namespaces)
	switch {
	case len(labelled) == 1 && sentinelErr != nil:
		return labelled[0], "not cross-checked: " + sentinelErr.Error(), nil
	case len(labelled) == 1 && fromSentinel != labelled[0]:
		return labelled[0], fmt.Sprintf("the Sentinels name %s: a failover is under way", fromSentinel), nil
	case len(labelled) == 1:
		return labelled[0], "", nil
	case sentinelErr != nil:
		return "", "", sentinelErr
	case len(labelled) == 0:
		return fromSentinel, fmt.Sprintf("from the Sentinels; no pod is labelled %s", label), nil
	default:
		return fromSentinel, fmt.Sprintf("from the Sentinels; pods %s are all labelled %s", strings.Join(labelled, ", "), label), nil
	}
}

// SentinelMaster asks the release's Sentinels for the current Redis master
// and returns the master's pod name (the address Sentinel reports when no pod
// of the release has it). The Running Redis pods in namespaces are tried in
// name order until one Sentinel answers; each is reached with dial on its
// sentinel container's port and authenticated with the password of the
// Secret mounted where the container reads it.
func SentinelMaster(ctx context.Context, c kubernetes.Interface, dial Dialer, release string, namespaces []string) (string, error) {
	var pods, running []corev1.Pod
	for _, ns := range namespaces {
		list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: facts.ChartComponent(release, facts.ChartRedis, facts.ComponentRedis)})
		if err != nil {
			return "", fmt.Errorf("list Redis pods in %s: %w", ns, err)
		}
		pods = append(pods, list.Items...)
	}
	sort.Slice(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.Name < b.Name
	})
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning {
			running = append(running, p)
		}
	}
	if len(running) == 0 {
		return "", errors.New("no running Redis pods")
	}
	secrets := map[string]*corev1.Secret{}
	var failures []podFailure
	for i := range running {
		pod := &running[i]
		host, port, err := askSentinel(ctx, c, dial, pod, secrets)
		if err == nil {
			if name := podWithAddress(host, pods); name != "" {
				return name, nil
			}
			return net.JoinHostPort(host, port), nil
		}
		if ctx.Err() != nil {
			failures = append(failures, podFailure{pod.Name, ctx.Err().Error()})
			break
		}
		failures = append(failures, podFailure{pod.Name, err.Error()})
	}
	return "", sentinelError(failures, len(running))
}

type podFailure struct{ pod, reason string }

// sentinelError names each Sentinel that failed, pods with the same reason
// together: "sentinel on pods a, b: reason; sentinel on pod c: other reason",
// or "sentinel on all 3 pods: reason" when every running pod failed alike.
func sentinelError(failures []podFailure, running int) error {
	var reasons []string
	byReason := map[string][]string{}
	for _, f := range failures {
		if byReason[f.reason] == nil {
			reasons = append(reasons, f.reason)
		}
		byReason[f.reason] = append(byReason[f.reason], f.pod)
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		pods := byReason[r]
		switch {
		case len(pods) == 1:
			parts[i] = fmt.Sprintf("sentinel on pod %s: %s", pods[0], r)
		case len(pods) == running:
			parts[i] = fmt.Sprintf("sentinel on all %d pods: %s", running, r)
		default:
			parts[i] = fmt.Sprintf("sentinel on pods %s: %s", strings.Join(pods, ", "), r)
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// askSentinel reads the master's host and port from the pod's Sentinel.
func askSentinel(ctx context.Context, c kubernetes.Interface, dial Dialer, pod *corev1.Pod, secrets map[string]*corev1.Secret) (host, port string, err error) {
	sentinelPort, password, err := sentinelAccess(ctx, c, pod, secrets)
	if err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, sentinelTimeout)
	defer cancel()
	conn, err := dial(ctx, pod.Namespace, pod.Name, sentinelPort)
	if err != nil {
		return "", "", fmt.Errorf("connect to port %d: %w", sentinelPort, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return "", "", err
	}
	// A cancelled ctx ends a blocked read or write now.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	rc := resp.NewConn(conn)
	if password != "" {
		if _, err := rc.Do("AUTH", password); err != nil {
			return "", "", fmt.Errorf("AUTH: %w", err)
		}
	}
	reply, err := rc.Do("SENTINEL", "MASTERS")
	if err != nil {
		return "", "", fmt.Errorf("SENTINEL MASTERS: %w", err)
	}
	return masterAddress(reply)
}

// masterAddress is the ip and port of the one master in a SENTINEL MASTERS
// reply: a list of masters, each a flat list of field names and values.
func masterAddress(reply any) (host, port string, err error) {
	masters, ok := reply.([]any)
	if !ok {
		return "", "", fmt.Errorf("SENTINEL MASTERS: unexpected reply %T", reply)
	}
	if len(masters) != 1 {
		return "", "", fmt.Errorf("SENTINEL MASTERS: %d masters monitored, want 1", len(masters))
	}
	fields := map[string]string{}
	list, _ := masters[0].([]any)
	for i := 0; i+1 < len(list); i += 2 {
		k, _ := list[i].(string)
		fields[k] = fmt.Sprint(list[i+1])
	}
	host, port = fields["ip"], fields["port"]
	if host == "" || port == "" {
		return "", "", errors.New("SENTINEL MASTERS: the master has no ip and port")
	}
	// A master this Sentinel sees down is not the current master: it is
	// being replaced (o_down) or this Sentinel is cut off from it (s_down).
	for _, flag := range strings.Split(fields["flags"], ",") {
		if flag == "s_down" || flag == "o_down" {
			return "", "", fmt.Errorf("master %s is down (flags %s)", net.JoinHostPort(host, port), fields["flags"])
		}
	}
	return host, port, nil
}

// podWithAddress is the pod Sentinel means by host: the pod with that IP, or,
// for a host name (announce-hostnames: <pod>.<headless service>.<namespace>.svc...),
// the pod named by its first label (in the namespace of its third, if any).
func podWithAddress(host string, pods []corev1.Pod) string {
	for _, p := range pods {
		if p.Status.PodIP == host {
			return p.Name
		}
		for _, ip := range p.Status.PodIPs {
			if ip.IP == host {
				return p.Name
			}
		}
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	for _, p := range pods {
		if labels[0] == p.Name && (len(labels) < 3 || labels[2] == p.Namespace) {
			return p.Name
		}
	}
	return ""
}

// sentinelAccess is the sentinel container's port and the password it
// requires: the content of the file REDIS_PASSWORD_FILE names (the chart sets
// it on every container), read from the Secret volume mounted there. secrets
// caches the Secrets read.
func sentinelAccess(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, secrets map[string]*corev1.Secret) (int, string, error) {
	var container *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == facts.SentinelContainer {
			container = &pod.Spec.Containers[i]
		}
	}
	if container == nil {
		return 0, "", fmt.Errorf("no container %q", facts.SentinelContainer)
	}
	port := 0
	for _, p := range container.Ports {
		if p.Name == facts.SentinelPort {
			port = int(p.ContainerPort)
		}
	}
	if port == 0 {
		return 0, "", fmt.Errorf("container %s has no port named %q", facts.SentinelContainer, facts.SentinelPort)
	}
	file := ""
	for _, e := range container.Env {
		if e.Name == "REDIS_PASSWORD_FILE" && e.Value != "" {
			file = path.Clean(e.Value)
		}
	}
	if file == "" {
		return 0, "", fmt.Errorf("container %s has no REDIS_PASSWORD_FILE", facts.SentinelContainer)
	}
	secretName, key, err := secretKeyOfFile(pod, container, file)
	if err != nil {
		return 0, "", err
	}
	id := pod.Namespace + "/" + secretName
	secret := secrets[id]
	if secret == nil {
		if secret, err = c.CoreV1().Secrets(pod.Namespace).Get(ctx, secretName, metav1.GetOptions{}); err != nil {
			return 0, "", fmt.Errorf("read the password: %w", err)
		}
		secrets[id] = secret
	}
	data, ok := secret.Data[key]
	if !ok {
		return 0, "", fmt.Errorf("Secret %s has no key %q", id, key)
	}
	// The scripts read it with $(cat file), which drops trailing newlines.
	return port, strings.TrimRight(string(data), "\n"), nil
}

// secretKeyOfFile is the Secret and key that provide file in the container:
// the volume mounted deepest above file (or at file, with a subPath), a
// Secret volume, whose items map keys to paths (no items: the path is the key).
func secretKeyOfFile(pod *corev1.Pod, container *corev1.Container, file string) (secret, key string, err error) {
	var mount *corev1.VolumeMount
	rel := ""
	for i := range container.VolumeMounts {
		m := &container.VolumeMounts[i]
		dir := path.Clean(m.MountPath)
		switch {
		case file == dir && m.SubPath != "":
			mount, rel = m, m.SubPath
		case strings.HasPrefix(file, strings.TrimSuffix(dir, "/")+"/") && (mount == nil || len(dir) > len(path.Clean(mount.MountPath))):
			mount, rel = m, path.Join(m.SubPath, strings.TrimPrefix(file, strings.TrimSuffix(dir, "/")+"/"))
		}
	}
	if mount == nil {
		return "", "", fmt.Errorf("no volume mounted at the password file %s", file)
	}
	for _, v := range pod.Spec.Volumes {
		if v.Name != mount.Name {
			continue
		}
		if v.Secret == nil {
			return "", "", fmt.Errorf("volume %s (password file %s) is not a Secret volume", v.Name, file)
		}
		if len(v.Secret.Items) == 0 {
			return v.Secret.SecretName, rel, nil
		}
		for _, item := range v.Secret.Items {
			if path.Clean(item.Path) == rel {
				return v.Secret.SecretName, item.Key, nil
			}
		}
		return "", "", fmt.Errorf("Secret volume %s has no item for %s (password file %s)", v.Name, rel, file)
	}
	return "", "", fmt.Errorf("no volume %s (password file %s)", mount.Name, file)
}

// redisMasterOrReason is RedisMaster for the report: the pod name and the
// cross-check's remark, or "unknown (<why>)".
func redisMasterOrReason(ctx context.Context, c kubernetes.Interface, s Sentinel, release string, namespaces []string) (string, string) {
	master, check, err := RedisMaster(ctx, c, s, release, namespaces)
	if err != nil {
		return "unknown (" + err.Error() + ")", ""
	}
	return master, check
}
