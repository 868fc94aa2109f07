// Package controller checks ramp-controller as a process: flags, health and
// metrics endpoints, leader election, namespace and instance filtering, and
// the restricted ReplicaSet cache.
package controller

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rampdev/ramp/test/cluster"
)

// controllerBinary is ramp-controller built for this test run, in bin/e2e.
var controllerBinary string

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, _ *cluster.Cluster) error {
		root, err := cluster.RepoRoot()
		if err != nil {
			return err
		}
		controllerBinary = filepath.Join(root, "bin", "e2e", "ramp-controller")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", controllerBinary, "./cmd/ramp-controller")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build ramp-controller: %w\n%s", err, out)
		}
		return nil
	})
}
