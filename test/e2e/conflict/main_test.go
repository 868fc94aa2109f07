// Package conflict runs a second client beside the controller, as a GitOps
// tool syncing from git would: it re-applies the Rollout's spec, sets the
// HTTPRoute's weights back to those in git and replaces the Services with
// git's selectors, again and again while an update is in progress. No
// update may be lost, every change to a field the controller manages must
// be corrected and reported, and the controller's writes must stay bounded
// by the other client's (no hot loop).
//
// The package's controller runs with the chart's ClusterRole
// (framework.StartSharedControllerWithChartRole).
package conflict

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedControllerWithChartRole)
}
