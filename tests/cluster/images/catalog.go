package images

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nova-platform/nova/tests/contract"
)

// Registry is the host part of every image built here: no such registry
// exists, the images are imported into containerd, and pods use them with
// imagePullPolicy IfNotPresent.
const Registry = "nova.local"

// Pause is the sandbox image (the static pause program at /pause).
func Pause(bin string) Image {
	return Image{Ref: Registry + "/pause:1", Entrypoint: []string{"/pause"},
		Layers: []Layer{Files{{Path: "/pause", Mode: 0o755, Source: bin}}}}
}

// NetTest is the image of the network checks of the real node's tests
// (the static nettest program at /nettest).
func NetTest(bin string) Image {
	return Image{Ref: Registry + "/nettest:1", Entrypoint: []string{"/nettest"},
		Layers: []Layer{Files{{Path: "/nettest", Mode: 0o755, Source: bin}}}}
}

// StandIns are the Nova images, played by nova-standin: one per program of
// the contract, named as the Nova CI names them under Registry
// (nova.local/proerror77/nova/user-service:<build>), each with the binary
// at the program's CMD, the user appuser (1001, by name, as the Dockerfiles
// say it) and the env the real image bakes in. A program without a
// published image (auth-service) gets one under the same scheme.
func StandIns(standin string, c contract.Contract) []Image {
	var names []string
	for n := range c.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d::/home/%s:/sbin/nologin\n", c.UserName, c.User, c.Group, c.UserName)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", c.UserName, c.Group)
	var out []Image
	for _, n := range names {
		p := c.Programs[n]
		cmd := p.Cmd
		if len(cmd) == 0 {
			cmd = []string{"/app/" + n}
		}
		env := map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		for k, v := range p.ImageEnv {
			env[k] = v
		}
		out = append(out, Image{
			Ref: fmt.Sprintf("%s/%s:%s", Registry, Repository(n, p), c.Build),
			Layers: []Layer{Files{
				{Path: cmd[0], Mode: 0o755, Source: standin},
				{Path: "/etc/passwd", Mode: 0o644, Data: []byte(passwd)},
				{Path: "/etc/group", Mode: 0o644, Data: []byte(group)},
				{Path: "/home/" + c.UserName, Mode: 0o755 | dirMode},
				{Path: "/tmp", Mode: 0o777 | os.ModeSticky | dirMode},
			}},
			Cmd: cmd, Env: env, User: c.UserName, WorkingDir: filepath.Dir(cmd[0]),
		})
	}
	return out
}

// Repository is a program's image repository without its registry
// (proerror77/nova/user-service), also for a program that has none.
func Repository(program string, p contract.Program) string {
	if p.Image != "" {
		if _, repo, ok := strings.Cut(p.Image, "/"); ok {
			return repo
		}
	}
	return "proerror77/nova/" + program
}

// Data-tier images, from Debian packages: what the charts run on the real
// node in place of the public images they name (the registries are not
// reachable here). Each says in its tag what it is built from.
type DataTier struct {
	Redis, HAProxy, Postgres, Etcd, Busybox, Curl Image
}

// DataTierImages describes the images; etcd is the static etcd binary (the
// control plane's version), busybox the static one of Debian 13 (Debian 12's
// 1.35 segfaults on wget -T, which the charts' tests use).
func DataTierImages(cacheDir, etcd string) DataTier {
	bookworm := func(pkgs ...string) Debian { return Debian{Suite: "bookworm", Packages: pkgs, CacheDir: cacheDir} }
	applets := Files{}
	for _, a := range []string{"sh", "nc", "wget", "timeout", "date", "head", "grep", "sleep", "sed", "cat", "printf", "echo", "tr", "awk"} {
		applets = append(applets, File{Path: "/usr/local/bin/" + a, Link: "/usr/bin/busybox"})
	}
	return DataTier{
		Redis: Image{Ref: Registry + "/redis:7.0-bookworm", Cmd: []string{"redis-server"},
			Layers: []Layer{bookworm("redis-server", "redis-sentinel", "redis-tools")}},
		HAProxy: Image{Ref: Registry + "/haproxy:2.6-bookworm", Cmd: []string{"haproxy"},
			Layers: []Layer{bookworm("haproxy")}},
		// Patroni 3.0 and PostgreSQL 15, with what the chart's hooks use:
		// curl (the role-label callback, the JWT key Job) and openssl.
		Postgres: Image{Ref: Registry + "/postgres-patroni:15-bookworm", Cmd: []string{"patroni"},
			Layers: []Layer{bookworm("postgresql-15", "patroni", "python3-psycopg2", "python3-etcd", "curl", "ca-certificates", "openssl")}},
		Etcd: Image{Ref: Registry + "/etcd:v3.6.8", Entrypoint: []string{"/usr/local/bin/etcd"},
			Layers: []Layer{Files{{Path: "/usr/local/bin/etcd", Mode: 0o755, Source: etcd},
				{Path: "/tmp", Mode: 0o777 | os.ModeSticky | dirMode}}}},
		Busybox: Image{Ref: Registry + "/busybox:1.37-trixie", Cmd: []string{"sh"},
			Layers: []Layer{Debian{Suite: "trixie", Packages: []string{"busybox-static"}, CacheDir: cacheDir}, applets}},
		// The role-label sidecar's, in place of curlimages/curl: curl, a
		// shell and busybox nc, as that image has them.
		Curl: Image{Ref: Registry + "/curl:7.88-bookworm", Cmd: []string{"curl"},
			Layers: []Layer{bookworm("curl", "ca-certificates", "busybox"),
				Files{{Path: "/usr/local/bin/nc", Link: "/usr/bin/busybox"}}}},
	}
}

// All lists them.
func (d DataTier) All() []Image {
	return []Image{d.Redis, d.HAProxy, d.Postgres, d.Etcd, d.Busybox, d.Curl}
}
