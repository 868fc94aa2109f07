// Package bench runs the benchmark harness of hack/bench at a tiny scale,
// as a check that the controller's API writes stay within their targets:
// none for a reconcile that has nothing to change, and at most
// harness.TargetWritesPerStep per canary weight step. The harness starts
// its own control plane (with the API server's audit log on) and runs
// ramp-controller as a process of its own; see docs/performance.md.
package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rampdev/ramp/hack/bench/harness"
)

func TestWriteCounts(t *testing.T) {
	cfg := harness.DefaultConfig()
	cfg.Sizes = []int{10}
	cfg.RoutedShare, cfg.AnalysisShare = 0.2, 0.2
	cfg.HistoryUpdates = 0
	cfg.LatencySamples, cfg.Progressing, cfg.AbortRollouts = 0, 0, 0
	cfg.StepRollouts, cfg.NoOpTouches = 2, 5
	cfg.Memory = false
	cfg.OutDir = "bin/e2e/bench"
	cfg.Log = logWriter{t}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	report, err := harness.Run(ctx, cfg)
	if report != nil {
		var table strings.Builder
		report.WriteTable(&table)
		t.Logf("report:\n%s", table.String())
	}
	if err != nil {
		t.Fatalf("the benchmark did not run through (its logs are in %s): %v", cfg.OutDir, err)
	}
	size := report.Sizes[0]
	if size.NoOp == nil || size.NoOp.Reconciles == 0 {
		t.Fatalf("no no-op reconcile was counted: %+v", size.NoOp)
	}
	if size.Steps == nil || len(size.Steps.Segments) == 0 {
		t.Fatalf("no weight step was counted: %+v", size.Steps)
	}
	for _, f := range report.Failures() {
		t.Errorf("target missed: %s", f)
	}
}

// logWriter sends the harness's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
