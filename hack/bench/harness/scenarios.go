package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// sampleTimeout bounds one update of a scenario Rollout.
const sampleTimeout = 3 * time.Minute

// noOp touches idle Rollouts, their stable Services and HTTPRoutes, and
// the analysis template of one namespace, in ways that matter to no
// reconcile: an annotation or a label of the benchmark's own. Each touch
// reconciles Rollouts (the template every Rollout of its namespace), and
// none of them may write anything.
func (b *bench) noOp(ctx context.Context) (*NoOp, error) {
	picked := pickTouched(b.idle, b.cfg.NoOpTouches)
	n := len(picked)
	if n == 0 {
		return nil, nil
	}
	b.waitQuiet(ctx, "no-op reconciles")
	before, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	stamp := fmt.Sprint(start.UnixNano())
	annotate := fmt.Sprintf(`{"metadata":{"annotations":{"bench.ramp.dev/touch":%q}}}`, stamp)
	label := fmt.Sprintf(`{"metadata":{"labels":{"bench.ramp.dev/touch":%q}}}`, stamp)
	var touches atomic.Int32
	err = forEach(ctx, n, b.cfg.Concurrency, func(ctx context.Context, i int) error {
		s := picked[i]
		meta := metav1.ObjectMeta{Namespace: s.ns, Name: s.name}
		targets := []touch{
			{&rampv1alpha1.Rollout{ObjectMeta: meta}, annotate},
			{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: s.name + "-stable"}}, label},
		}
		if s.routed {
			targets = append(targets, touch{&gatewayv1.HTTPRoute{ObjectMeta: meta}, annotate})
		}
		if i == 0 && s.analysis {
			targets = append(targets, touch{&rampv1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: templateOnce}}, annotate})
		}
		for _, t := range targets {
			if err := mergePatch(ctx, b.k8s, t.obj, t.patch); err != nil {
				return err
			}
			touches.Add(1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The reconciles are done when their count has not moved for two
	// seconds.
	last, still := before.reconciles, time.Now()
	for time.Since(still) < 2*time.Second {
		if !sleep(ctx, 200*time.Millisecond) {
			return nil, ctx.Err()
		}
		c, err := b.counters(ctx)
		if err != nil {
			return nil, err
		}
		if c.reconciles != last {
			last, still = c.reconciles, time.Now()
		}
		if time.Since(start) > time.Minute {
			break
		}
	}
	end := time.Now()
	if err := b.audit.sync(ctx); err != nil {
		return nil, err
	}
	writes := b.audit.between(start, end, nil)
	r := &NoOp{Touches: int(touches.Load()), Reconciles: int(last - before.reconciles), Writes: len(writes), ByResource: byKind(writes)}
	if r.Reconciles > 0 {
		r.PerReconc = round(float64(r.Writes)/float64(r.Reconciles)*100) / 100
	}
	if r.Reconciles < n {
		return r, fmt.Errorf("%d touches made only %d reconciles", r.Touches, r.Reconciles)
	}
	return r, nil
}

// pickTouched picks n idle Rollouts spread over all of them, as many
// routed as not (when there are both).
func pickTouched(idle []rolloutSpec, n int) []rolloutSpec {
	var routed, plain []rolloutSpec
	for _, s := range idle {
		if s.routed {
			routed = append(routed, s)
		} else {
			plain = append(plain, s)
		}
	}
	spread := func(from []rolloutSpec, k int) []rolloutSpec {
		k = min(k, len(from))
		out := make([]rolloutSpec, k)
		for i := range out {
			out[i] = from[i*len(from)/k]
		}
		return out
	}
	fromRouted := min(len(routed), max(n/2, n-len(plain)))
	return append(spread(routed, fromRouted), spread(plain, n-fromRouted)...)
}

// touch is a patch to an object.
type touch struct {
	obj   client.Object
	patch string
}

// stepWeights are the weights of the step write scenario.
var stepWeights = []int32{20, 40, 60, 80}

// stepWrites updates routed Rollouts with setWeight steps 20, 40, 60 and
// 80, one at a time and each in a namespace of its own, and counts the
// controller's writes between the status writes that moved
// status.currentStepIndex.
func (b *bench) stepWrites(ctx context.Context, size int) (*StepWrites, error) {
	if b.cfg.StepRollouts == 0 {
		return nil, nil
	}
	specs := make([]rolloutSpec, b.cfg.StepRollouts)
	for i := range specs {
		specs[i] = rolloutSpec{ns: fmt.Sprintf("bench-%d-steps-%d", size, i), name: "steps", group: "steps", routed: true,
			steps: setWeights(stepWeights...)}
	}
	tr, stop, err := b.createScenario(ctx, size, "steps", specs, nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	r := &StepWrites{Rollouts: len(specs), UpdateWrites: map[string]float64{}}
	steps, objects, events := 0, 0, 0
	for _, s := range specs {
		start := time.Now()
		if err := setImage(ctx, b.k8s, s.key(), imageOf(2)); err != nil {
			return nil, err
		}
		if err := waitSettled(ctx, tr, s.key(), imageOf(2), sampleTimeout); err != nil {
			return nil, err
		}
		// The old version goes a second after the promotion.
		if !sleep(ctx, 2*time.Second) {
			return nil, ctx.Err()
		}
		if err := b.audit.sync(ctx); err != nil {
			return nil, err
		}
		ws := b.audit.between(start, time.Now(), inNamespace(s.ns))
		for k, n := range byKind(ws) {
			r.UpdateWrites[k] += float64(n) / float64(len(specs))
		}
		for _, w := range ws {
			if w.Code == 409 {
				r.Conflicts++
			}
		}
		segs := segmentSteps(s.name, ws, len(stepWeights))
		covered := 0
		for _, seg := range segs {
			seg.Rollout = s.key()
			n := seg.To - seg.From
			covered += n
			steps += n
			objects += seg.Objects
			events += seg.Events
			r.MaxObjects = max(r.MaxObjects, round(float64(seg.Objects)/float64(n)))
			r.Segments = append(r.Segments, seg)
		}
		if covered != len(stepWeights) {
			return r, fmt.Errorf("the status writes of %s moved through %d of %d steps: %v", s.key(), covered, len(stepWeights), ws)
		}
	}
	for k, v := range r.UpdateWrites {
		r.UpdateWrites[k] = round(v)
	}
	r.MeanObjects = round(float64(objects)/float64(steps)*100) / 100
	r.MeanEvents = round(float64(events)/float64(steps)*100) / 100
	return r, nil
}

// routeHistory records the canary weights of HTTPRoutes as they change.
type routeHistory struct {
	mu      sync.Mutex
	changes map[string][]weightChange
}

type weightChange struct {
	at     time.Time
	weight int32
}

func (h *routeHistory) hook(at time.Time, key string, w int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.changes[key]
	if len(c) == 0 || c[len(c)-1].weight != w {
		h.changes[key] = append(c, weightChange{at: at, weight: w})
	}
}

// first is the first change of key after t to a weight that ok accepts.
func (h *routeHistory) first(key string, after time.Time, ok func(int32) bool) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.changes[key] {
		if c.at.After(after) && ok(c.weight) {
			return c.at, true
		}
	}
	return time.Time{}, false
}

// routedScenario is createScenario for routed Rollouts all in one
// namespace, with a tracker of their HTTPRoutes and the history of their
// canary weights. stop stops both trackers.
func (b *bench) routedScenario(ctx context.Context, size int, group string, specs []rolloutSpec) (
	*tracker[rolloutState], *tracker[int32], *routeHistory, context.CancelFunc, error) {
	tr, stop, err := b.createScenario(ctx, size, group, specs, nil)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	stopBoth := func() { cancel(); stop() }
	h := &routeHistory{changes: map[string][]weightChange{}}
	routes, err := startTracker(rctx, b.k8s, &gatewayv1.HTTPRouteList{}, []client.ListOption{client.InNamespace(specs[0].ns)}, canaryWeight, h.hook)
	if err != nil {
		stopBoth()
		return nil, nil, nil, nil, err
	}
	return tr, routes, h, stopBoth, nil
}

// waitWeight waits until the route key sends want percent to the canary.
func waitWeight(ctx context.Context, routes *tracker[int32], key string, want int32) error {
	return routes.await(ctx, sampleTimeout, 0, fmt.Sprintf("HTTPRoute %s at canary weight %d", key, want),
		func() bool { return routes.items[key] == want },
		func() string { return fmt.Sprintf("canary weight %d", routes.items[key]) })
}

// waitOneReplicaSet waits until only one ReplicaSet of the Rollout key
// asks for pods.
func waitOneReplicaSet(ctx context.Context, sets *tracker[replicaSetState], key string) error {
	scaled := func() int {
		n := 0
		for _, s := range sets.items {
			if s.owner == key && s.replicas > 0 {
				n++
			}
		}
		return n
	}
	return sets.await(ctx, sampleTimeout, 0, fmt.Sprintf("one ReplicaSet of %s with pods", key), func() bool { return scaled() <= 1 },
		func() string { return fmt.Sprintf("%d ReplicaSets with pods", scaled()) })
}

// latency updates routed Rollouts (setWeight 20, then promotion), a few at
// a time, and times each update from the image change to the new
// ReplicaSet's creation and to the first canary weight on the route, as
// the harness's watches see them.
func (b *bench) latency(ctx context.Context, size int) (*Latency, error) {
	if b.cfg.LatencySamples == 0 {
		return nil, nil
	}
	ns := fmt.Sprintf("bench-%d-probe", size)
	specs := make([]rolloutSpec, min(b.cfg.LatencyRollouts, b.cfg.LatencySamples))
	for i := range specs {
		specs[i] = rolloutSpec{ns: ns, name: fmt.Sprintf("probe-%d", i), group: "probe", routed: true, steps: setWeights(20)}
	}
	tr, routes, history, stop, err := b.routedScenario(ctx, size, "probe", specs)
	if err != nil {
		return nil, err
	}
	defer stop()
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var createdMu sync.Mutex
	created := map[string]time.Time{} // ReplicaSet key to first seen
	owners := map[string]string{}
	sets, err := startTracker(tctx, b.k8s, &appsv1.ReplicaSetList{}, []client.ListOption{client.InNamespace(ns)}, summarizeReplicaSet,
		func(at time.Time, key string, s replicaSetState) {
			createdMu.Lock()
			defer createdMu.Unlock()
			if _, ok := created[key]; !ok {
				created[key], owners[key] = at, s.owner
			}
		})
	if err != nil {
		return nil, err
	}
	newRS := func(owner string, after time.Time) (time.Time, bool) {
		createdMu.Lock()
		defer createdMu.Unlock()
		for k, at := range created {
			if owners[k] == owner && at.After(after) {
				return at, true
			}
		}
		return time.Time{}, false
	}

	var mu sync.Mutex
	var toRS, toWeight []time.Duration
	var next atomic.Int32
	err = forEach(ctx, len(specs), len(specs), func(ctx context.Context, w int) error {
		key := specs[w].key()
		for {
			n := int(next.Add(1))
			if n > b.cfg.LatencySamples {
				return nil
			}
			image := imageOf(100 + n)
			// Start from a Rollout at rest: all traffic to the stable
			// version, and the old version gone (it stays up for a second
			// after a promotion, and would hold the canary back).
			if err := waitWeight(ctx, routes, key, 0); err != nil {
				return err
			}
			if err := waitOneReplicaSet(ctx, sets, key); err != nil {
				return err
			}
			start := time.Now()
			if err := setImage(ctx, b.k8s, key, image); err != nil {
				return err
			}
			if err := waitSettled(ctx, tr, key, image, sampleTimeout); err != nil {
				return err
			}
			rsAt, ok := newRS(key, start)
			if !ok {
				return fmt.Errorf("no new ReplicaSet of %s seen after the update to %s", key, image)
			}
			weightAt, ok := history.first(key, start, func(w int32) bool { return w > 0 })
			if !ok {
				return fmt.Errorf("no canary weight on the route of %s seen after the update to %s", key, image)
			}
			mu.Lock()
			toRS, toWeight = append(toRS, rsAt.Sub(start)), append(toWeight, weightAt.Sub(start))
			mu.Unlock()
		}
	})
	if err != nil {
		return nil, err
	}
	return &Latency{Samples: len(toRS), ToRS: dist(toRS), ToWeight: dist(toWeight), Concurrency: len(specs)}, nil
}

// abort brings routed Rollouts with a background analysis (a web
// measurement every second) to a pause at canary weight 20, then makes
// their metric fail, one every 100 ms, and times each from the first
// failing answer served to canary weight 0 on its route.
func (b *bench) abort(ctx context.Context, size int) (*Abort, error) {
	if b.cfg.AbortRollouts == 0 {
		return nil, nil
	}
	ns := fmt.Sprintf("bench-%d-abort", size)
	specs := make([]rolloutSpec, b.cfg.AbortRollouts)
	for i := range specs {
		specs[i] = rolloutSpec{ns: ns, name: fmt.Sprintf("abort-%d", i), group: "abort", routed: true, background: true,
			steps: []rampv1alpha1.CanaryStep{framework.SetWeight(20), framework.Pause()}}
	}
	tr, routes, history, stop, err := b.routedScenario(ctx, size, "abort", specs)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := forEach(ctx, len(specs), b.cfg.Concurrency, func(ctx context.Context, i int) error {
		return setImage(ctx, b.k8s, specs[i].key(), imageOf(2))
	}); err != nil {
		return nil, err
	}
	tr.setPred(func(_ string, s rolloutState) bool {
		return s.image == imageOf(2) && s.phase == rampv1alpha1.RolloutPhasePaused && s.step == 1 && s.observed == s.generation
	})
	if err := tr.waitMatching(ctx, len(specs), waitFor(len(specs)), "the abort Rollouts to pause at weight 20", describeRollout); err != nil {
		return nil, err
	}
	for _, s := range specs {
		if err := waitWeight(ctx, routes, s.key(), 20); err != nil {
			return nil, err
		}
	}
	// Each background analysis answers to the harness at least once before
	// its metric fails.
	deadline := time.Now().Add(time.Minute)
	for _, s := range specs {
		for b.web.requestsOf(metricKey(s.ns, s.name)) == 0 {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the background analysis of %s never called the web metric", s.key())
			}
			if !sleep(ctx, 50*time.Millisecond) {
				return nil, ctx.Err()
			}
		}
	}
	for _, s := range specs {
		b.web.setFailing(metricKey(s.ns, s.name))
		if !sleep(ctx, 100*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
	var times []time.Duration
	var errs []error
	for _, s := range specs {
		if err := waitWeight(ctx, routes, s.key(), 0); err != nil {
			errs = append(errs, err)
			continue
		}
		failed := b.web.failedAt(metricKey(s.ns, s.name))
		zero, ok := history.first(s.key(), failed, func(w int32) bool { return w == 0 })
		if failed.IsZero() || !ok {
			errs = append(errs, fmt.Errorf("%s: weight 0 not seen after the failing answer at %s", s.key(), failed.Format(time.RFC3339Nano)))
			continue
		}
		times = append(times, zero.Sub(failed))
	}
	return &Abort{Rollouts: len(specs), ToZero: dist(times)}, errors.Join(errs...)
}

// throughput keeps routed Rollouts with setWeight steps 10 to 90 going
// through updates for Duration, and counts the steps they complete from
// the first update until each has finished the last one it was given.
func (b *bench) throughput(ctx context.Context, size int) (*Throughput, error) {
	if b.cfg.Progressing == 0 {
		return nil, nil
	}
	ns := fmt.Sprintf("bench-%d-progress", size)
	specs := make([]rolloutSpec, b.cfg.Progressing)
	for i := range specs {
		specs[i] = rolloutSpec{ns: ns, name: fmt.Sprintf("progress-%d", i), group: "progress", routed: true,
			steps: setWeights(10, 20, 30, 40, 50, 60, 70, 80, 90)}
	}
	var mu sync.Mutex
	last := map[string]rolloutState{}
	var done []time.Time // one per step completed
	hook := func(at time.Time, key string, s rolloutState) {
		mu.Lock()
		defer mu.Unlock()
		prev, ok := last[key]
		last[key] = s
		if ok && prev.current == s.current && prev.step >= 0 && s.step > prev.step {
			for range s.step - prev.step {
				done = append(done, at)
			}
		}
	}
	tr, stop, err := b.createScenario(ctx, size, "progress", specs, hook)
	if err != nil {
		return nil, err
	}
	defer stop()
	start := time.Now()
	end := start.Add(b.cfg.Duration)
	// An update waits behind the steps of all the others: allow a second
	// per progressing Rollout beyond the usual bound.
	settle := sampleTimeout + time.Duration(len(specs))*time.Second
	var updates atomic.Int32
	err = forEach(ctx, len(specs), len(specs), func(ctx context.Context, i int) error {
		key := specs[i].key()
		for rev := 2; time.Now().Before(end); rev++ {
			if err := setImage(ctx, b.k8s, key, imageOf(rev)); err != nil {
				return err
			}
			if err := waitSettled(ctx, tr, key, imageOf(rev), settle); err != nil {
				return err
			}
			if time.Now().Before(end) {
				updates.Add(1)
			}
		}
		return nil
	})
	// The window runs until every Rollout has finished the update it was
	// given last: with many Rollouts progressing at once, the controller
	// works through their steps long after the last update is given.
	finish := time.Now()
	mu.Lock()
	steps := 0
	for _, at := range done {
		if !at.Before(start) && !at.After(finish) {
			steps++
		}
	}
	mu.Unlock()
	secs := finish.Sub(start).Seconds()
	return &Throughput{Rollouts: len(specs), Seconds: round(secs), Steps: steps, Updates: int(updates.Load()),
		StepsPerSec: round(float64(steps) / secs)}, err
}
