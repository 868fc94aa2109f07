// Package failover checks that a Rollout survives the loss of its
// controller: two ramp-controller processes run with leader election, the
// leader is killed with SIGKILL in the middle of an update, and the other
// one must take the Lease and finish the update without repeating or
// skipping a step. No controller runs in process.
package failover

import (
	"strings"
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// controllerBinary is ramp-controller built for this test run.
var controllerBinary string

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.BuildControllerSetup("failover", &controllerBinary))
}

// acquiredLease is what client-go's leader election logs when this process
// becomes the leader.
const acquiredLease = "Successfully acquired lease"

// controllerProcess is a running ramp-controller.
type controllerProcess struct {
	*framework.ControllerProcess
}

// leads reports whether the process has logged that it acquired the Lease.
func (p *controllerProcess) leads() bool {
	return strings.Contains(p.Out.String(), acquiredLease)
}

// startController runs ramp-controller named name against the test plane
// with args, stops it when the test ends and prints its output if the test
// failed.
func startController(t *testing.T, name string, args ...string) *controllerProcess {
	t.Helper()
	return &controllerProcess{framework.StartControllerProcess(t, controllerBinary, name, args...)}
}
