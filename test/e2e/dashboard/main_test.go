// Package dashboarde2e checks the dashboard ramp-controller serves in the
// cluster, against a local control plane: read-only, it refuses actions;
// with actions on, a person signs in with a Kubernetes token and the
// cluster's RBAC decides (a view-only token is refused, one with patch
// rights promotes the rollout).
package dashboarde2e

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
)

func TestMain(m *testing.M) {
	// Each test runs its own controller, with its dashboard.
	cluster.RunTestMain(m, cluster.Options{}, nil)
}
