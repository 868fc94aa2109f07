// Package failover checks that a Rollout survives the loss of its
// controller: two ramp-controller processes run with leader election, the
// leader is killed with SIGKILL in the middle of an update, and the other
// one must take the Lease and finish the update without repeating or
// skipping a step. No controller runs in process.
package failover

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/childproc"
	"github.com/rampdev/ramp/test/cluster"
)

// controllerBinary is ramp-controller built for this test run. It has its
// own path in bin/e2e so that a parallel build by another package's tests
// does not overwrite it.
var controllerBinary string

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, _ *cluster.Cluster) error {
		root, err := cluster.RepoRoot()
		if err != nil {
			return err
		}
		controllerBinary = filepath.Join(root, "bin", "e2e", "failover", "ramp-controller")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", controllerBinary, "./cmd/ramp-controller")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build ramp-controller: %w\n%s", err, out)
		}
		return nil
	})
}

// acquiredLease is what client-go's leader election logs when this process
// becomes the leader.
const acquiredLease = "Successfully acquired lease"

// maxOutput is how much of a controller's output the test keeps: more than
// one run writes, so that the line acquiredLease is never dropped.
const maxOutput = 64 << 20

// controllerProcess is a running ramp-controller.
type controllerProcess struct {
	*childproc.Process
	name string
	out  *childproc.LogBuffer
}

// leads reports whether the process has logged that it acquired the Lease.
func (p *controllerProcess) leads() bool {
	return strings.Contains(p.out.String(), acquiredLease)
}

// startController runs ramp-controller named name against the test plane
// with args, without metrics or health endpoints, stops it when the test
// ends and prints its output if the test failed.
func startController(t *testing.T, name string, args ...string) *controllerProcess {
	t.Helper()
	p := &controllerProcess{name: name, out: &childproc.LogBuffer{MaxBytes: maxOutput}}
	all := append([]string{
		"--kubeconfig", cluster.Current().KubeconfigPath(),
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		"--log-format", "text",
	}, args...)
	cmd := exec.Command(controllerBinary, all...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	// The launcher starts the controller with Pdeathsig from a thread that
	// lives until the controller has exited.
	launcher := childproc.NewLauncher()
	var err error
	if p.Process, err = launcher.StartProcess(cmd); err != nil {
		launcher.Close()
		t.Fatalf("start ramp-controller %s: %v", name, err)
	}
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		launcher.Close()
		if t.Failed() {
			t.Logf("ramp-controller %s (%s) output:\n%s", name, p.State(), p.out.String())
		}
	})
	return p
}
