// Package analysise2e checks analysis end to end against a local control
// plane and a real Prometheus server: AnalysisRuns that a Rollout creates
// for its analysis steps and for background analysis, measured by the
// Prometheus and Job providers; a Rollout that promotes when they pass,
// aborts with a message naming the metric, value, condition and limit when
// they fail or cannot measure, and pauses when they are inconclusive; runs
// stopped when no longer needed and pruned beyond the history limits,
// newest kept; measurements a whole interval apart; and the Event of a run
// started even when the Rollout's status write that follows conflicts.
//
// TestMain starts one Prometheus server scraping one traffic source per
// service the tests query (each test reads only its own service label),
// and one controller in process for the whole package. The test that kills
// Prometheus runs a server of its own (see TestPrometheusOutage), and the
// one that injects a conflict runs a controller of its own.
package analysise2e

import (
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// Services whose traffic the shared Prometheus scrapes, and the share of
// their requests that fail. Each belongs to one test.
var serviceErrorRatios = map[string]float64{
	svcPasses:       0,
	svcFails:        0.3,
	svcBackground:   0.3,
	svcInconclusive: 0.2,
	svcPrune:        0,
}

const (
	svcPasses       = "checkout"
	svcFails        = "payments"
	svcBackground   = "search"
	svcInconclusive = "cart"
	svcPrune        = "profile"
)

// shared is the Prometheus server of the package, scraping every service
// of serviceErrorRatios. Set by TestMain's setup.
var shared *prometheus.Server

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, framework.StartSharedControllerWithPrometheus(serviceErrorRatios, &shared))
}
