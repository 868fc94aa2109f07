// Package rolloutspec checks, against a real control plane, how the Rollout
// reconciler carries out the parts of a Rollout's spec beyond the canary
// steps: overlapping selectors, workloadRef, canary and stable pod
// metadata, revision history, adoption of orphaned ReplicaSets, revision
// numbers and the selectors of the Services it manages. One controller runs
// in process for the whole package.
package rolloutspec

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
