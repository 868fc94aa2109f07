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
	"context"
	"fmt"
	"os"
	"testing"
	"time"

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
	cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, c *cluster.Cluster) error {
		srv, stop, err := startPrometheus(ctx, serviceErrorRatios)
		if err != nil {
			return err
		}
		if err := framework.StartSharedController(ctx, c); err != nil {
			stop()
			return err
		}
		shared = srv
		// The tests are over when ctx ends. The plane's shutdown leaves
		// time for this; if the process exits first, prometheus dies with
		// it (see package prometheus) and the next Start removes its
		// directory.
		go func() {
			<-ctx.Done()
			stop()
		}()
		return nil
	})
}

// startPrometheus starts a traffic source per service with its error ratio
// and a Prometheus server scraping them all, and returns once the error
// ratio of every service can be queried. stop stops the server and the
// traffic.
func startPrometheus(ctx context.Context, ratios map[string]float64) (srv *prometheus.Server, stop func(), err error) {
	var traffic []*prometheus.Traffic
	targets := make([]string, 0, len(ratios))
	for svc, ratio := range ratios {
		tr := prometheus.NewTraffic(svc)
		tr.SetErrorRatio(ratio)
		traffic = append(traffic, tr)
		targets = append(targets, tr.Addr())
	}
	closeTraffic := func() {
		for _, tr := range traffic {
			tr.Close()
		}
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err = prometheus.Start(startCtx, prometheus.Options{Targets: targets})
	if err != nil {
		closeTraffic()
		return nil, nil, fmt.Errorf("start prometheus: %w", err)
	}
	stop = func() {
		srv.Stop()
		closeTraffic()
	}
	for svc, ratio := range ratios {
		if err := waitForRatio(startCtx, srv.Address(), svc, ratio); err != nil {
			srv.DumpLogs(os.Stderr)
			stop()
			return nil, nil, err
		}
	}
	return srv, stop, nil
}
