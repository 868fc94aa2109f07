package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// tracker follows objects of one kind through a watch and keeps a summary
// of each, by namespace/name, with a count of those a predicate holds for,
// so that waiting on thousands of objects costs nothing per event. Every
// change is also handed to an optional hook with the time it was seen.
type tracker[S any] struct {
	summarize func(client.Object) S
	hook      func(at time.Time, key string, s S)

	mu       sync.Mutex
	items    map[string]S
	pred     func(key string, s S) bool
	matching int
	changed  framework.Notifier
	lists    int
}

// startTracker lists and then watches the objects of list's kind matching
// opts until ctx ends; it returns once the first list is in.
func startTracker[S any](ctx context.Context, k8s client.WithWatch, list client.ObjectList, opts []client.ListOption,
	summarize func(client.Object) S, hook func(at time.Time, key string, s S)) (*tracker[S], error) {
	t := &tracker[S]{summarize: summarize, hook: hook, items: map[string]S{}}
	listed := make(chan struct{})
	var once sync.Once
	go framework.Follow(ctx, k8s, list, opts, func(objs []client.Object) {
		t.mu.Lock()
		t.lists++
		clear(t.items)
		now := time.Now()
		for _, o := range objs {
			key := keyOf(o)
			s := t.summarize(o)
			t.items[key] = s
			if t.hook != nil {
				t.hook(now, key, s)
			}
		}
		t.recount()
		t.changed.Notify()
		t.mu.Unlock()
		once.Do(func() { close(listed) })
	}, func(typ watch.EventType, o client.Object) {
		now := time.Now()
		key := keyOf(o)
		t.mu.Lock()
		defer t.mu.Unlock()
		old, had := t.items[key]
		if had && t.pred != nil && t.pred(key, old) {
			t.matching--
		}
		if typ == watch.Deleted {
			delete(t.items, key)
		} else {
			s := t.summarize(o)
			t.items[key] = s
			if t.pred != nil && t.pred(key, s) {
				t.matching++
			}
			if t.hook != nil {
				t.hook(now, key, s)
			}
		}
		t.changed.Notify()
	})
	select {
	case <-listed:
		return t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("the watch of %T did not list within 2m", list)
	}
}

func keyOf(o client.Object) string { return o.GetNamespace() + "/" + o.GetName() }

func (t *tracker[S]) recount() {
	t.matching = 0
	if t.pred == nil {
		return
	}
	for k, s := range t.items {
		if t.pred(k, s) {
			t.matching++
		}
	}
}

// setPred counts the objects pred holds for from now on.
func (t *tracker[S]) setPred(pred func(key string, s S) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pred = pred
	t.recount()
	t.changed.Notify()
}

