// Package bluegreen checks the blue-green strategy end to end against a
// local control plane and a real Prometheus server: the walkthrough of
// examples/bluegreen (a new version behind the preview Service, a pause for
// promotion, the switch of the active Service, the old version kept up for
// scaleDownDelaySeconds and then scaled down), an undo within that delay,
// automatic promotion after autoPromotionSeconds, pre- and post-promotion
// analyses that fail and roll back, an abort while the preview is up, a
// preview smaller than the Rollout, and the active and preview pod
// metadata.
//
// The checks on order (the active Service never selects pods that are not
// available; the new version is at full size before the switch) read a
// history of every version of the test's Services, ReplicaSets and Rollout,
// ordered by resourceVersion (see history_test.go).
//
// TestMain starts one Prometheus server scraping a traffic source per
// service the analyses query, and one controller in process for the whole
// package.
package bluegreen

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// Services whose traffic the shared Prometheus scrapes, and the share of
// their requests that fail.
const (
	// svcFailing fails 30% of its requests: an error-rate analysis of it
	// fails.
	svcFailing = "orders"
	// svcHealthy fails none: an error-rate analysis of it passes.
	svcHealthy = "catalog"
)

// serviceErrorRatios maps each service of the shared Prometheus to its
// error ratio.
var serviceErrorRatios = map[string]float64{
	svcFailing: 0.3,
	svcHealthy: 0,
}

// shared is the Prometheus server of the package, scraping every service
// of serviceErrorRatios. Set by TestMain's setup.
var shared *prometheus.Server

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedControllerWithPrometheus(serviceErrorRatios, &shared))
}
