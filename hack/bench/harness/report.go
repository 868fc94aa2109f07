package harness

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets the report compares the figures with. Only the two write counts
// decide the exit status (Report.Failures); times and memory are reported.
const (
	// TargetWritesPerStep is the most API writes to a Rollout's own
	// objects (status, route, ReplicaSets; Events apart) one weight step
	// may take.
	TargetWritesPerStep = 3
	// TargetWritesPerNoOp is the most writes a reconcile that has nothing
	// to change may make.
	TargetWritesPerNoOp = 0
	// TargetHeapMiBPer1000 is the most heap in use 1,000 Rollouts (with
	// their history) may add to the controller.
	TargetHeapMiBPer1000 = 64
	// TargetAbortP99Ms is the p99 of the time from a failing measurement
	// to canary weight 0 on the route.
	TargetAbortP99Ms = 500
)

// Report is what a run measured, as printed and as written to JSON.
type Report struct {
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	CPUs     int       `json:"cpus"`
	Settings Settings  `json:"settings"`
	// Baseline is the controller's memory with no Rollout.
	Baseline Memory       `json:"baseline"`
	Sizes    []SizeReport `json:"sizes"`
	// Phases are the run's phases in order, with their duration, the
	// controller's writes and its client-side throttling.
	Phases []Phase `json:"phases"`
	// LongWaits counts the controller's requests that waited more than a
	// second in its client-side rate limiter, by logger ("events": Event
	// writes), as far as client-go logged them (one a second at most);
	// LongestWaitSeconds is the longest of them.
	LongWaits          map[string]int `json:"longWaits,omitempty"`
	LongestWaitSeconds float64        `json:"longestWaitSeconds,omitempty"`
	// Notes are things that did not go as planned but did not stop the run.
	Notes []string `json:"notes,omitempty"`
}

// Settings are the Config values a report was made with.
type Settings struct {
	Sizes           []int    `json:"sizes"`
	RoutedShare     float64  `json:"routedShare"`
	AnalysisShare   float64  `json:"analysisShare"`
	HistoryUpdates  int      `json:"historyUpdates"`
	LatencySamples  int      `json:"latencySamples"`
	LatencyRollouts int      `json:"latencyRollouts"`
	StepRollouts    int      `json:"stepRollouts"`
	NoOpTouches     int      `json:"noOpTouches"`
	Progressing     int      `json:"progressing"`
	DurationSeconds float64  `json:"durationSeconds"`
	AbortRollouts   int      `json:"abortRollouts"`
	Memory          bool     `json:"memory"`
	ControllerArgs  []string `json:"controllerArgs,omitempty"`
}

// SizeReport holds the figures measured beside Idle idle Rollouts.
type SizeReport struct {
	Idle       int         `json:"idle"`
	Populate   Populate    `json:"populate"`
	Memory     *Memory     `json:"memory,omitempty"`
	NoOp       *NoOp       `json:"noOp,omitempty"`
	Steps      *StepWrites `json:"steps,omitempty"`
	Latency    *Latency    `json:"latency,omitempty"`
	Abort      *Abort      `json:"abort,omitempty"`
	Throughput *Throughput `json:"throughput,omitempty"`
}

// Populate is how long creating the idle Rollouts took, up to all Healthy,
// and their history updates.
type Populate struct {
	Created        int     `json:"created"`
	Seconds        float64 `json:"seconds"`
	HistorySeconds float64 `json:"historySeconds"`
}

