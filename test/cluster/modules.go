package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// ModulePath is the module path of the Ramp repository.
const ModulePath = "github.com/rampdev/ramp"

const (
	gatewayAPIModule = "sigs.k8s.io/gateway-api"
	istioAPIModule   = "istio.io/api"
)

// moduleTimeout bounds locating, and if needed downloading, a module.
const moduleTimeout = 5 * time.Minute

// RepoRoot returns the root of the Ramp repository: the nearest directory,
// walking up from the working directory, whose go.mod declares the module
// github.com/rampdev/ramp.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("get working directory: %w", err)
	}
	return findRepoRoot(wd)
}

func findRepoRoot(start string) (string, error) {
	dir := start
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modfile.ModulePath(data) == ModulePath {
			return dir, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("read %s: %w", filepath.Join(dir, "go.mod"), err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for module %s in %s or any parent directory", ModulePath, start)
		}
		dir = parent
	}
}

// GatewayAPICRDDir returns the directory of the standard-channel Gateway API
// CRDs (config/crd/standard) of the sigs.k8s.io/gateway-api version that the
// main module requires, downloading the module if needed. The directory also
// holds a ValidatingAdmissionPolicy file; InstallCRDs skips documents that are
// not CRDs.
func GatewayAPICRDDir() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), moduleTimeout)
	defer cancel()
	dir, err := moduleDir(ctx, gatewayAPIModule)
	if err != nil {
		return "", err
	}
	crdDir := filepath.Join(dir, "config", "crd", "standard")
	if _, err := os.Stat(crdDir); err != nil {
		return "", fmt.Errorf("gateway api crds: %w", err)
	}
	return crdDir, nil
}

// IstioCRDFile returns the multi-document YAML file with Istio's CRDs
// (kubernetes/customresourcedefinitions.gen.yaml) of the istio.io/api version
// that the main module requires, downloading the module if needed.
func IstioCRDFile() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), moduleTimeout)
	defer cancel()
	dir, err := moduleDir(ctx, istioAPIModule)
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "kubernetes", "customresourcedefinitions.gen.yaml")
	if _, err := os.Stat(file); err != nil {
		return "", fmt.Errorf("istio crds: %w", err)
	}
	return file, nil
}

// goModule is the part of `go list -m -json` and `go mod download -json`
// output that moduleDir reads.
type goModule struct {
	Path    string
	Version string
	Dir     string
	Error   any
}

// moduleDir returns the module-cache directory of a module required by the
// main module, at the version the main module selects. It runs the go
// command in the repository root, and downloads the module when it is not in
// the module cache yet.
func moduleDir(ctx context.Context, module string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	var listed goModule
	if err := runGoJSON(ctx, root, &listed, "list", "-m", "-json", module); err != nil {
		return "", fmt.Errorf("locate module %s, which the main module must require (see test/cluster/crdmodules.go): %w", module, err)
	}
	if listed.Dir != "" {
		return listed.Dir, nil
	}
	if listed.Version == "" {
		return "", fmt.Errorf("locate module %s: the main module does not require it (see test/cluster/crdmodules.go)", module)
	}
	var downloaded goModule
	if err := runGoJSON(ctx, root, &downloaded, "mod", "download", "-json", module+"@"+listed.Version); err != nil {
		return "", fmt.Errorf("download module %s@%s: %w", module, listed.Version, err)
	}
	if downloaded.Error != nil || downloaded.Dir == "" {
		return "", fmt.Errorf("download module %s@%s: %v", module, listed.Version, downloaded.Error)
	}
	return downloaded.Dir, nil
}

// runGoJSON runs the go command in dir and decodes its JSON output into out.
func runGoJSON(ctx context.Context, dir string, out any, args ...string) error {
	goBin, err := goCommand()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("go %s: decode output: %w", strings.Join(args, " "), err)
	}
	return nil
}

// goCommand returns the path of the go command. go test and go run put the
// toolchain's bin directory first in PATH.
func goCommand() (string, error) {
	path, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go command: %w", err)
	}
	return path, nil
}
