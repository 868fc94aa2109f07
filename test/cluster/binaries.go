package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// Module paths pinned in hack/tools/go.mod, the only place where the
// versions of the control-plane binaries are set.
const (
	kubernetesModule = "k8s.io/kubernetes"
	etcdModule       = "go.etcd.io/etcd/server/v3"
	kwokModule       = "sigs.k8s.io/kwok"
)

// Names of the binaries in the directory returned by EnsureBinaries.
const (
	binEtcd                  = "etcd"
	binKubeAPIServer         = "kube-apiserver"
	binKubeControllerManager = "kube-controller-manager"
	binKubeScheduler         = "kube-scheduler"
	binKubectl               = "kubectl"
	binKwok                  = "kwok"
)

// completeMarker is written into a binary directory once every binary in it
// has been built.
const completeMarker = ".complete"

// buildPackages maps each binary to the package it is built from.
var buildPackages = []struct{ bin, pkg string }{
	{binKubeAPIServer, "k8s.io/kubernetes/cmd/kube-apiserver"},
	{binKubeControllerManager, "k8s.io/kubernetes/cmd/kube-controller-manager"},
	{binKubeScheduler, "k8s.io/kubernetes/cmd/kube-scheduler"},
	{binKubectl, "k8s.io/kubernetes/cmd/kubectl"},
	{binEtcd, etcdModule},
	{binKwok, "sigs.k8s.io/kwok/cmd/kwok"},
}

// toolVersions are the versions of the modules the binaries come from.
type toolVersions struct {
	kubernetes, etcd, kwok string
}

// key names the binary directory of this set of versions.
func (v toolVersions) key() string {
	return v.kubernetes + "-" + v.etcd + "-" + v.kwok
}

// EnsureBinaries returns a directory holding kube-apiserver,
// kube-controller-manager, kube-scheduler, kubectl, etcd and kwok at the
// versions pinned in hack/tools/go.mod, building them on first use.
//
// Binaries live in ${XDG_CACHE_HOME:-$HOME/.cache}/ramp/testbin/<k8s>-<etcd>-<kwok>/.
// A file lock makes concurrent callers (test packages run in parallel) wait
// for a single build, which goes to a temporary directory that is renamed into
// place once complete. The very first build on a machine takes minutes; build
// output goes to standard error.
func EnsureBinaries(ctx context.Context) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	toolsDir := filepath.Join(root, "hack", "tools")
	versions, err := readToolVersions(filepath.Join(toolsDir, "go.mod"))
	if err != nil {
		return "", err
	}
	cacheDir, err := testbinCacheDir()
	if err != nil {
		return "", err
	}
	return ensureBinariesIn(ctx, cacheDir, toolsDir, versions, os.Stderr)
}

// testbinCacheDir returns ${XDG_CACHE_HOME:-$HOME/.cache}/ramp/testbin.
func testbinCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the cache directory: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "ramp", "testbin"), nil
}

// readToolVersions reads the versions of Kubernetes, etcd and kwok from the
// tools module's go.mod.
func readToolVersions(goModPath string) (toolVersions, error) {
	data, err := os.ReadFile(goModPath)
	if err != nil {
		return toolVersions{}, fmt.Errorf("read tool versions: %w", err)
	}
	f, err := modfile.ParseLax(goModPath, data, nil)
	if err != nil {
		return toolVersions{}, fmt.Errorf("parse %s: %w", goModPath, err)
	}
	found := map[string]string{}
	for _, r := range f.Require {
		found[r.Mod.Path] = r.Mod.Version
	}
	var v toolVersions
	for _, m := range []struct {
		path string
		dst  *string
	}{
		{kubernetesModule, &v.kubernetes},
		{etcdModule, &v.etcd},
		{kwokModule, &v.kwok},
	} {
		version, ok := found[m.path]
		if !ok || !semver.IsValid(version) {
			return toolVersions{}, fmt.Errorf("%s does not require %s at a valid version", goModPath, m.path)
		}
		*m.dst = version
	}
	return v, nil
}

// versionLDFlags returns the -ldflags value that stamps the Kubernetes version
// into the binaries; clients cannot parse an unstamped server version.
func versionLDFlags(kubernetesVersion string) (string, error) {
	majorMinor := strings.TrimPrefix(semver.MajorMinor(kubernetesVersion), "v")
	major, minor, ok := strings.Cut(majorMinor, ".")
	if !ok {
		return "", fmt.Errorf("kubernetes version %q is not vMAJOR.MINOR.PATCH", kubernetesVersion)
	}
	const pkg = "k8s.io/component-base/version"
	return strings.Join([]string{
		"-X", pkg + ".gitVersion=" + kubernetesVersion,
		"-X", pkg + ".gitMajor=" + major,
		"-X", pkg + ".gitMinor=" + minor,
	}, " "), nil
}

