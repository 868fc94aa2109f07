// Package profiles checks RolloutProfiles and ClusterRolloutProfiles end to
// end: Rollouts of two teams walk the steps of their own team's profile; a
// profile edited during an update leaves that update as it was and shapes
// the next one; a missing profile stalls with a message naming it while
// the stable version keeps running; a ClusterRolloutProfile serves a
// Rollout in a team namespace, as named or as the namespace's default; and
// a profile of the other strategy kind is refused with a message.
package profiles

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
