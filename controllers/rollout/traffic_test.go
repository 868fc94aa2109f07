package rollout

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestRoutedCounts(t *testing.T) {
	scale := func(sc rampv1alpha1.SetCanaryScale) rampv1alpha1.CanaryStep {
		return rampv1alpha1.CanaryStep{SetCanaryScale: &sc}
	}
	steps := []rampv1alpha1.CanaryStep{
		setWeight(10), scale(rampv1alpha1.SetCanaryScale{Replicas: ptr.To[int32](3)}), setWeight(20),
		scale(rampv1alpha1.SetCanaryScale{Weight: ptr.To[int32](50)}), scale(rampv1alpha1.SetCanaryScale{MatchTrafficWeight: true}), setWeight(60),
	}
	for _, tc := range []struct {
		weight, index, setOnRoutes int32
		dynamic                    bool
		canary, stable             int32
	}{
		{10, 0, 0, false, 1, 10},  // ceil(10% of 10)
		{10, 1, 10, false, 3, 10}, // setCanaryScale replicas 3
		{20, 2, 10, false, 3, 10}, // still in force after a setWeight
		{20, 3, 20, false, 5, 10}, // setCanaryScale weight 50
		{20, 4, 20, false, 2, 10}, // back to the traffic weight
		{60, 5, 60, false, 6, 10},
		{60, 5, 60, true, 6, 4}, // dynamicStableScale: the stable version shrinks by the weight set
		{60, 5, 20, true, 6, 8}, // ... the weight actually set, not the one wanted
		{100, 6, 100, true, 10, 0},
	} {
		s := testScope("c", rampv1alpha1.RolloutStatus{StableRS: "s"})
		s.replicas = 10
		c := s.rollout.Spec.Strategy.Canary
		c.Steps = steps
		c.DynamicStableScale = ptr.To(tc.dynamic)
		s.rollout.Status.Canary.Weights = &rampv1alpha1.TrafficWeights{Canary: rampv1alpha1.WeightDestination{Weight: tc.setOnRoutes}}
		canary, stable := routedCounts(s, tc.weight, tc.index)
		if canary != tc.canary || stable != tc.stable {
			t.Errorf("weight %d at step %d (routes at %d, dynamic %v): canary/stable %d/%d, want %d/%d",
				tc.weight, tc.index, tc.setOnRoutes, tc.dynamic, canary, stable, tc.canary, tc.stable)
		}
	}
}

func TestLastRouteStep(t *testing.T) {
	header := func(name string, match bool) rampv1alpha1.CanaryStep {
		h := &rampv1alpha1.SetHeaderRoute{Name: name}
		if match {
			h.Match = []rampv1alpha1.HeaderRoutingMatch{{HeaderName: "x-canary", HeaderValue: rampv1alpha1.StringMatch{Exact: ptr.To("yes")}}}
		}
		return rampv1alpha1.CanaryStep{SetHeaderRoute: h}
	}
	mirror := func(name string) rampv1alpha1.CanaryStep {
		return rampv1alpha1.CanaryStep{SetMirrorRoute: &rampv1alpha1.SetMirrorRoute{Name: name,
			Match: []rampv1alpha1.RouteMatch{{Path: &rampv1alpha1.StringMatch{Prefix: ptr.To("/api")}}}}}
	}
	steps := []rampv1alpha1.CanaryStep{header("a", true), setWeight(10), header("b", true), header("a", false), mirror("b"), header("b", true)}
	for _, tc := range []struct {
		index int32
		route string
		want  string
	}{
		{0, "a", "header"}, {2, "a", "header"}, {3, "a", "removed"}, {1, "b", "removed"}, {2, "b", "header"},
		{4, "b", "mirror"}, {5, "b", "header"}, {5, "c", "removed"},
	} {
		h, m := lastRouteStep(steps, tc.index, tc.route)
		var got string
		switch {
		case m != nil:
			got = "mirror"
		case len(h.Match) > 0:
			got = "header"
		default:
			got = "removed"
		}
		if got != tc.want || (m != nil && m.Name != tc.route) || (m == nil && h.Name != tc.route) {
			t.Errorf("route %s at step %d: %s, want %s", tc.route, tc.index, got, tc.want)
		}
	}
}

func TestHeldUp(t *testing.T) {
	rs := testRS("old", "1", 4, 4)
	s := testScope("new", rampv1alpha1.RolloutStatus{StableRS: "new"})
	if heldUp(s, rs) {
		t.Error("held without a deadline")
	}
	rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] = testNow.Add(30 * time.Second).Format(time.RFC3339)
	if !heldUp(s, rs) || s.requeueAfter != 30*time.Second {
		t.Errorf("not held before its deadline, or no wake-up at it (%v)", s.requeueAfter)
	}
	rs.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] = testNow.Add(-time.Second).Format(time.RFC3339)
	if heldUp(s, rs) {
		t.Error("held after its deadline")
	}
	canary := testRS("new", "2", 1, 1)
	canary.Annotations[rampv1alpha1.AnnotationScaleDownDeadline] = keepForever
	aborted := testScope("new", rampv1alpha1.RolloutStatus{StableRS: "old", Abort: true})
	if !heldUp(aborted, canary) {
		t.Error("an aborted canary with abortScaleDownDelaySeconds 0 was not kept up")
	}
	next := testScope("newer", rampv1alpha1.RolloutStatus{StableRS: "old"})
	if heldUp(next, canary) {
		t.Error("an aborted canary was kept up after the next update")
	}
}
