// Package badinput feeds the controller hostile manifests (a thousand
// steps, a hundred metrics, names and queries too long, unicode where
// Kubernetes allows none, weights out of range, a selector that takes
// another Rollout's pods, references to other namespaces) while another
// Rollout is updated beside them: each is refused at admission with a
// message naming the field, or stalls with a message saying what to fix,
// and the Rollout beside them finishes its update untouched.
//
// The package's controller runs with the chart's ClusterRole
// (framework.StartSharedControllerWithChartRole).
package badinput

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedControllerWithChartRole)
}
