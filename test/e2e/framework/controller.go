package framework

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/prometheus"
)

// ControllerOptions returns manager options fit for tests: no leader
// election, no metrics or health endpoints, and several managers allowed in
// one process.
func ControllerOptions() manager.Options {
	opts := manager.DefaultOptions()
	opts.LeaderElect = false
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.AllowSeveralInProcess = true
	opts.QPS, opts.Burst = 200, 400
	return opts
}

// StartController runs Ramp's controllers in this process against the
// current plane until ctx ends, and returns once their caches have synced.
// done receives the manager's result when it stops.
func StartController(ctx context.Context, opts manager.Options) (done <-chan error, err error) {
	c := cluster.Current()
	if c == nil {
		return nil, fmt.Errorf("no control plane: call cluster.RunTestMain from TestMain")
	}
	return StartControllerWith(ctx, c.RESTConfig(), opts)
}

// StartControllerWith is StartController talking to the API server with
// cfg, for example as a ServiceAccount with only the controller's RBAC
// role (cfg.Impersonate).
func StartControllerWith(ctx context.Context, cfg *rest.Config, opts manager.Options) (done <-chan error, err error) {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapLevel())))
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	ch := make(chan error, 1)
	go func() { ch <- mgr.Start(ctx) }()
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		return nil, fmt.Errorf("controller caches did not sync")
	}
	return ch, nil
}

// StartSharedController is a setup function for cluster.RunTestMain: it
// starts one Ramp controller (ControllerOptions) for the whole test binary.
func StartSharedController(ctx context.Context, _ *cluster.Cluster) error {
	_, err := StartController(ctx, ControllerOptions())
	return err
}

// RunController starts Ramp's controllers for one test and stops them when
// the test ends. Give it an instance ID (opts.InstanceID) and label the
// test's Rollouts with it, so that it and the package's shared controller
// leave each other's Rollouts alone.
func RunController(t testing.TB, opts manager.Options) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done, err := StartController(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("start controller: %v", err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// StartSharedControllerWithPrometheus returns a setup function for
// cluster.RunTestMain that starts a Prometheus server scraping one traffic
// source per service of ratios (prometheus.StartWithTraffic), sets *srv to
// it, and starts the shared controller. The server stops when the tests
// are over; if the process exits first, it dies with it (see package
// prometheus).
func StartSharedControllerWithPrometheus(ratios map[string]float64, srv **prometheus.Server) func(context.Context, *cluster.Cluster) error {
	return func(ctx context.Context, c *cluster.Cluster) error {
		s, stop, err := prometheus.StartWithTraffic(ctx, ratios)
		if err != nil {
			return err
		}
		if err := StartSharedController(ctx, c); err != nil {
			stop()
			return err
		}
		*srv = s
		go func() {
			<-ctx.Done()
			stop()
		}()
		return nil
	}
}