// binariesComplete reports whether dir holds a finished build.
func binariesComplete(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err != nil {
		return false
	}
	for _, b := range buildPackages {
		if _, err := os.Stat(filepath.Join(dir, b.bin)); err != nil {
			return false
		}
	}
	return true
}

// ensureBinariesIn builds the binaries for versions into cacheDir/<key>
// unless a complete build is already there.
func ensureBinariesIn(ctx context.Context, cacheDir, toolsDir string, versions toolVersions, out io.Writer) (string, error) {
	dir := filepath.Join(cacheDir, versions.key())
	if binariesComplete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("create binary cache: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(cacheDir, versions.key()+".lock"), out)
	if err != nil {
		return "", err
	}
	defer unlock()

	// Another process may have finished the build while we waited.
	if binariesComplete(dir) {
		return dir, nil
	}
	if err := buildBinaries(ctx, cacheDir, toolsDir, dir, versions, out); err != nil {
		return "", err
	}
	return dir, nil
}

// lockFile takes an exclusive flock on path, polling so that ctx can cancel
// the wait. The returned function releases the lock.
func lockFile(ctx context.Context, path string, out io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open build lock: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told {
			_, _ = fmt.Fprintf(out, "cluster: waiting for another process to finish building the control-plane binaries (lock %s)\n", path)
			told = true
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("wait for build lock: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// buildBinaries runs go build in the tools module into a temporary directory
// next to dir, then renames it to dir.
func buildBinaries(ctx context.Context, cacheDir, toolsDir, dir string, versions toolVersions, out io.Writer) error {
	goBin, err := goCommand()
	if err != nil {
		return err
	}
	ldflags, err := versionLDFlags(versions.kubernetes)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cacheDir, ".build-"+versions.key()+"-")
	if err != nil {
		return fmt.Errorf("create build directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	args := []string{"build", "-o", tmp + string(filepath.Separator), "-ldflags", ldflags}
	for _, b := range buildPackages {
		args = append(args, b.pkg)
	}
	_, _ = fmt.Fprintf(out, "cluster: building Kubernetes %s, etcd %s and kwok %s into %s; the first build on a machine takes several minutes\n",
		versions.kubernetes, versions.etcd, versions.kwok, dir)
	start := time.Now()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = toolsDir
	cmd.Env = append(os.Environ(),
		"GOWORK=off",
		"GONOSUMDB="+joinEnvList(os.Getenv("GONOSUMDB"), kubernetesModule),
		"GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"),
	)
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build control-plane binaries in %s: %w", toolsDir, err)
	}

	// A module path ending in a major version suffix (server/v3) names its
	// binary after the element before the suffix; older toolchains used the
	// suffix itself.
	if err := renameFirst(tmp, binEtcd, "server", "v3"); err != nil {
		return err
	}
	marker := fmt.Sprintf("kubernetes %s\netcd %s\nkwok %s\n", versions.kubernetes, versions.etcd, versions.kwok)
	if err := os.WriteFile(filepath.Join(tmp, completeMarker), []byte(marker), 0o644); err != nil {
		return fmt.Errorf("write build marker: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("make binary directory readable: %w", err)
	}
	if !binariesComplete(tmp) {
		return fmt.Errorf("build in %s did not produce every binary", tmp)
	}
	// A leftover incomplete directory (no marker) would make the rename fail.
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove incomplete binary directory: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("move binaries into place: %w", err)
	}
	_, _ = fmt.Fprintf(out, "cluster: built control-plane binaries in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// renameFirst renames the first existing file among candidates in dir to
// name.
func renameFirst(dir, name string, candidates ...string) error {
	for _, c := range candidates {
		src := filepath.Join(dir, c)
		if _, err := os.Stat(src); err == nil {
			if err := os.Rename(src, filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("rename %s binary: %w", name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("build produced no %s binary (looked for %s)", name, strings.Join(candidates, ", "))
}

// joinEnvList appends item to a comma-separated environment list.
func joinEnvList(list, item string) string {
	if list == "" {
		return item
	}
	return list + "," + item
}
