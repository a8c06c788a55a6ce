// Package images builds the container images of the real-node proving
// ground without Docker or a registry: layers are tar streams made here
// (static Go binaries and their files; Debian root filesystems), packed with
// go-containerregistry into docker-archive tarballs that containerd imports
// (`ctr -n k8s.io images import`). A build is cached under a key of
// everything that goes into it, so a second run takes milliseconds.
package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image is one image: its reference, layers (bottom first) and config.
type Image struct {
	Ref        string // e.g. nova.local/proerror77/nova/user-service:main-d849f39
	Layers     []Layer
	Entrypoint []string
	Cmd        []string
	Env        map[string]string
	User       string
	WorkingDir string
}

// Layer is one filesystem layer.
type Layer interface {
	// Key identifies the layer's content (what its cache entry depends on).
	Key() (string, error)
	// Open returns the layer as an uncompressed tar stream.
	Open() (io.ReadCloser, error)
}

// File is one entry of a Files layer.
type File struct {
	Path   string      // absolute path in the image
	Mode   os.FileMode // permissions; a directory has os.ModeDir
	Source string      // host file to copy (regular files)
	Data   []byte      // or the content itself
	Link   string      // or the target of a symlink
}

// Files is a layer of a few files, directories and symlinks, owned by root.
type Files []File

// Key hashes every entry, reading the source files.
func (fs Files) Key() (string, error) {
	h := sha256.New()
	for _, f := range fs {
		fmt.Fprintf(h, "%s\x00%o\x00%s\x00", f.Path, f.Mode, f.Link)
		data, err := f.content()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%x\x00", sha256.Sum256(data))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (f File) content() ([]byte, error) {
	if f.Source != "" {
		return os.ReadFile(f.Source)
	}
	return f.Data, nil
}

// Open makes the tar stream of the entries with their parent directories.
func (fs Files) Open() (io.ReadCloser, error) {
	var buf bytes.Buffer
	if err := fs.writeTar(&buf); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

func (fs Files) writeTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	epoch := time.Unix(0, 0)
	var mkdirs func(string) error
	mkdirs = func(dir string) error {
		if dir == "/" || dir == "." || dirs[dir] {
			return nil
		}
		if err := mkdirs(filepath.Dir(dir)); err != nil {
			return err
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir[1:] + "/", Mode: 0o755, ModTime: epoch})
	}
	for _, f := range fs {
		if err := mkdirs(filepath.Dir(f.Path)); err != nil {
			return err
		}
		mode := int64(f.Mode.Perm())
		if f.Mode&os.ModeSticky != 0 {
			mode |= 0o1000
		}
		hdr := &tar.Header{Name: f.Path[1:], Mode: mode, ModTime: epoch}
		switch {
		case f.Mode.IsDir():
			dirs[f.Path] = true
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
		case f.Link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
		default:
			data, err := f.content()
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(data))
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(data); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// Key identifies the whole image: its reference, config and layers.
func (i Image) Key() (string, error) {
	h := sha256.New()
	cfg, _ := json.Marshal([]any{i.Ref, i.Entrypoint, i.Cmd, sortedEnv(i.Env), i.User, i.WorkingDir, runtime.GOARCH})
	h.Write(cfg)
	for _, l := range i.Layers {
		k, err := l.Key()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "\x00%s", k)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func sortedEnv(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Build writes the image as a docker-archive tarball under cacheDir, or
// returns the one a previous build with the same key wrote.
func Build(i Image, cacheDir string) (string, error) {
	key, err := i.Key()
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(i.Ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", i.Ref, err)
	}
	path := filepath.Join(cacheDir, fmt.Sprintf("%s-%s.tar", filepath.Base(ref.RepositoryStr()), key))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	img := empty.Image
	for _, l := range i.Layers {
		layer, err := tarball.LayerFromOpener(l.Open, tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			return "", err
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return "", err
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config = v1.Config{Entrypoint: i.Entrypoint, Cmd: i.Cmd, Env: sortedEnv(i.Env), User: i.User, WorkingDir: i.WorkingDir}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return "", err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return "", fmt.Errorf("write %s: %w", i.Ref, err)
	}
	return path, os.Rename(tmp, path)
}

// CacheDir is where built images and root filesystems are kept:
// .cache/images of the repository (never committed).
func CacheDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", ".cache", "images")
}

// GoBinary builds a static Go binary of a package of the tests module into
// dir and returns its path.
func GoBinary(testsModule, pkg, dir string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = testsModule
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// BuildTimeout bounds one build step (a go build or an mmdebstrap run);
// the slowest, a cold Debian root filesystem, takes about 2 minutes here.
const BuildTimeout = 15 * time.Minute

// dirMode marks a Files entry as a directory.
const dirMode = os.ModeDir
