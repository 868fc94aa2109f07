// Package api checks the Ramp API as the API server serves it: CRD schema
// and CEL validation of bad manifests, the examples, and the scale
// subresource. No controller runs here.
package api

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, nil)
}
