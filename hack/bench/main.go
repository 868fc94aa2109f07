// Command bench is `make bench` and `make bench-full`: it measures
// ramp-controller against a local control plane (see package harness and
// docs/performance.md), prints a table, writes the figures as JSON with
// -json, and exits 1 when a write-count target is missed (writes per no-op
// reconcile above 0, or per weight step above 3), 2 when the run itself
// failed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/rampdev/ramp/hack/bench/harness"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg := harness.DefaultConfig()
	n := flag.Int("n", cfg.Sizes[0], "Number of idle Rollouts the scenarios run beside.")
	full := flag.Bool("full", false, fmt.Sprintf("Run at %v idle Rollouts, one size after the other in one plane (overrides -n).", harness.FullSizes))
	sizes := flag.String("sizes", "", "Comma-separated idle Rollout counts, increasing (overrides -n and -full).")
	flag.IntVar(&cfg.Progressing, "progressing", cfg.Progressing, "Rollouts kept progressing through setWeight steps for -duration (0 skips).")
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "How long the -progressing Rollouts are kept progressing.")
	flag.Float64Var(&cfg.RoutedShare, "routed-share", cfg.RoutedShare, "Fraction of idle Rollouts routed through an HTTPRoute.")
	flag.Float64Var(&cfg.AnalysisShare, "analysis-share", cfg.AnalysisShare, "Fraction of idle Rollouts whose steps run web-metric analysis.")
	flag.IntVar(&cfg.HistoryUpdates, "history", cfg.HistoryUpdates, "Image updates every idle Rollout goes through before memory is read.")
	flag.IntVar(&cfg.LatencySamples, "samples", cfg.LatencySamples, "Updates timed for the update latency (0 skips).")
	flag.IntVar(&cfg.LatencyRollouts, "latency-rollouts", cfg.LatencyRollouts, "Rollouts the latency samples are taken on, side by side.")
	flag.IntVar(&cfg.StepRollouts, "step-rollouts", cfg.StepRollouts, "Routed Rollouts whose writes per weight step are counted (0 skips).")
	flag.IntVar(&cfg.NoOpTouches, "noop", cfg.NoOpTouches, "Idle Rollouts touched to count the writes of no-op reconciles (0 skips).")
	flag.BoolVar(&cfg.Memory, "memory", cfg.Memory, "Read the controller's memory (waits for it to be quiet and to collect garbage).")
	flag.IntVar(&cfg.AbortRollouts, "abort", cfg.AbortRollouts, "Rollouts whose analysis is made to fail to time the return of traffic (0 skips).")
	flag.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "The harness's API calls in flight when it creates and updates objects.")
	flag.StringVar(&cfg.OutDir, "out", cfg.OutDir, "Directory for the controller binary and log, the plane's logs and the audit log (emptied first).")
	jsonPath := flag.String("json", "", "Write the report as JSON to this file.")
	controllerArgs := flag.String("controller-args", "", "Extra ramp-controller flags, space-separated (such as --kube-api-qps=100).")
	flag.Parse()

	cfg.Sizes = []int{*n}
	if *full {
		cfg.Sizes = harness.FullSizes
	}
	if *sizes != "" {
		cfg.Sizes = nil
		for _, s := range strings.Split(*sizes, ",") {
			var v int
			if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &v); err != nil {
				fmt.Fprintf(os.Stderr, "bench: -sizes: %q is not a number\n", s)
				return 2
			}
			cfg.Sizes = append(cfg.Sizes, v)
		}
	}
	cfg.ControllerArgs = strings.Fields(*controllerArgs)
	cfg.Log = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	report, err := harness.Run(ctx, cfg)
	if report != nil {
		report.WriteTable(os.Stdout)
		if *jsonPath != "" {
			if werr := writeJSON(*jsonPath, report); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
				return 2
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if failures := report.Failures(); len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintln(os.Stderr, "bench: target missed:", f)
		}
		return 1
	}
	return 0
}

func writeJSON(path string, report *harness.Report) error {
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
