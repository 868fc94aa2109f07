// Package notify checks gates and notifications end to end against a
// local control plane, with loopback HTTP servers standing in for an
// approval service and for chat: a gate holds a canary step until its
// service allows it, a denial aborts the update with the service's
// message, a blue-green prePromotionGate holds the switch, and services
// that never answer do not slow other rollouts. One controller runs in
// process for the whole package.
package notify

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
