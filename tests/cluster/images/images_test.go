package images

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/nova-platform/nova/tests/contract"
)

func testsModule(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// files lists the entries of an image's flattened filesystem with their modes.
func files(t *testing.T, path, ref string) map[string]*tar.Header {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("%s does not hold %s: %v", path, ref, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out["/"+strings.TrimSuffix(h.Name, "/")] = h
	}
}

// The Nova images as the stand-in plays them: the binary at the program's
// CMD, user appuser by name (with an /etc/passwd that says 1001), the env
// the real image bakes in; built once, then taken from the cache.
func TestStandInImages(t *testing.T) {
	c, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := GoBinary(testsModule(t), "./standin/cmd/nova-standin", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	imgs := StandIns(bin, c)
	if len(imgs) != len(c.Programs) {
		t.Fatalf("%d images for %d programs", len(imgs), len(c.Programs))
	}
	for _, img := range imgs {
		if img.Ref == "" || !strings.HasPrefix(img.Ref, Registry+"/proerror77/nova/") || !strings.HasSuffix(img.Ref, ":"+c.Build) {
			t.Errorf("image ref %q", img.Ref)
		}
		path, err := Build(img, cache)
		if err != nil {
			t.Fatal(err)
		}
		fs := files(t, path, img.Ref)
		cmd := img.Cmd[0]
		if h := fs[cmd]; h == nil || h.Mode&0o111 == 0 || h.Size == 0 {
			t.Errorf("%s: %s missing or not executable: %+v", img.Ref, cmd, h)
		}
		if h := fs["/tmp"]; h == nil || h.Mode&0o1777 != 0o1777 {
			t.Errorf("%s: /tmp %+v, want 1777", img.Ref, h)
		}
		if img.User != "appuser" || img.Env["PATH"] == "" {
			t.Errorf("%s: user %q, env %v", img.Ref, img.User, img.Env)
		}
		// The config as containerd will read it.
		tag, _ := name.NewTag(img.Ref)
		i, err := tarball.ImageFromPath(path, &tag)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := i.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(cfg.Config.Cmd, " ") != cmd || cfg.Config.User != "appuser" || cfg.OS != "linux" {
			t.Errorf("%s: config %+v", img.Ref, cfg.Config)
		}
		st, _ := os.Stat(path)
		again, err := Build(img, cache)
		if st2, _ := os.Stat(again); err != nil || again != path || !st2.ModTime().Equal(st.ModTime()) {
			t.Errorf("%s: a second build was not taken from the cache: %v", img.Ref, err)
		}
	}
	byProgram := map[string]Image{}
	for _, img := range imgs {
		byProgram[filepath.Base(img.Cmd[0])] = img
	}
	if env := byProgram["messaging-service"].Env; env["PORT"] != "3000" || env["APP_ENV"] != "production" {
		t.Errorf("messaging-service image env %v", env)
	}
	if env := byProgram["search-service"].Env; env["PORT"] != "8081" {
		t.Errorf("search-service image env %v", env)
	}
	// A changed layer is a new cache entry.
	changed := imgs[0]
	changed.Env = map[string]string{"X": "1"}
	if a, _ := Build(imgs[0], cache); a == func() string { p, _ := Build(changed, cache); return p }() {
		t.Error("a changed config reused the cache entry")
	}
}

// The sandbox image: the pause program, which exits on SIGTERM at once.
func TestPauseImage(t *testing.T) {
	bin, err := GoBinary(testsModule(t), "./cluster/images/pause", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img := Pause(bin)
	path, err := Build(img, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if h := files(t, path, img.Ref)["/pause"]; h == nil || h.Mode&0o111 == 0 {
		t.Errorf("/pause in the image: %+v", h)
	}
	// It reaps its children (as PID 1 of a pod that shares its process
	// namespace it must) and stops on SIGTERM.
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGCHLD)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("pause on SIGTERM: %v", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Error("pause did not stop on SIGTERM")
	}
}

// A Debian root filesystem from apt, as the Redis image of the real node
// uses it: Debian 12's redis-server is the 7.0 the charts target, and it
// runs from the image's files.
func TestDebianRootfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mmdebstrap and chroot need root")
	}
	layer := Debian{Suite: "bookworm", Packages: []string{"redis-server", "redis-sentinel", "redis-tools"}, CacheDir: CacheDir()}
	start := time.Now()
	img := Image{Ref: Registry + "/redis:7.0-bookworm", Layers: []Layer{layer}, Cmd: []string{"redis-server"}}
	path, err := Build(img, filepath.Join(CacheDir(), "test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %.1f s", img.Ref, time.Since(start).Seconds())
	fs := files(t, path, img.Ref)
	for _, f := range []string{"/usr/bin/redis-server", "/usr/bin/redis-cli", "/usr/bin/redis-sentinel", "/usr/bin/sh", "/usr/bin/timeout"} {
		if fs[f] == nil {
			t.Errorf("%s is not in the image", f)
		}
	}
	if fs["/usr/share/doc/redis-server"] != nil {
		t.Error("docs were kept")
	}
	// The image's own redis-server runs (chroot into the unpacked rootfs).
	root := t.TempDir()
	rootfs, err := layer.Path()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xf", rootfs, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v\n%s", err, out)
	}
	out, err := exec.Command("chroot", root, "/usr/bin/redis-server", "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v=7.0.") {
		t.Errorf("redis-server --version in the image: %v\n%s", err, out)
	}
	// The second build is the cached file.
	start = time.Now()
	if again, err := Build(img, filepath.Join(CacheDir(), "test")); err != nil || again != path || time.Since(start) > 5*time.Second {
		t.Errorf("second build: %s, %v, %.1f s", again, err, time.Since(start).Seconds())
	}
}