// Memory is the controller's memory, read from its /metrics.
type Memory struct {
	// QuietSeconds is how long the controller took to stop writing (15 s
	// without a write) before memory was read.
	QuietSeconds float64 `json:"quietSeconds"`
	// Rollouts, ReplicaSets and AnalysisRuns in the plane when measured.
	Rollouts     int `json:"rollouts"`
	ReplicaSets  int `json:"replicaSets"`
	AnalysisRuns int `json:"analysisRuns"`
	// CachedMiB is the JSON size, by kind, of the objects the controller
	// caches (managed fields dropped): a guide to what the heap holds.
	CachedMiB map[string]float64 `json:"cachedMiB,omitempty"`
	// HeapInuseMiB is go_memstats_heap_inuse_bytes, the least of the
	// samples (closest to the live heap).
	HeapInuseMiB float64 `json:"heapInuseMiB"`
	// HeapLiveMiB is go_gc_heap_live_bytes: the heap marked live by the
	// last GC.
	HeapLiveMiB float64 `json:"heapLiveMiB"`
	// RSSMiB is process_resident_memory_bytes, the last sample.
	RSSMiB float64 `json:"rssMiB"`
	// Per1000 are the same figures above the baseline (no Rollout), per
	// 1,000 idle Rollouts.
	HeapInusePer1000MiB float64 `json:"heapInusePer1000MiB,omitempty"`
	HeapLivePer1000MiB  float64 `json:"heapLivePer1000MiB,omitempty"`
	RSSPer1000MiB       float64 `json:"rssPer1000MiB,omitempty"`
	// Slope... are the growth per 1,000 idle Rollouts from the previous
	// size, which leaves out the fixed cost of the first Rollouts (caches
	// and the like).
	SlopeHeapInusePer1000MiB *float64 `json:"slopeHeapInusePer1000MiB,omitempty"`
	SlopeHeapLivePer1000MiB  *float64 `json:"slopeHeapLivePer1000MiB,omitempty"`
}

// NoOp counts the writes made by reconciles that had nothing to change.
type NoOp struct {
	Touches    int            `json:"touches"`
	Reconciles int            `json:"reconciles"`
	Writes     int            `json:"writes"`
	PerReconc  float64        `json:"writesPerReconcile"`
	ByResource map[string]int `json:"byResource,omitempty"`
}

// StepWrites counts the writes of routed Rollouts through setWeight steps
// 20, 40, 60 and 80, step by step.
type StepWrites struct {
	Rollouts int `json:"rollouts"`
	// MeanObjects are the writes to the Rollout's own objects (status,
	// HTTPRoute, ReplicaSets, Services, AnalysisRuns) per step, from the
	// status write that set step 0 to the one that set the last; the
	// target applies to it. MaxObjects is the most in one stretch between
	// two step moves: a reconcile writes the route for the next weight
	// before the status write that moves the step, so writes shift from a
	// stretch to the one before. Events are counted apart in MeanEvents.
	MaxObjects  float64 `json:"maxObjectWritesPerStep"`
	MeanObjects float64 `json:"meanObjectWritesPerStep"`
	MeanEvents  float64 `json:"meanEventWritesPerStep"`
	// Conflicts are writes refused with 409 Conflict among them.
	Conflicts int `json:"conflicts"`
	// Segments are the writes between two status writes that moved
	// status.currentStepIndex, per Rollout.
	Segments []StepSegment `json:"segments"`
	// UpdateWrites are all writes of one update, from the image change
	// to Healthy, averaged over the Rollouts, by resource and verb.
	UpdateWrites map[string]float64 `json:"updateWrites"`
}

// StepSegment is the writes made while a Rollout went from step From to
// step To (usually To = From+1).
type StepSegment struct {
	Rollout    string         `json:"rollout"`
	From       int            `json:"from"`
	To         int            `json:"to"`
	Objects    int            `json:"objects"`
	Events     int            `json:"events"`
	ByResource map[string]int `json:"byResource"`
}

// Latency is the time from an image update of a routed Rollout to its
// canary ReplicaSet being created and to the first canary weight set on its
// HTTPRoute, as the harness's watches saw them.
type Latency struct {
	Samples     int  `json:"samples"`
	ToRS        Dist `json:"toReplicaSet"`
	ToWeight    Dist `json:"toFirstWeight"`
	Concurrency int  `json:"concurrency"`
}

// Abort is the time from the first failing measurement served to a
// background analysis to canary weight 0 on the Rollout's HTTPRoute.
type Abort struct {
	Rollouts int  `json:"rollouts"`
	ToZero   Dist `json:"toWeightZero"`
}

// Throughput is how many setWeight steps the Progressing Rollouts
// completed in the window.
type Throughput struct {
	Rollouts    int     `json:"rollouts"`
	Seconds     float64 `json:"seconds"`
	Steps       int     `json:"steps"`
	Updates     int     `json:"updates"`
	StepsPerSec float64 `json:"stepsPerSecond"`
}

// Dist sums up durations, in milliseconds.
type Dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50Ms"`
	P99  float64 `json:"p99Ms"`
	Max  float64 `json:"maxMs"`
	Mean float64 `json:"meanMs"`
}

