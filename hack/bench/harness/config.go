// Package harness measures ramp-controller from the outside: it starts a
// local control plane (test/cluster) with the API server's audit log on,
// runs ramp-controller as a separate process authenticated as its own
// ServiceAccount, fills the plane with idle Rollouts and runs scenarios
// against them: update latency, API writes per canary step and per no-op
// reconcile, steps per second, memory, time from a failing measurement to
// the traffic being sent back, and client-side throttling. Run runs it all
// and returns a Report; hack/bench is the command line around it and
// docs/performance.md explains the method and the figures.
package harness

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Config sets what a run measures and at what scale. DefaultConfig gives
// the values of `make bench`.
type Config struct {
	// Sizes are the numbers of idle Rollouts every scenario runs beside,
	// in increasing order; the plane grows from one size to the next, and
	// the scenarios run again at each.
	Sizes []int
	// RoutedShare is the fraction of idle Rollouts that move traffic through
	// an HTTPRoute.
	RoutedShare float64
	// AnalysisShare is the fraction of idle Rollouts whose steps run
	// analysis (two analysis steps and a background analysis with a web
	// metric served by the harness).
	AnalysisShare float64
	// HistoryUpdates is how many image updates every idle Rollout goes
	// through before memory is measured (2: three ReplicaSets, and five
	// finished AnalysisRuns with analysis).
	HistoryUpdates int

	// LatencySamples is the number of image updates whose latency to the
	// canary ReplicaSet and to the first route weight is measured, on
	// LatencyRollouts Rollouts updated side by side (0 skips it).
	LatencySamples, LatencyRollouts int
	// StepRollouts is the number of routed Rollouts (each in a namespace of
	// its own) whose writes per weight step are counted (0 skips it).
	StepRollouts int
	// NoOpTouches is the number of idle Rollouts whose Rollout, stable
	// Service and HTTPRoute are touched without a change that matters, to
	// count the writes of no-op reconciles (0 skips it).
	NoOpTouches int
	// Progressing is the number of Rollouts kept progressing through
	// setWeight steps for Duration, to measure steps per second (0 skips
	// it).
	Progressing int
	// Duration is how long the Progressing Rollouts are kept progressing.
	Duration time.Duration
	// Memory reads the controller's memory before the first Rollout and
	// beside each size's idle Rollouts (each read waits for the controller
	// to be quiet and to collect garbage: up to a few minutes).
	Memory bool
	// AbortRollouts is the number of Rollouts whose background analysis is
	// made to fail, to time the return of their traffic (0 skips it).
	AbortRollouts int

	// Concurrency bounds the harness's own API calls in flight when it
	// creates and updates objects.
	Concurrency int
	// OutDir holds the controller binary, its log, the plane's logs and
	// the audit log of a run. It is emptied at the start.
	OutDir string
	// ControllerArgs are extra ramp-controller flags (such as
	// --kube-api-qps=100); later flags win.
	ControllerArgs []string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// DefaultConfig returns the configuration of `make bench`: 100 idle
// Rollouts, half of them routed, all with analysis.
func DefaultConfig() Config {
	return Config{
		Sizes:           []int{100},
		RoutedShare:     0.5,
		AnalysisShare:   1,
		HistoryUpdates:  2,
		LatencySamples:  50,
		LatencyRollouts: 5,
		StepRollouts:    3,
		NoOpTouches:     20,
		Progressing:     50,
		Duration:        60 * time.Second,
		AbortRollouts:   20,
		Memory:          true,
		Concurrency:     32,
		OutDir:          "bin/bench/run",
	}
}

// FullSizes are the sizes of `make bench-full`.
var FullSizes = []int{1000, 10000}

func (c *Config) validate() error {
	if len(c.Sizes) == 0 {
		return errors.New("no size given")
	}
	if !slices.IsSorted(c.Sizes) || c.Sizes[0] < 0 {
		return fmt.Errorf("sizes %v must be non-negative and increasing", c.Sizes)
	}
	for _, share := range []float64{c.RoutedShare, c.AnalysisShare} {
		if share < 0 || share > 1 {
			return fmt.Errorf("share %v must be between 0 and 1", share)
		}
	}
	if c.HistoryUpdates < 0 || c.LatencySamples < 0 || c.StepRollouts < 0 || c.NoOpTouches < 0 ||
		c.Progressing < 0 || c.AbortRollouts < 0 {
		return errors.New("counts must not be negative")
	}
	if c.LatencySamples > 0 && c.LatencyRollouts <= 0 {
		return errors.New("latency samples need at least one latency rollout")
	}
	if c.Progressing > 0 && c.Duration <= 0 {
		return errors.New("progressing rollouts need a positive duration")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.OutDir == "" {
		return errors.New("no output directory given")
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// pick spreads a share of n items evenly: item i is picked when the
// running count of picks steps up at i.
func pick(i int, share float64) bool {
	return int(float64(i+1)*share) > int(float64(i)*share)
}
