// Package security checks that secret values never leave the controller:
// it runs ramp-controller as a process with the Helm chart's ServiceAccount
// and RBAC and debug logs, walks canaries whose analysis reads Secrets (a
// template argument used in the URL, a header taken from a Secret) against
// a metric endpoint that checks them and, at the end, echoes them back in
// an error page, and then searches everything a person can see for the
// secret values: the controller's log, every Event, the Rollout, its
// ReplicaSets and AnalysisRuns, and the dashboard's answers.
package security

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// controllerBinary is ramp-controller built for this test run.
var controllerBinary string

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.BuildControllerSetup("security", &controllerBinary))
}
