// Package chartrbac runs ramp-controller the way the Helm chart installs
// it: the chart is rendered with the pinned helm (bin/helm), its CRDs,
// ServiceAccount and RBAC are applied to a local control plane, and the
// controller runs as a process with the arguments of the chart's Deployment
// and a token of that ServiceAccount. It then walks canaries with Gateway
// API routing and Prometheus analysis, both cluster-wide (ClusterRole) and
// in one namespace (a Role only), which shows that the chart's RBAC is
// sufficient; and with one verb taken out of the ClusterRole, the Rollout
// says which request was refused, which shows that it is checked.
package chartrbac

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// controllerBinary is ramp-controller built for this test run.
var controllerBinary string

// prom scrapes the traffic of trafficService, none of which fails.
var prom *prometheus.Server

// trafficService labels the requests the analysis measures.
const trafficService = "web"

func TestMain(m *testing.M) {
	cluster.RunTestMain(m, cluster.Options{}, func(ctx context.Context, c *cluster.Cluster) error {
		root, err := cluster.RepoRoot()
		if err != nil {
			return err
		}
		// The chart's own CRDs, over the ones the plane started with (the
		// same files: installing them again changes nothing).
		if err := c.InstallCRDs(ctx, filepath.Join(root, "charts", "ramp", "crds")); err != nil {
			return err
		}
		if controllerBinary, err = framework.BuildController(ctx, "chartrbac"); err != nil {
			return err
		}
		srv, stop, err := prometheus.StartWithTraffic(ctx, map[string]float64{trafficService: 0})
		if err != nil {
			return err
		}
		prom = srv
		go func() {
			<-ctx.Done()
			stop()
		}()
		return nil
	})
}
