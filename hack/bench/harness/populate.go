package harness

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// idlePerNamespace is how many idle Rollouts share a namespace.
const idlePerNamespace = 100

// idleNamespacePrefix starts the names of the idle Rollouts' namespaces.
const idleNamespacePrefix = "bench-idle-"

// labelScenario marks the namespaces of the scenarios run beside size idle
// Rollouts with that size; they are deleted once the size is done.
const labelScenario = "bench.ramp.dev/size"

// populate creates idle Rollouts from..to-1 and waits until every idle
// Rollout is Healthy.
func (b *bench) populate(ctx context.Context, from, to int) error {
	if to <= from {
		return nil
	}
	var namespaces []string
	for ns := from / idlePerNamespace; ns <= (to-1)/idlePerNamespace; ns++ {
		namespaces = append(namespaces, fmt.Sprintf("%s%03d", idleNamespacePrefix, ns))
	}
	if err := forEach(ctx, len(namespaces), b.cfg.Concurrency, func(ctx context.Context, i int) error {
		return create(ctx, b.k8s, namespaceObjects(namespaces[i], b.web.url())...)
	}); err != nil {
		return err
	}
	specs := make([]rolloutSpec, 0, to-from)
	want := maps.Clone(b.want)
	for i := from; i < to; i++ {
		s := rolloutSpec{
			ns: fmt.Sprintf("%s%03d", idleNamespacePrefix, i/idlePerNamespace), name: fmt.Sprintf("idle-%05d", i), group: "idle",
			routed: pick(i, b.cfg.RoutedShare), analysis: pick(i, b.cfg.AnalysisShare), steps: setWeights(50),
		}
		specs = append(specs, s)
		want[s.key()] = imageOf(1)
	}
	b.want = want
	b.idle = append(b.idle, specs...)
	b.rollouts.setPred(settledOnWanted(want))
	if err := forEach(ctx, len(specs), b.cfg.Concurrency, func(ctx context.Context, i int) error {
		return create(ctx, b.k8s, specs[i].objects()...)
	}); err != nil {
		return err
	}
	return b.rollouts.waitMatching(ctx, to, waitFor(to-from), fmt.Sprintf("%d idle Rollouts to be Healthy", to), describeRollout)
}

// history walks the idle Rollouts from..to-1 through HistoryUpdates image
// updates, one round at a time, and waits until their old ReplicaSets are
// scaled down and their finished AnalysisRuns trimmed to the history limit.
func (b *bench) history(ctx context.Context, from, to int) error {
	if to <= from || b.cfg.HistoryUpdates == 0 {
		return nil
	}
	specs := b.idle[from:to]
	for round := 1; round <= b.cfg.HistoryUpdates; round++ {
		image := imageOf(1 + round)
		want := maps.Clone(b.want)
		for _, s := range specs {
			want[s.key()] = image
		}
		b.want = want
		b.rollouts.setPred(settledOnWanted(want))
		if err := forEach(ctx, len(specs), b.cfg.Concurrency, func(ctx context.Context, i int) error {
			return setImage(ctx, b.k8s, specs[i].key(), image)
		}); err != nil {
			return err
		}
		if err := b.rollouts.waitMatching(ctx, to, waitFor(to-from), fmt.Sprintf("history round %d: %d idle Rollouts Healthy on %s", round, to, image),
			describeRollout); err != nil {
			return err
		}
	}
	// Every old ReplicaSet scaled to zero.
	old := b.cfg.HistoryUpdates * to
	b.replicaSets.setPred(func(_ string, s replicaSetState) bool { return s.replicas == 0 })
	if err := b.replicaSets.waitMatching(ctx, old, waitFor(to-from), fmt.Sprintf("%d old ReplicaSets scaled to zero", old),
		func(k string, s replicaSetState) string { return fmt.Sprintf("%s: %d replicas", k, s.replicas) }); err != nil {
		b.note("%d idle: %v", to, err)
	}
	// Each idle Rollout with analysis runs three per update and keeps the
	// last five successful ones.
	withAnalysis := 0
	for _, s := range b.idle {
		if s.analysis {
			withAnalysis++
		}
	}
	runs := withAnalysis * min(3*b.cfg.HistoryUpdates, int(rampv1alpha1.DefaultRunHistoryLimit))
	b.runs.setPred(func(_ string, s runState) bool { return s.completed && strings.HasPrefix(s.owner, idleNamespacePrefix) })
	err := b.runs.await(ctx, waitFor(to-from), 0, fmt.Sprintf("%d finished AnalysisRuns of idle Rollouts", runs),
		func() bool { return b.runs.matching == runs }, func() string {
			return fmt.Sprintf("%d finished AnalysisRuns of idle Rollouts", b.runs.matching)
		})
	if err != nil {
		b.note("%d idle: %v", to, err)
	}
	return nil
}

// settledOnWanted holds for a Rollout that is Healthy on the image it was
// last given.
func settledOnWanted(want map[string]string) func(string, rolloutState) bool {
	return func(key string, s rolloutState) bool {
		image, ok := want[key]
		return ok && s.settledOn(image)
	}
}

func describeRollout(key string, s rolloutState) string { return key + ": " + s.String() }

// waitFor is how long to wait for n Rollouts to get somewhere: generous,
// since a wait also stops when nothing changes for a few minutes.
func waitFor(n int) time.Duration {
	return 5*time.Minute + time.Duration(n)*time.Second
}

// createScenario creates the namespaces (labeled with the size) and
// Rollouts of a scenario, starts a tracker of the group's Rollouts with
// hook, and waits until they are all Healthy. Stop the tracker with the
// function returned.
func (b *bench) createScenario(ctx context.Context, size int, group string, specs []rolloutSpec,
	hook func(time.Time, string, rolloutState)) (*tracker[rolloutState], context.CancelFunc, error) {
	seen := map[string]bool{}
	var objs []client.Object
	for _, s := range specs {
		if seen[s.ns] {
			continue
		}
		seen[s.ns] = true
		nsObjs := namespaceObjects(s.ns, b.web.url())
		nsObjs[0].SetLabels(map[string]string{labelScenario: fmt.Sprint(size)})
		objs = append(objs, nsObjs...)
	}
	if err := create(ctx, b.k8s, objs...); err != nil {
		return nil, nil, err
	}
	tctx, cancel := context.WithCancel(ctx)
	tr, err := startTracker(tctx, b.k8s, &rampv1alpha1.RolloutList{}, []client.ListOption{client.MatchingLabels{labelGroup: group}},
		summarizeRollout, hook)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	want := map[string]string{}
	for _, s := range specs {
		want[s.key()] = imageOf(1)
	}
	tr.setPred(settledOnWanted(want))
	err = forEach(ctx, len(specs), b.cfg.Concurrency, func(ctx context.Context, i int) error {
		return create(ctx, b.k8s, specs[i].objects()...)
	})
	if err == nil {
		err = tr.waitMatching(ctx, len(specs), waitFor(len(specs)), fmt.Sprintf("%d %s Rollouts to be Healthy", len(specs), group), describeRollout)
	}
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return tr, cancel, nil
}

// waitSettled waits until the Rollout key is Healthy on image.
func waitSettled(ctx context.Context, tr *tracker[rolloutState], key, image string, timeout time.Duration) error {
	return tr.await(ctx, timeout, 0, fmt.Sprintf("Rollout %s to be Healthy on %s", key, image), func() bool {
		s, ok := tr.items[key]
		return ok && s.settledOn(image)
	}, func() string {
		return describeRollout(key, tr.items[key])
	})
}
