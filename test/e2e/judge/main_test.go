// Package judge checks the judge analysis provider end to end, with a real
// Prometheus scraping a stand-in for the pods of each version (a latency
// gauge per pod template hash, drawn from a distribution the test sets):
// a canary that matches the stable version passes; one 30% slower, or
// with twice the variance, is rolled back with the verdict naming the
// metric; and with strategy.canary.baseline a baseline ReplicaSet of the
// stable template runs beside the canary, is what the judge compares it
// with, and goes away at promotion.
package judge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// versions serves the latency of every version the tests set; prom
// scrapes it every step.
var (
	versions *prometheus.Versions
	prom     *prometheus.Server
)

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, c *cluster.Cluster) error {
		versions = prometheus.NewVersions()
		startCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		srv, err := prometheus.Start(startCtx, prometheus.Options{Targets: []string{versions.Addr()}, ScrapeInterval: step})
		if err != nil {
			versions.Close()
			return fmt.Errorf("start prometheus: %w", err)
		}
		prom = srv
		go func() {
			<-ctx.Done()
			srv.Stop()
			versions.Close()
		}()
		return framework.StartSharedController(ctx, c)
	})
}
