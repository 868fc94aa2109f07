// Package outage runs canaries whose analysis meets providers that fail in
// every way a network service can: a Prometheus that is not there, one
// that accepts connections and never answers, one that answers garbage or
// 50 MB, a web endpoint that hangs and a Job that never finishes. Each
// Rollout must end aborted with a message naming the cause, within the
// metric's timeout, and while they wait, a Rollout with a healthy analysis
// beside them must go through its update: a stuck provider never holds the
// controller's workers. It also restarts kube-apiserver in the middle of
// a canary.
//
// The package's controller runs with the chart's ClusterRole
// (framework.StartSharedControllerWithChartRole).
package outage

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedControllerWithChartRole)
}