// Phase is one phase of a run.
type Phase struct {
	Name    string  `json:"name"`
	Idle    int     `json:"idle"`
	Seconds float64 `json:"seconds"`
	// Writes are the controller's writes in the phase (audit log).
	Writes int `json:"writes"`
	// Requests are the controller's requests that went through its
	// client-side rate limiter, Throttled those that waited more than
	// 5 ms in it, and WaitSeconds the time they waited in all
	// (rest_client_rate_limiter_duration_seconds).
	Requests    int     `json:"requests"`
	Throttled   int     `json:"throttled"`
	WaitSeconds float64 `json:"waitSeconds"`
	// Reconciles are the Rollout reconciles in the phase.
	Reconciles int `json:"reconciles"`
}

// dist sums up ds.
func dist(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	ms := make([]float64, len(ds))
	sum := 0.0
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
		sum += ms[i]
	}
	slices.Sort(ms)
	return Dist{N: len(ms), P50: quantile(ms, 0.5), P99: quantile(ms, 0.99), Max: round(ms[len(ms)-1]), Mean: round(sum / float64(len(ms)))}
}

// quantile is the q-quantile of sorted values, nearest rank.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return round(sorted[max(0, min(i, len(sorted)-1))])
}

// round keeps one decimal.
func round(v float64) float64 { return math.Round(v*10) / 10 }

// mib turns bytes into MiB with one decimal.
func mib(bytes float64) float64 { return round(bytes / (1 << 20)) }

// Failures lists the write-count targets a report misses: any one makes
// hack/bench exit non-zero. Times and memory are not asserted.
func (r *Report) Failures() []string {
	var out []string
	for _, s := range r.Sizes {
		if s.NoOp != nil && s.NoOp.Writes > TargetWritesPerNoOp {
			out = append(out, fmt.Sprintf("%d idle: %d writes in %d no-op reconciles (%v), want %d",
				s.Idle, s.NoOp.Writes, s.NoOp.Reconciles, s.NoOp.ByResource, TargetWritesPerNoOp))
		}
		if s.Steps != nil && s.Steps.MeanObjects > TargetWritesPerStep {
			out = append(out, fmt.Sprintf("%d idle: %.2f writes per weight step (%v in one update), want at most %d",
				s.Idle, s.Steps.MeanObjects, s.Steps.UpdateWrites, TargetWritesPerStep))
		}
	}
	return out
}

