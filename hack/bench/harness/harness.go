package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
)

// bench is one run.
type bench struct {
	cfg    Config
	log    io.Writer
	k8s    client.WithWatch
	audit  *auditLog
	ctrl   *controllerProcess
	scrape *scraper
	web    *webMetric
	report *Report

	// The idle Rollouts, their ReplicaSets, and every AnalysisRun.
	rollouts    *tracker[rolloutState]
	replicaSets *tracker[replicaSetState]
	runs        *tracker[runState]
	idle        []rolloutSpec
	// want is the image each idle Rollout was last given.
	want map[string]string
}

// Run starts a plane and ramp-controller, runs every scenario at every size
// of cfg, stops it all and returns what it measured. A scenario that fails
// is noted in the report and the run goes on; the error then says which
// failed. A report is returned with every error after the controller
// started.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	out, err := filepath.Abs(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	if root, err := cluster.RepoRoot(); err == nil && !filepath.IsAbs(cfg.OutDir) {
		out = filepath.Join(root, cfg.OutDir)
	}
	if err := os.RemoveAll(out); err != nil {
		return nil, fmt.Errorf("empty %s: %w", out, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", out, err)
	}
	cfg.OutDir = out
	b := &bench{cfg: cfg, log: cfg.Log, want: map[string]string{}, report: &Report{
		Started: time.Now(), CPUs: runtime.NumCPU(), Settings: settingsOf(cfg),
	}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	b.logf("building ramp-controller and starting the control plane (output in %s)", out)
	built := make(chan error, 1)
	var bin string
	go func() {
		var err error
		bin, err = buildController(ctx, out)
		built <- err
	}()
	if b.web, err = startWebMetric(); err != nil {
		return nil, err
	}
	defer b.web.close()
	plane, auditPath, err := startPlane(ctx, out, nodesFor(cfg))
	if err != nil {
		return nil, errors.Join(err, <-built)
	}
	defer func() {
		if err := plane.Stop(); err != nil {
			b.logf("stop the control plane: %v", err)
		}
	}()
	if err := <-built; err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(out, "controller.kubeconfig")
	if err := controllerKubeconfig(ctx, plane, kubeconfig); err != nil {
		return nil, err
	}
	b.audit = followAudit(ctx, auditPath, controllerUser)
	if b.ctrl, err = startController(ctx, bin, kubeconfig, filepath.Join(out, "controller.log"), cfg.ControllerArgs); err != nil {
		return nil, err
	}
	defer b.ctrl.stop()
	b.scrape = newScraper(b.ctrl.metricsAddr)
	if b.k8s, err = adminClient(plane); err != nil {
		return nil, err
	}
	b.logf("control plane and controller up; reading the controller's memory with no Rollout")
	err = b.run(ctx)
	b.report.Seconds = round(time.Since(b.report.Started).Seconds())
	b.report.LongWaits, b.report.LongestWaitSeconds = longWaits(b.ctrl.logPath)
	return b.report, err
}

// run measures the baseline and then every size.
func (b *bench) run(ctx context.Context) error {
	if err := b.startTrackers(ctx); err != nil {
		return err
	}
	if b.cfg.Memory {
		base, err := b.memory(ctx, 0)
		if err != nil {
			return err
		}
		b.report.Baseline = *base
	}
	var failed []error
	for _, size := range b.cfg.Sizes {
		if err := b.runSize(ctx, size, &failed); err != nil {
			return errors.Join(append(failed, err)...)
		}
	}
	return errors.Join(failed...)
}

// startTrackers follows the idle Rollouts, their ReplicaSets and all
// AnalysisRuns.
func (b *bench) startTrackers(ctx context.Context) error {
	var err error
	idle := []client.ListOption{client.MatchingLabels{labelGroup: "idle"}}
	if b.rollouts, err = startTracker(ctx, b.k8s, &rampv1alpha1.RolloutList{}, idle, summarizeRollout, nil); err != nil {
		return err
	}
	if b.replicaSets, err = startTracker(ctx, b.k8s, &appsv1.ReplicaSetList{}, idle, summarizeReplicaSet, nil); err != nil {
		return err
	}
	b.runs, err = startTracker(ctx, b.k8s, &rampv1alpha1.AnalysisRunList{}, nil, summarizeRun, nil)
	return err
}

// runSize grows the idle Rollouts to size and runs the scenarios beside
// them. Errors of scenarios are added to failed; the error returned stops
// the run.
func (b *bench) runSize(ctx context.Context, size int, failed *[]error) error {
	sr := SizeReport{Idle: size}
	from := len(b.idle)
	err := b.phase(ctx, "create idle", size, func() error {
		start := time.Now()
		err := b.populate(ctx, from, size)
		sr.Populate.Created, sr.Populate.Seconds = size-from, round(time.Since(start).Seconds())
		return err
	})
	if err != nil {
		return err
	}
	err = b.phase(ctx, "history updates", size, func() error {
		start := time.Now()
		err := b.history(ctx, from, size)
		sr.Populate.HistorySeconds = round(time.Since(start).Seconds())
		return err
	})
	if err != nil {
		return err
	}
	scenarios := []struct {
		name string
		run  func() error
	}{
		{"memory", func() (err error) {
			if !b.cfg.Memory {
				return nil
			}
			if sr.Memory, err = b.memory(ctx, size); err == nil && len(b.report.Sizes) > 0 {
				prev := b.report.Sizes[len(b.report.Sizes)-1]
				if prev.Memory != nil && size > prev.Idle {
					slope := func(v, p float64) *float64 { s := round((v - p) / float64(size-prev.Idle) * 1000); return &s }
					sr.Memory.SlopeHeapInusePer1000MiB = slope(sr.Memory.HeapInuseMiB, prev.Memory.HeapInuseMiB)
					sr.Memory.SlopeHeapLivePer1000MiB = slope(sr.Memory.HeapLiveMiB, prev.Memory.HeapLiveMiB)
				}
			}
			return err
		}},
		{"no-op reconciles", func() (err error) { sr.NoOp, err = b.noOp(ctx); return err }},
		{"weight step writes", func() (err error) { sr.Steps, err = b.stepWrites(ctx, size); return err }},
		{"update latency", func() (err error) { sr.Latency, err = b.latency(ctx, size); return err }},
		{"abort latency", func() (err error) { sr.Abort, err = b.abort(ctx, size); return err }},
		{"steps per second", func() (err error) { sr.Throughput, err = b.throughput(ctx, size); return err }},
	}
	for _, s := range scenarios {
		if err := b.phase(ctx, s.name, size, s.run); err != nil {
			if alive := b.ctrl.alive(); alive != nil || ctx.Err() != nil {
				return errors.Join(err, alive, ctx.Err())
			}
			b.note("%d idle, %s: %v", size, s.name, err)
			*failed = append(*failed, fmt.Errorf("%d idle, %s: %w", size, s.name, err))
		}
	}
	b.report.Sizes = append(b.report.Sizes, sr)
	b.deleteScenarios(ctx, size)
	return nil
}

// phase runs f and records its duration, the controller's writes and its
// client-side throttling.
func (b *bench) phase(ctx context.Context, name string, idle int, f func() error) error {
	before, berr := b.counters(ctx)
	start := time.Now()
	b.logf("%s (%d idle)...", name, idle)
	err := f()
	end := time.Now()
	after, aerr := b.counters(ctx)
	p := Phase{Name: name, Idle: idle, Seconds: round(end.Sub(start).Seconds())}
	if serr := b.audit.sync(ctx); serr == nil {
		p.Writes = len(b.audit.between(start, end, nil))
	}
	if berr == nil && aerr == nil {
		p.Reconciles = int(after.reconciles - before.reconciles)
		p.Requests = int(after.limited - before.limited)
		p.Throttled = p.Requests - int(after.limitedFast-before.limitedFast)
		p.WaitSeconds = round((after.limiterWait-before.limiterWait)*100) / 100
		if !after.hasLimiter {
			b.note("the controller does not export %s: throttling not measured", metricRateLimiter)
		}
	}
	b.report.Phases = append(b.report.Phases, p)
	b.logf("%s (%d idle): %.0f s, %d writes, %d reconciles, %d of %d requests throttled", name, idle, p.Seconds, p.Writes,
		p.Reconciles, p.Throttled, p.Requests)
	if err == nil {
		err = b.ctrl.alive()
	}
	return err
}

func (b *bench) counters(ctx context.Context) (counters, error) {
	s, err := b.scrape.scrape(ctx)
	if err != nil {
		return counters{}, err
	}
	return readCounters(s), nil
}

// quietFor is how long the controller must have written nothing before
// memory is read and no-op reconciles are counted: longer than the 10 s
// (± 25 %) after which client-go's event recorder retries a failed Event
// write, so that no retry of an earlier phase falls into the window.
const quietFor = 15 * time.Second

// quietTimeout bounds that wait: after a burst the controller's Event
// writes queue behind its client-side rate limit and take minutes to
// drain.
const quietTimeout = 30 * time.Minute

// waitQuiet waits until the controller has been quiet for quietFor and
// returns how long that took.
func (b *bench) waitQuiet(ctx context.Context, what string) float64 {
	start := time.Now()
	if err := b.audit.quiet(ctx, quietFor, quietTimeout); err != nil {
		b.note("%s: %v", what, err)
	}
	return round(time.Since(start).Seconds())
}

// memory reads the controller's memory once it has been quiet for a while
// and has run a garbage collection since (the Go runtime forces one every
// two minutes): the heap marked live by that collection, the least heap in
// use of three samples a second apart, and RSS. The controller's heap
// profile is saved as heap-<idle>.pb.gz in the output directory.
func (b *bench) memory(ctx context.Context, idle int) (*Memory, error) {
	m := &Memory{QuietSeconds: b.waitQuiet(ctx, fmt.Sprintf("%d idle, memory", idle))}
	s, err := b.scrape.scrape(ctx)
	if err != nil {
		return nil, err
	}
	gcs := s.sum(metricGCs, nil)
	for deadline := time.Now().Add(130 * time.Second); s.sum(metricGCs, nil) == gcs; {
		if time.Now().After(deadline) {
			b.note("%d idle, memory: no garbage collection in 130 s", idle)
			break
		}
		if !sleep(ctx, time.Second) {
			return nil, ctx.Err()
		}
		if s, err = b.scrape.scrape(ctx); err != nil {
			return nil, err
		}
	}
	for i := range 3 {
		if i > 0 {
			if !sleep(ctx, time.Second) {
				return nil, ctx.Err()
			}
			if s, err = b.scrape.scrape(ctx); err != nil {
				return nil, err
			}
		}
		heap := mib(s.sum(metricHeapInuse, nil))
		if i == 0 || heap < m.HeapInuseMiB {
			m.HeapInuseMiB = heap
		}
		m.HeapLiveMiB, m.RSSMiB = mib(s.sum(metricHeapLive, nil)), mib(s.sum(metricRSS, nil))
	}
	if err := b.ctrl.saveHeapProfile(ctx, filepath.Join(b.cfg.OutDir, fmt.Sprintf("heap-%d.pb.gz", idle))); err != nil {
		b.note("%d idle, memory: %v", idle, err)
	}
	if m.Rollouts, err = b.count(ctx, "ramp.dev", "Rollout"); err != nil {
		return nil, err
	}
	if m.ReplicaSets, err = b.count(ctx, "apps", "ReplicaSet"); err != nil {
		return nil, err
	}
	if m.AnalysisRuns, err = b.count(ctx, "ramp.dev", "AnalysisRun"); err != nil {
		return nil, err
	}
	if m.CachedMiB, err = b.cachedSizes(ctx); err != nil {
		return nil, err
	}
	if idle > 0 {
		base := b.report.Baseline
		per := func(v, b float64) float64 { return round((v - b) / float64(idle) * 1000) }
		m.HeapInusePer1000MiB = per(m.HeapInuseMiB, base.HeapInuseMiB)
		m.HeapLivePer1000MiB = per(m.HeapLiveMiB, base.HeapLiveMiB)
		m.RSSPer1000MiB = per(m.RSSMiB, base.RSSMiB)
	}
	return m, nil
}

// cachedKinds are the kinds the controller's informers hold (see
// internal/manager.CacheOptions), and the label their objects need to be
// cached.
var cachedKinds = []struct {
	gvk   schema.GroupVersionKind
	label string
}{
	{schema.GroupVersionKind{Group: "ramp.dev", Version: "v1alpha1", Kind: "RolloutList"}, ""},
	{schema.GroupVersionKind{Group: "ramp.dev", Version: "v1alpha1", Kind: "AnalysisRunList"}, ""},
	{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSetList"}, rampv1alpha1.LabelPodTemplateHash},
	{schema.GroupVersionKind{Version: "v1", Kind: "PodList"}, rampv1alpha1.LabelPodTemplateHash},
	{schema.GroupVersionKind{Version: "v1", Kind: "ServiceList"}, ""},
	{schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRouteList"}, ""},
}

// cachedSizes sums up, by kind, the JSON size of the objects the
// controller caches, without managed fields (and, for ReplicaSets, the
// copy of the pod template), as the informers keep them: a guide to what
// its heap holds.
func (b *bench) cachedSizes(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	for _, k := range cachedKinds {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(k.gvk)
		var opts []client.ListOption
		if k.label != "" {
			opts = append(opts, client.HasLabels{k.label})
		}
		if err := b.k8s.List(ctx, list, opts...); err != nil {
			return nil, fmt.Errorf("list %s: %w", k.gvk.Kind, err)
		}
		total := 0
		for i := range list.Items {
			obj := list.Items[i].Object
			unstructured.RemoveNestedField(obj, "metadata", "managedFields")
			unstructured.RemoveNestedField(obj, "metadata", "annotations", rampv1alpha1.AnnotationPodTemplate)
			data, err := json.Marshal(obj)
			if err != nil {
				return nil, err
			}
			total += len(data)
		}
		out[strings.TrimSuffix(k.gvk.Kind, "List")] = mib(float64(total))
	}
	return out, nil
}

// count counts the objects of a kind in the plane, reading metadata only.
func (b *bench) count(ctx context.Context, group, kind string) (int, error) {
	version := "v1"
	if group == "ramp.dev" {
		version = "v1alpha1"
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(schema.GroupVersionKind{Group: group, Version: version, Kind: kind + "List"})
	if err := b.k8s.List(ctx, list); err != nil {
		return 0, fmt.Errorf("list %s: %w", kind, err)
	}
	return len(list.Items), nil
}

// deleteScenarios deletes the namespaces of a size's scenarios; the plane
// removes them in the background.
func (b *bench) deleteScenarios(ctx context.Context, size int) {
	list := &corev1.NamespaceList{}
	if err := b.k8s.List(ctx, list, client.MatchingLabels{labelScenario: fmt.Sprint(size)}); err != nil {
		b.note("list the scenario namespaces: %v", err)
		return
	}
	for i := range list.Items {
		if err := b.k8s.Delete(ctx, &list.Items[i]); err != nil {
			b.note("delete namespace %s: %v", list.Items[i].Name, err)
		}
	}
}

func (b *bench) logf(format string, args ...any) {
	_, _ = fmt.Fprintf(b.log, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (b *bench) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, n := range b.report.Notes {
		if n == msg {
			return
		}
	}
	b.report.Notes = append(b.report.Notes, msg)
	b.logf("note: %s", msg)
}

// adminClient is a client of the plane's admin with Ramp's scheme, allowed
// far more requests per second than the controller.
func adminClient(c *cluster.Cluster) (client.WithWatch, error) {
	cfg := c.RESTConfig()
	cfg.QPS, cfg.Burst = 2000, 4000
	scheme, err := manager.NewScheme()
	if err != nil {
		return nil, err
	}
	k8s, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	return k8s, nil
}

// nodesFor is the number of fake nodes (1,000 pods each) the largest size
// needs, with room for surges and scenarios.
func nodesFor(cfg Config) int {
	rollouts := cfg.Sizes[len(cfg.Sizes)-1] + cfg.LatencyRollouts + cfg.StepRollouts + cfg.Progressing + cfg.AbortRollouts
	return 1 + 3*rollouts/1000
}

func settingsOf(cfg Config) Settings {
	return Settings{
		Sizes: cfg.Sizes, RoutedShare: cfg.RoutedShare, AnalysisShare: cfg.AnalysisShare, HistoryUpdates: cfg.HistoryUpdates,
		LatencySamples: cfg.LatencySamples, LatencyRollouts: cfg.LatencyRollouts, StepRollouts: cfg.StepRollouts,
		NoOpTouches: cfg.NoOpTouches, Progressing: cfg.Progressing, DurationSeconds: cfg.Duration.Seconds(),
		AbortRollouts: cfg.AbortRollouts, Memory: cfg.Memory, ControllerArgs: cfg.ControllerArgs,
	}
}
