// Package routing checks traffic routing end to end against a local
// control plane with the Gateway API and Istio CRDs installed: canaries
// over an HTTPRoute and over a VirtualService with a DestinationRule,
// checking the route objects at every step, after promotion and after an
// abort (weights, managed routes, subsets with the right hash, the user's
// fields untouched); an analysis failure that sends the weight to 0 before
// the canary scales down; routes that are missing or lack a Service, which
// stall the Rollout with a message naming them and write nothing; and an
// edit by someone else, corrected once and reported.
//
// The package's controller runs as a ServiceAccount bound to the
// ClusterRole generated from the code's RBAC markers
// (charts/ramp/files/rbac/role.yaml), so the suite also proves that the
// role covers the route kinds the routers read and patch.
package routing

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedControllerWithChartRole)
}
