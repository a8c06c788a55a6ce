package failover

// Render to disk, shared by the Redis and PostgreSQL grounds: what the
// kubelet does with a rendered pod before its processes start. ConfigMap
// volumes become files with the volume's mode, a container's env is built
// from the pod's identity and the rendered Secrets, and the harness looks
// up the rendered ports, env and grace period instead of typing them again.

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func writeFiles(t *testing.T, dir string, files map[string]string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

func containerPort(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	t.Fatalf("container %s has no port %q", c.Name, name)
	return ""
}

func envValue(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value
		}
	}
	t.Fatalf("container %s has no literal env %s", c.Name, name)
	return ""
}

// secretValue is one key of one of the rendered Secrets.
func secretValue(t testing.TB, secrets map[string]*corev1.Secret, ref *corev1.SecretKeySelector) string {
	t.Helper()
	s, ok := secrets[ref.Name]
	if !ok {
		t.Fatalf("env refers to Secret %s, which the render lacks", ref.Name)
	}
	v, ok := s.Data[ref.Key]
	if !ok {
		v2, ok2 := s.StringData[ref.Key]
		if !ok2 {
			t.Fatalf("Secret %s has no key %s", ref.Name, ref.Key)
		}
		return v2
	}
	return string(v)
}

// pod is what the kubelet knows of a pod and a container's env may refer to.
type pod struct{ name, ip string }

// kubeletEnv is a container's rendered env as the kubelet builds it:
// fieldRefs from the pod, secretKeyRefs from the given Secrets, $(VAR)
// references to earlier variables expanded.
func kubeletEnv(t testing.TB, ctr corev1.Container, p pod, ns string, secrets map[string]*corev1.Secret) []string {
	t.Helper()
	vars := map[string]string{}
	var env []string
	for _, e := range ctr.Env {
		v := e.Value
		switch {
		case e.ValueFrom == nil:
			v = expandVars(v, vars)
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = p.name
			case "metadata.namespace":
				v = ns
			case "status.podIP":
				v = p.ip
			default:
				t.Fatalf("env %s: field %s is not known to the harness", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		case e.ValueFrom.SecretKeyRef != nil:
			v = secretValue(t, secrets, e.ValueFrom.SecretKeyRef)
		default:
			t.Fatalf("env %s: source %+v is not known to the harness", e.Name, e.ValueFrom)
		}
		vars[e.Name] = v
		env = append(env, e.Name+"="+v)
	}
	return env
}

// expandVars expands $(NAME) as Kubernetes does: defined names only, $$ escapes.
func expandVars(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := vars[name]; ok {
					b.WriteString(v)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// withHost replaces the host of a rendered host:port (0.0.0.0, *) by host.
func withHost(hostPort, host string) string {
	_, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return hostPort
	}
	return net.JoinHostPort(host, port)
}

// writeConfigMaps writes every ConfigMap of a render to root/<name>, with
// the mode of a configMap volume's default (0644), and returns ConfigMap
// name -> directory.
func writeConfigMaps(t *testing.T, cms []*corev1.ConfigMap, root string) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	for _, cm := range cms {
		dirs[cm.Name] = filepath.Join(root, cm.Name)
		writeFiles(t, dirs[cm.Name], cm.Data, 0o644)
	}
	return dirs
}

// mountDirs maps each mount path of a container's ConfigMap volumes to the
// directory the test wrote that ConfigMap to (dirs: ConfigMap name -> dir).
func mountDirs(spec corev1.PodSpec, ctr corev1.Container, dirs map[string]string) map[string]string {
	byVolume := map[string]string{}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil && dirs[v.ConfigMap.Name] != "" {
			byVolume[v.Name] = dirs[v.ConfigMap.Name]
		}
	}
	out := map[string]string{}
	for _, m := range ctr.VolumeMounts {
		if d := byVolume[m.Name]; d != "" {
			out[m.MountPath] = d
		}
	}
	return out
}

// onHost is a rendered command as it runs on this host: paths under a
// mounted directory point to where the test wrote it, and the container's
// PID 1 (where hooks send their log) is the process's own stderr.
func onHost(argv []string, mounts map[string]string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		for mountPath, dir := range mounts {
			a = strings.ReplaceAll(a, mountPath+"/", dir+"/")
		}
		out[i] = strings.ReplaceAll(a, "/proc/1/fd/2", "/dev/stderr")
	}
	return out
}

// resolver stands in for the cluster DNS: the rendered names of the
// members, replaced by their loopback addresses wherever they appear.
type resolver map[string]string

func (r resolver) resolve(s string) string {
	for name, ip := range r {
		s = strings.ReplaceAll(s, name, ip)
	}
	return s
}

func (r resolver) env(env []string) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		out[i] = r.resolve(kv)
	}
	return out
}
