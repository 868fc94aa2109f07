package rollout

import (
	"k8s.io/apimachinery/pkg/util/intstr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds the replica-count planner: pure functions from the
// observed counts to the counts each ReplicaSet should be scaled to. The
// reconciler only applies what they return.

// scaleTarget is one ReplicaSet as the planner sees it.
type scaleTarget struct {
	// current is spec.replicas now.
	current int32
	// available is status.availableReplicas, at most current.
	available int32
	// target is where the ReplicaSet should end up.
	target int32
}

// surgeAndUnavailable resolves maxSurge (percentages rounded up) and
// maxUnavailable (rounded down) against replicas. As for Deployments, when
// both come out 0, maxUnavailable becomes 1 so the rollout can progress.
func surgeAndUnavailable(replicas int32, maxSurge, maxUnavailable *intstr.IntOrString) (surge, unavailable int32, err error) {
	s := rampv1alpha1.DefaultMaxSurge
	if maxSurge != nil {
		s = *maxSurge
	}
	u := rampv1alpha1.DefaultMaxUnavailable
	if maxUnavailable != nil {
		u = *maxUnavailable
	}
	surgeInt, err := intstr.GetScaledValueFromIntOrPercent(&s, int(replicas), true)
	if err != nil {
		return 0, 0, err
	}
	unavailableInt, err := intstr.GetScaledValueFromIntOrPercent(&u, int(replicas), false)
	if err != nil {
		return 0, 0, err
	}
	if surgeInt == 0 && unavailableInt == 0 {
		unavailableInt = 1
	}
	return int32(surgeInt), int32(unavailableInt), nil
}

// basicCanaryCounts splits replicas between canary and stable for a canary
// without a traffic router, where the share of pods is the traffic split.
// Any weight from 1 to 99 keeps at least one canary pod, and one stable pod
// when the surge allows it, so both versions keep serving.
func basicCanaryCounts(replicas, weight, surge int32) (canary, stable int32) {
	switch {
	case replicas <= 0:
		return 0, 0
	case weight <= 0:
		return 0, replicas
	case weight >= 100:
		return replicas, 0
	}
	canary = int32((int64(replicas)*int64(weight) + 99) / 100)
	canary = max(1, min(canary, replicas))
	stable = replicas - canary
	if stable == 0 && surge > 0 {
		stable = 1
	}
	return canary, stable
}

// planScale moves every ReplicaSet from its current size towards its target
// and returns the new sizes, in the order given. It keeps two invariants:
//
//   - the pods of all ReplicaSets together never exceed replicas + surge
//     (scale-ups only use the room left);
//   - available pods never drop below replicas - unavailable because of a
//     scale-down (pods that are not available may always be removed; the
//     ReplicaSet controller removes those first).
//
// Scale-downs happen before scale-ups, so the room they free is used at
// once. Scale-ups go in slice order; scale-downs in reverse order, so put
// the ReplicaSet that should grow first at the front and the ones to drain
// first at the back.
func planScale(rs []scaleTarget, replicas, surge, unavailable int32) []int32 {
	next := make([]int32, len(rs))
	var total, available int32
	for i, r := range rs {
		next[i] = r.current
		total += r.current
		available += min(r.available, r.current)
	}
	budget := max(0, available-(replicas-unavailable))
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.current <= r.target {
			continue
		}
		want := r.current - r.target
		free := r.current - min(r.available, r.current)
		cut := min(want, free)
		fromBudget := min(want-cut, budget)
		budget -= fromBudget
		cut += fromBudget
		next[i] -= cut
		total -= cut
	}
	room := max(0, replicas+surge-total)
	for i, r := range rs {
		if next[i] >= r.target || room == 0 {
			continue
		}
		grow := min(r.target-next[i], room)
		next[i] += grow
		room -= grow
	}
	return next
}

// scaleDone reports whether every ReplicaSet is at its target with all of
// its pods available.
func scaleDone(rs []scaleTarget) bool {
	for _, r := range rs {
		if r.current != r.target || r.available < r.target {
			return false
		}
	}
	return true
}
