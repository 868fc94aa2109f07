// Package crash kills ramp-controller with SIGKILL at random moments while
// rollouts of every kind progress (replica-based canaries, canaries routed
// through an HTTPRoute, blue-green, canaries with analysis), restarting it
// each time, and checks from the outside that nothing a user relies on
// breaks: an independent observer records every change of the Rollouts,
// ReplicaSets, Services and HTTPRoutes, and the invariants are checked on
// the whole history in the order the API server made the changes.
//
// The controller runs as a process with the Helm chart's arguments,
// ServiceAccount and RBAC (least privilege), and leader election with a
// short lease, as a restarted pod would. The schedule of kills comes from a
// seed (RAMP_CHAOS_SEED), so a failing run can be repeated; RAMP_CHAOS=long
// (make chaos) runs the long variant.
package crash

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// controllerBinary is ramp-controller built for this test run.
var controllerBinary string

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.BuildControllerSetup("crash", &controllerBinary))
}
