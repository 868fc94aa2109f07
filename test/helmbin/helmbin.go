// Package helmbin runs the helm binary that `make helm` builds from
// hack/helm (bin/helm), for the tests of charts/ramp.
package helmbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Run runs bin/helm under root with args, from root, with Helm's cache,
// configuration, data and kubeconfig in home so that the user's own stay
// out of the tests. It returns helm's stdout and stderr.
func Run(root, home string, args ...string) (stdout, stderr string, err error) {
	bin := filepath.Join(root, "bin", "helm")
	if _, statErr := os.Stat(bin); statErr != nil {
		return "", "", fmt.Errorf("%s not found: run `make helm` to build it (%w)", bin, statErr)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "kubeconfig"),
	)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// Template renders charts/ramp as release in namespace with the --set
// values given and returns the manifests.
func Template(root, home, release, namespace string, sets ...string) (string, error) {
	args := []string{"template", release, "charts/ramp", "--namespace", namespace}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, errOut, err := Run(root, home, args...)
	if err != nil {
		return "", fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, errOut)
	}
	return out, nil
}
