// Package outage runs canaries whose analysis meets providers that fail in
// every way a network service can: a Prometheus that is not there, one
// that accepts connections and never answers, one that answers garbage or
// 50 MB, and a web endpoint that hangs. Each Rollout must end aborted with
// a message naming the cause, within the metric's timeout, and while they
// wait, a Rollout with a healthy analysis beside them must go through its
// update: a stuck provider never holds the controller's workers.
package outage

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