// WriteTable prints the report as tables.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pf := func(format string, args ...any) { _, _ = fmt.Fprintf(tw, format, args...) }
	pf("Ramp benchmark, %d CPUs, %.0f s; baseline heap in use %.1f MiB, live %.1f MiB, RSS %.1f MiB\n\n",
		r.CPUs, r.Seconds, r.Baseline.HeapInuseMiB, r.Baseline.HeapLiveMiB, r.Baseline.RSSMiB)
	pf("idle rollouts\t")
	for _, s := range r.Sizes {
		pf("%d\t", s.Idle)
	}
	pf("target\n")
	row := func(name, target string, value func(s SizeReport) string) {
		pf("%s\t", name)
		for _, s := range r.Sizes {
			pf("%s\t", value(s))
		}
		pf("%s\n", target)
	}
	na := "-"
	row("create to Healthy (s)", "", func(s SizeReport) string { return fmt.Sprintf("%.0f", s.Populate.Seconds) })
	row("history updates (s)", "", func(s SizeReport) string { return fmt.Sprintf("%.0f", s.Populate.HistorySeconds) })
	row("update → canary RS p50/p99 (ms)", "", func(s SizeReport) string {
		if s.Latency == nil {
			return na
		}
		return fmt.Sprintf("%.0f / %.0f", s.Latency.ToRS.P50, s.Latency.ToRS.P99)
	})
	row("update → first weight p50/p99 (ms)", "", func(s SizeReport) string {
		if s.Latency == nil {
			return na
		}
		return fmt.Sprintf("%.0f / %.0f", s.Latency.ToWeight.P50, s.Latency.ToWeight.P99)
	})
	row("writes per weight step (most in one)", fmt.Sprintf("≤ %d", TargetWritesPerStep), func(s SizeReport) string {
		if s.Steps == nil {
			return na
		}
		return fmt.Sprintf("%.2f (%.0f)", s.Steps.MeanObjects, s.Steps.MaxObjects)
	})
	row("  + Events per weight step, mean", "", func(s SizeReport) string {
		if s.Steps == nil {
			return na
		}
		return fmt.Sprintf("%.2f", s.Steps.MeanEvents)
	})
	row("writes per no-op reconcile", fmt.Sprintf("%d", TargetWritesPerNoOp), func(s SizeReport) string {
		if s.NoOp == nil {
			return na
		}
		return fmt.Sprintf("%.2f (%d in %d)", s.NoOp.PerReconc, s.NoOp.Writes, s.NoOp.Reconciles)
	})
	row("steps per second", "", func(s SizeReport) string {
		if s.Throughput == nil {
			return na
		}
		return fmt.Sprintf("%.1f (%d rollouts)", s.Throughput.StepsPerSec, s.Throughput.Rollouts)
	})
	row("time to quiet after history (s)", "", func(s SizeReport) string {
		if s.Memory == nil {
			return na
		}
		return fmt.Sprintf("%.0f", s.Memory.QuietSeconds)
	})
	row("heap in use (MiB)", "", func(s SizeReport) string {
		if s.Memory == nil {
			return na
		}
		return fmt.Sprintf("%.1f", s.Memory.HeapInuseMiB)
	})
	row("heap in use per 1,000 (MiB)", fmt.Sprintf("≤ %d", TargetHeapMiBPer1000), func(s SizeReport) string {
		if s.Memory == nil {
			return na
		}
		return fmt.Sprintf("%.1f", s.Memory.HeapInusePer1000MiB)
	})
	row("live heap per 1,000 (MiB)", "", func(s SizeReport) string {
		if s.Memory == nil {
			return na
		}
		return fmt.Sprintf("%.1f", s.Memory.HeapLivePer1000MiB)
	})
	if len(r.Sizes) > 1 {
		row("  from the previous size: in use; live", fmt.Sprintf("≤ %d", TargetHeapMiBPer1000), func(s SizeReport) string {
			if s.Memory == nil || s.Memory.SlopeHeapInusePer1000MiB == nil {
				return na
			}
			return fmt.Sprintf("%.1f; %.1f", *s.Memory.SlopeHeapInusePer1000MiB, *s.Memory.SlopeHeapLivePer1000MiB)
		})
	}
	row("RSS (MiB); per 1,000", "", func(s SizeReport) string {
		if s.Memory == nil {
			return na
		}
		return fmt.Sprintf("%.0f; %.1f", s.Memory.RSSMiB, s.Memory.RSSPer1000MiB)
	})
	row("failing measurement → weight 0 p50/p99 (ms)", fmt.Sprintf("p99 ≤ %d", TargetAbortP99Ms), func(s SizeReport) string {
		if s.Abort == nil {
			return na
		}
		return fmt.Sprintf("%.0f / %.0f", s.Abort.ToZero.P50, s.Abort.ToZero.P99)
	})
	pf("\nphase\tidle\tseconds\twrites\treconciles\trequests\tthrottled (>5ms)\twait (s)\n")
	for _, p := range r.Phases {
		pf("%s\t%d\t%.0f\t%d\t%d\t%d\t%d\t%.2f\n", p.Name, p.Idle, p.Seconds, p.Writes, p.Reconciles, p.Requests, p.Throttled, p.WaitSeconds)
	}
	_ = tw.Flush()
	for _, s := range r.Sizes {
		if s.Memory != nil && len(s.Memory.CachedMiB) > 0 {
			_, _ = fmt.Fprintf(w, "\nobjects the controller caches, %d idle, as JSON (MiB): %s\n", s.Idle, formatCounts(s.Memory.CachedMiB))
		}
		if s.Steps != nil && len(s.Steps.UpdateWrites) > 0 {
			_, _ = fmt.Fprintf(w, "\nwrites of one routed update with 4 weight steps, %d idle: %s\n", s.Idle, formatCounts(s.Steps.UpdateWrites))
		}
	}
	if len(r.LongWaits) > 0 {
		_, _ = fmt.Fprintf(w, "\nrequests that waited over 1 s in the controller's rate limiter (logged, at most one a second), by logger: %s; longest %.1f s\n",
			formatCounts(r.LongWaits), r.LongestWaitSeconds)
	}
	for _, n := range r.Notes {
		_, _ = fmt.Fprintf(w, "note: %s\n", n)
	}
}

// formatCounts prints counts by key, largest first.
func formatCounts[V int | float64](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %v", k, m[k])
	}
	return strings.Join(parts, ", ")
}