// await waits until done holds (it is called with the tracker's lock held,
// at once and after every change), for at most timeout; describe says what
// was seen when it gives up. A wait also fails when no object has changed
// for stall (0: never), as a sign that nothing is going on any more.
func (t *tracker[S]) await(ctx context.Context, timeout, stall time.Duration, what string, done func() bool, describe func() string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lastChange := time.Now()
	for {
		t.mu.Lock()
		ok := done()
		ch := t.changed.C()
		t.mu.Unlock()
		if ok {
			return nil
		}
		var stallC <-chan time.Time
		var timer *time.Timer
		if stall > 0 {
			timer = time.NewTimer(time.Until(lastChange.Add(stall)))
			stallC = timer.C
		}
		var err error
		select {
		case <-ch:
			lastChange = time.Now()
		case <-stallC:
			err = fmt.Errorf("waiting for %s: nothing changed for %v; %s", what, stall, t.locked(describe))
		case <-ctx.Done():
			err = fmt.Errorf("waiting %v for %s: %w; %s", timeout, what, ctx.Err(), t.locked(describe))
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// waitMatching waits until the predicate holds for n objects.
func (t *tracker[S]) waitMatching(ctx context.Context, n int, timeout time.Duration, what string, describe func(key string, s S) string) error {
	return t.await(ctx, timeout, 3*time.Minute, what, func() bool { return t.matching >= n }, func() string {
		var miss []string
		for k, s := range t.items {
			if t.pred == nil || !t.pred(k, s) {
				miss = append(miss, describe(k, s))
			}
		}
		sort.Strings(miss)
		if len(miss) > 5 {
			miss = append(miss[:5], fmt.Sprintf("and %d more", len(miss)-5))
		}
		return fmt.Sprintf("%d of %d objects ready, want %d; not ready: %s", t.matching, len(t.items), n, strings.Join(miss, "; "))
	})
}

func (t *tracker[S]) locked(f func() string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return f()
}

// rolloutState sums up a Rollout.
type rolloutState struct {
	generation, observed int64
	phase                rampv1alpha1.RolloutPhase
	image                string
	stable, current      string
	step                 int32
	abort                bool
	message              string
}

func summarizeRollout(o client.Object) rolloutState {
	ro, ok := o.(*rampv1alpha1.Rollout)
	if !ok {
		return rolloutState{}
	}
	s := rolloutState{
		generation: ro.Generation, observed: ro.Status.ObservedGeneration, phase: ro.Status.Phase,
		stable: ro.Status.StableRS, current: ro.Status.CurrentPodHash, step: ptr.Deref(ro.Status.CurrentStepIndex, -1),
		abort: ro.Status.Abort, message: ro.Status.Message,
	}
	if ro.Spec.Template != nil && len(ro.Spec.Template.Spec.Containers) > 0 {
		s.image = ro.Spec.Template.Spec.Containers[0].Image
	}
	return s
}

// settledOn tells whether the Rollout runs image, stable and Healthy, with
// its latest spec handled.
func (s rolloutState) settledOn(image string) bool {
	return s.phase == rampv1alpha1.RolloutPhaseHealthy && s.observed == s.generation && s.generation > 0 &&
		s.stable != "" && s.stable == s.current && s.image == image
}

func (s rolloutState) String() string {
	return fmt.Sprintf("image %s, generation %d observed %d, phase %s, step %d, stable %s current %s, abort %v: %s",
		s.image, s.generation, s.observed, s.phase, s.step, s.stable, s.current, s.abort, s.message)
}

// replicaSetState sums up a ReplicaSet of a Rollout.
type replicaSetState struct {
	owner    string
	replicas int32
}

func summarizeReplicaSet(o client.Object) replicaSetState {
	rs, ok := o.(*appsv1.ReplicaSet)
	if !ok {
		return replicaSetState{}
	}
	return replicaSetState{owner: rolloutOwner(rs), replicas: ptr.Deref(rs.Spec.Replicas, 0)}
}

// rolloutOwner is the namespace/name of the Rollout that owns obj, "" for
// none.
func rolloutOwner(obj client.Object) string {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == "Rollout" {
			return obj.GetNamespace() + "/" + ref.Name
		}
	}
	return ""
}

// runState sums up an AnalysisRun.
type runState struct {
	owner     string
	completed bool
}

func summarizeRun(o client.Object) runState {
	run, ok := o.(*rampv1alpha1.AnalysisRun)
	if !ok {
		return runState{}
	}
	return runState{owner: rolloutOwner(run), completed: run.Status.Phase.Completed()}
}

// canaryWeight is the weight of the canary Service (<rollout>-canary) in
// the first rule of an HTTPRoute, -1 when it has none.
func canaryWeight(o client.Object) int32 {
	route, ok := o.(*gatewayv1.HTTPRoute)
	if !ok || len(route.Spec.Rules) == 0 {
		return -1
	}
	for _, ref := range route.Spec.Rules[0].BackendRefs {
		if string(ref.Name) == route.Name+"-canary" {
			return ptr.Deref(ref.Weight, 1)
		}
	}
	return -1
}
