// Package rollout checks the Rollout reconciler end to end against a local
// control plane: the first revision, the canary step walk, promote, abort
// and retry, undo, a superseded update, spec.paused, scaling in the middle
// of an update, promote --full, and the surge and availability bounds while
// ReplicaSets are scaled. One controller runs in process for the whole
// package.
package rollout

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
