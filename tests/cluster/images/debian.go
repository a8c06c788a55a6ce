package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DebianMirror is where the root filesystems' packages come from: the
// mirror this machine's apt uses (Debian's apt is reachable, nothing else).
const DebianMirror = "http://deb.debian.org/debian"

// Debian is a layer with a Debian root filesystem and the given packages,
// made by mmdebstrap (from apt) as a tarball and kept in CacheDir under a
// key of the suite, mirror and packages: the first build takes about a
// minute, later ones reuse the file.
type Debian struct {
	Suite    string // bookworm
	Packages []string
	CacheDir string
}

const debianRecipe = "mmdebstrap minbase, no docs, man pages or locales; v1"

// Key hashes the suite, mirror, packages and recipe.
func (d Debian) Key() (string, error) {
	pkgs := append([]string(nil), d.Packages...)
	sort.Strings(pkgs)
	h := sha256.Sum256([]byte(strings.Join(append([]string{debianRecipe, d.Suite, d.mirror()}, pkgs...), "\x00")))
	return hex.EncodeToString(h[:])[:16], nil
}

// Path is the rootfs tarball, made when missing.
func (d Debian) Path() (string, error) {
	key, _ := d.Key()
	path := filepath.Join(d.CacheDir, fmt.Sprintf("rootfs-%s-%s.tar", d.Suite, key))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", fmt.Errorf("mmdebstrap is not installed: apt-get install mmdebstrap (bash .ci/run does)")
	}
	if err := os.MkdirAll(d.CacheDir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp.tar"
	args := []string{"--quiet", "--variant=minbase", "--include=" + strings.Join(d.Packages, ","),
		"--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*", d.Suite, tmp, d.mirror()}
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	// A fixed date: the same packages give the same files' times.
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("mmdebstrap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return path, os.Rename(tmp, path)
}

// mirror is the suite's mirror (the same host for every suite).
func (d Debian) mirror() string { return DebianMirror }

// Open makes the tarball if needed and opens it.
func (d Debian) Open() (io.ReadCloser, error) {
	path, err := d.Path()
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// User is the uid and gid of a user of the root filesystem (its /etc/passwd).
func (d Debian) User(name string) (uid, gid int, err error) {
	path, err := d.Path()
	if err != nil {
		return 0, 0, err
	}
	out, err := exec.Command("tar", "-xOf", path, "./etc/passwd").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("read /etc/passwd of %s: %w", path, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 3 && f[0] == name {
			if _, err := fmt.Sscanf(f[2]+" "+f[3], "%d %d", &uid, &gid); err != nil {
				return 0, 0, err
			}
			return uid, gid, nil
		}
	}
	return 0, 0, fmt.Errorf("no user %s in %s", name, path)
}
