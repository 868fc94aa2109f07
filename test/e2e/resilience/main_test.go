// Package resilience checks how the Rollout controller behaves when things
// go wrong or go quiet: a controller restarted in the middle of a canary,
// reconciles that have nothing to do, progress deadlines, pod restarts that
// must keep enough pods serving, and invalid specs that must not turn into
// hot loops.
//
// Every test runs its own controller (framework.RunController with an
// instance ID, restricted to the test's namespace), so it can stop and
// start it, or count its writes, without touching other tests. No
// package-wide controller runs.
package resilience

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, nil)
}
