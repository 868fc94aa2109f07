// Package cli checks kubectl ramp's commands end to end against a local
// control plane and the controller: each action leaves the Rollout in the
// state the action promises (not just the patch sent), status exits with
// the code CI relies on, and a user with a read-only role is told which
// verb and resource it lacks.
package cli

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