// The data-tier images of the real node, from Debian packages: each holds
// the programs the charts run, and they start from the image's own files.
func TestDataTierImages(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mmdebstrap and chroot need root")
	}
	etcd, err := GoBinary(filepath.Join(testsModule(t), "cluster", "tools"), "./cmd/etcd", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tier := DataTierImages(CacheDir(), etcd)
	checks := map[string]struct {
		files []string
		run   []string
		want  string
	}{
		tier.Redis.Ref:    {[]string{"/usr/bin/redis-server", "/usr/bin/redis-sentinel", "/usr/bin/redis-cli"}, []string{"/usr/bin/redis-cli", "--version"}, "redis-cli 7.0."},
		tier.HAProxy.Ref:  {[]string{"/usr/sbin/haproxy"}, []string{"/usr/sbin/haproxy", "-v"}, "HAProxy version 2.6."},
		tier.Postgres.Ref: {[]string{"/usr/bin/patroni", "/usr/lib/postgresql/15/bin/postgres", "/usr/bin/psql", "/usr/bin/curl", "/usr/bin/openssl", "/usr/bin/base64"}, []string{"/usr/bin/patroni", "--version"}, "patroni 3."},
		tier.Curl.Ref:     {[]string{"/usr/bin/curl", "/usr/local/bin/nc", "/usr/bin/busybox", "/usr/bin/sh", "/usr/bin/awk"}, []string{"/usr/bin/curl", "--version"}, "curl 7.88"},
		tier.Busybox.Ref:  {[]string{"/usr/bin/busybox", "/usr/local/bin/nc", "/usr/local/bin/wget"}, []string{"/usr/local/bin/wget", "--help"}, "BusyBox v1.37"},
	}
	for _, img := range tier.All() {
		start := time.Now()
		path, err := Build(img, filepath.Join(CacheDir(), "test"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f s", img.Ref, time.Since(start).Seconds())
		fs := files(t, path, img.Ref)
		c, ok := checks[img.Ref]
		if !ok {
			if fs["/usr/local/bin/etcd"] == nil {
				t.Errorf("%s: no /usr/local/bin/etcd", img.Ref)
			}
			continue
		}
		for _, f := range c.files {
			if fs[f] == nil {
				t.Errorf("%s: %s is not in the image", img.Ref, f)
			}
		}
		// Run it from the image's own root filesystem.
		root := t.TempDir()
		for _, l := range img.Layers {
			if d, ok := l.(Debian); ok {
				rootfs, err := d.Path()
				if err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command("tar", "-xf", rootfs, "-C", root).CombinedOutput(); err != nil {
					t.Fatalf("unpack: %v\n%s", err, out)
				}
			}
		}
		for _, f := range c.files {
			if strings.HasPrefix(f, "/usr/local/bin/") {
				_ = os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755)
				_ = os.Symlink("/usr/bin/busybox", filepath.Join(root, f))
			}
		}
		out, err := exec.Command("chroot", append([]string{root}, c.run...)...).CombinedOutput()
		if !strings.Contains(string(out), c.want) {
			t.Errorf("%s: %v in the image: %v\n%s", img.Ref, c.run, err, out)
		}
	}
	if out, err := exec.Command(etcd, "--version").CombinedOutput(); err != nil || !strings.Contains(string(out), "etcd Version: 3.6.") {
		t.Errorf("etcd --version: %v\n%s", err, out)
	}
	if out, _ := exec.Command("file", etcd).CombinedOutput(); strings.Contains(string(out), "dynamically linked") {
		t.Errorf("the image's etcd must be static (a scratch image has no libc): %s", out)
	}
}
