// Package controller checks ramp-controller as a process: flags, health and
// metrics endpoints, leader election, namespace and instance filtering, and
// the restricted ReplicaSet cache.
package controller

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// controllerBinary is ramp-controller built for this test run.
var controllerBinary string

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.BuildControllerSetup("controller", &controllerBinary))
}
