// Package cliwatch checks kubectl ramp get rollout --watch end to end, the
// way a person sees it: the built plugin runs in a tmux terminal against a
// local control plane with Ramp's controller, and the test reads the
// terminal's screen while the rollout moves. It needs tmux (make tmux
// installs it).
package cliwatch

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedController)
}
