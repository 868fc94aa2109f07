package rollout

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestSurgeAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		replicas                   int32
		surge, unavailable         *intstr.IntOrString
		wantSurge, wantUnavailable int32
	}{
		{4, nil, nil, 1, 1},
		{10, nil, nil, 3, 2}, // 2.5 rounds up for surge, down for unavailable
		{1, nil, nil, 1, 0},
		{0, nil, nil, 0, 1},
		{4, ptr.To(intstr.FromInt32(2)), ptr.To(intstr.FromInt32(0)), 2, 0},
		{4, ptr.To(intstr.FromString("0%")), ptr.To(intstr.FromString("10%")), 0, 1}, // both round to 0
		{20, ptr.To(intstr.FromString("50%")), ptr.To(intstr.FromString("100%")), 10, 20},
	} {
		s, u, err := surgeAndUnavailable(tc.replicas, tc.surge, tc.unavailable)
		if err != nil {
			t.Fatal(err)
		}
		if s != tc.wantSurge || u != tc.wantUnavailable {
			t.Errorf("replicas %d, surge %v, unavailable %v: got %d/%d, want %d/%d",
				tc.replicas, tc.surge, tc.unavailable, s, u, tc.wantSurge, tc.wantUnavailable)
		}
	}
}

func TestBasicCanaryCounts(t *testing.T) {
	for _, tc := range []struct {
		replicas, weight, surge int32
		canary, stable          int32
	}{
		{4, 0, 1, 0, 4},
		{4, 25, 1, 1, 3},
		{4, 50, 1, 2, 2},
		{4, 75, 1, 3, 1},
		{4, 100, 1, 4, 0},
		{10, 1, 3, 1, 9},   // any weight above 0 gets a canary pod
		{10, 33, 3, 4, 6},  // rounded up
		{10, 99, 3, 10, 1}, // keeps a stable pod with surge room
		{10, 99, 0, 10, 0}, // without surge the stable pod cannot stay
		{1, 50, 1, 1, 1},
		{0, 50, 1, 0, 0},
	} {
		c, s := basicCanaryCounts(tc.replicas, tc.weight, tc.surge)
		if c != tc.canary || s != tc.stable {
			t.Errorf("replicas %d weight %d surge %d: canary/stable %d/%d, want %d/%d",
				tc.replicas, tc.weight, tc.surge, c, s, tc.canary, tc.stable)
		}
	}
}

func TestPlanScale(t *testing.T) {
	for _, tc := range []struct {
		name               string
		rs                 []scaleTarget
		replicas           int32
		surge, unavailable int32
		want               []int32
	}{
		{"canary grows by the surge, stable shrinks by the unavailable budget",
			[]scaleTarget{{0, 0, 1}, {4, 4, 3}}, 4, 1, 1, []int32{1, 3}},
		{"no surge: stable shrinks first, canary takes the freed room",
			[]scaleTarget{{0, 0, 2}, {4, 4, 2}}, 4, 0, 1, []int32{1, 3}},
		{"no unavailable budget: canary surges, stable waits for it",
			[]scaleTarget{{0, 0, 2}, {4, 4, 2}}, 4, 1, 0, []int32{1, 4}},
		{"stable shrinks once canary pods are available, canary takes the room",
			[]scaleTarget{{1, 1, 2}, {4, 4, 2}}, 4, 1, 0, []int32{2, 3}},
		{"unavailable pods may always go",
			[]scaleTarget{{2, 2, 2}, {4, 1, 2}}, 4, 0, 0, []int32{2, 2}},
		{"abort: stable grows first, canary drains by the budget",
			[]scaleTarget{{2, 2, 4}, {2, 2, 0}}, 4, 1, 1, []int32{4, 1}},
		{"an old ReplicaSet is drained before the stable one",
			[]scaleTarget{{0, 0, 1}, {3, 3, 3}, {1, 1, 0}}, 4, 1, 1, []int32{1, 3, 0}},
		{"scaled in by an autoscaler: both shrink at once",
			[]scaleTarget{{2, 2, 1}, {4, 4, 1}}, 2, 1, 0, []int32{1, 1}},
		{"nothing to do",
			[]scaleTarget{{1, 1, 1}, {3, 3, 3}}, 4, 1, 1, []int32{1, 3}},
	} {
		got := planScale(tc.rs, tc.replicas, tc.surge, tc.unavailable)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// simulation walks a rollout through a list of weights with the planner,
// with every pod it creates becoming available on the following round (or,
// when slow, one pod per ReplicaSet per round), and checks the invariants
// after every round.
type simulation struct {
	replicas, surge, unavailable int32
	canary, stable, old          scaleTarget
	slow                         bool
}

func (s *simulation) check(t *testing.T, label string, before, after []int32, avail []int32) {
	t.Helper()
	var total, availableAfter, availableBefore int32
	for i := range after {
		total += after[i]
		availableBefore += min(avail[i], before[i])
		availableAfter += min(avail[i], after[i])
		if after[i] < 0 {
			t.Fatalf("%s: negative size %v", label, after)
		}
	}
	if total > s.replicas+s.surge && total > sum(before) {
		t.Fatalf("%s: %d pods exceed replicas %d + surge %d (before %v, after %v)", label, total, s.replicas, s.surge, before, after)
	}
	floor := min(availableBefore, s.replicas-s.unavailable)
	if availableAfter < floor {
		t.Fatalf("%s: available pods drop to %d, below %d (replicas %d - unavailable %d); before %v after %v available %v",
			label, availableAfter, floor, s.replicas, s.unavailable, before, after, avail)
	}
}

func sum(v []int32) int32 {
	var s int32
	for _, x := range v {
		s += x
	}
	return s
}

// step runs rounds until the targets are reached and available.
func (s *simulation) step(t *testing.T, label string, order func() []*scaleTarget) {
	t.Helper()
	for round := 0; round < 200; round++ {
		ptrs := order()
		rs := make([]scaleTarget, len(ptrs))
		before := make([]int32, len(ptrs))
		avail := make([]int32, len(ptrs))
		for i, p := range ptrs {
			rs[i] = *p
			before[i] = p.current
			avail[i] = p.available
		}
		if scaleDone(rs) {
			return
		}
		next := planScale(rs, s.replicas, s.surge, s.unavailable)
		s.check(t, fmt.Sprintf("%s round %d", label, round), before, next, avail)
		for i, p := range ptrs {
			p.current = next[i]
			p.available = min(p.available, p.current)
			if p.available < p.current {
				if s.slow {
					p.available++
				} else {
					p.available = p.current
				}
			}
		}
	}
	t.Fatalf("%s: no convergence: canary %+v stable %+v old %+v", label, s.canary, s.stable, s.old)
}

// TestPlannerInvariants walks every combination of replicas 0..20, every
// weight 0..100, and maxSurge/maxUnavailable as counts and percentages
// through a canary (to the weight, then to full promotion) and through an
// abort from that weight, checking that the pods never exceed replicas +
// maxSurge, available pods never drop below replicas - maxUnavailable, any
// weight from 1 to 99 ends with at least one canary pod, and each step
// converges.
func TestPlannerInvariants(t *testing.T) {
	values := []intstr.IntOrString{
		intstr.FromInt32(0), intstr.FromInt32(1), intstr.FromInt32(2), intstr.FromInt32(5),
		intstr.FromString("0%"), intstr.FromString("10%"), intstr.FromString("25%"),
		intstr.FromString("50%"), intstr.FromString("100%"),
	}
	scenarios := 0
	for replicas := int32(0); replicas <= 20; replicas++ {
		for _, ms := range values {
			for _, mu := range values {
				surge, unavailable, err := surgeAndUnavailable(replicas, &ms, &mu)
				if err != nil {
					t.Fatal(err)
				}
				for weight := int32(0); weight <= 100; weight++ {
					for _, slow := range []bool{false, true} {
						scenarios++
						runScenario(t, replicas, weight, surge, unavailable, slow, ms, mu)
					}
				}
			}
		}
	}
	t.Logf("%d scenarios", scenarios)
}

func runScenario(t *testing.T, replicas, weight, surge, unavailable int32, slow bool, ms, mu intstr.IntOrString) {
	t.Helper()
	label := fmt.Sprintf("replicas=%d weight=%d maxSurge=%s maxUnavailable=%s slow=%v", replicas, weight, ms.String(), mu.String(), slow)
	s := &simulation{replicas: replicas, surge: surge, unavailable: unavailable, slow: slow,
		stable: scaleTarget{current: replicas, available: replicas}}
	progress := func() []*scaleTarget { return []*scaleTarget{&s.canary, &s.stable} }

	// To the weight.
	s.canary.target, s.stable.target = basicCanaryCounts(replicas, weight, surge)
	s.step(t, label+" setWeight", progress)
	if replicas > 0 && weight > 0 && weight < 100 && s.canary.available < 1 {
		t.Fatalf("%s: no canary pod", label)
	}
	if s.canary.current+s.stable.current > replicas+surge {
		t.Fatalf("%s: ends with %d pods", label, s.canary.current+s.stable.current)
	}

	// Abort from there: back to the stable version.
	aborted := *s
	a := &aborted
	a.canary.target, a.stable.target = 0, replicas
	a.step(t, label+" abort", func() []*scaleTarget { return []*scaleTarget{&a.stable, &a.canary} })

	// Superseded from there: the canary becomes an old ReplicaSet and a new
	// canary starts at 25%.
	sup := *s
	sp := &sup
	sp.old = sp.canary
	sp.old.target = 0
	sp.canary = scaleTarget{}
	sp.canary.target, sp.stable.target = basicCanaryCounts(replicas, 25, surge)
	sp.step(t, label+" superseded", func() []*scaleTarget { return []*scaleTarget{&sp.canary, &sp.stable, &sp.old} })

	// Promotion: the canary takes all replicas and the old stable drains.
	s.canary.target, s.stable.target = replicas, 0
	s.step(t, label+" promote", progress)
}

// FuzzPlanScale feeds the planner arbitrary states, including ones that
// already break the invariants, and checks it never makes them worse.
func FuzzPlanScale(f *testing.F) {
	f.Add(int32(4), int32(1), int32(1), int32(0), int32(0), int32(1), int32(4), int32(4), int32(3), int32(0), int32(0), int32(0))
	f.Fuzz(func(t *testing.T, replicas, surge, unavailable, c, ca, ct, s, sa, st, o, oa, ot int32) {
		bound := func(v int32) int32 { return max(0, v%50) }
		replicas, surge, unavailable = bound(replicas), bound(surge), bound(unavailable)
		rs := []scaleTarget{
			{bound(c), 0, bound(ct)}, {bound(s), 0, bound(st)}, {bound(o), 0, bound(ot)},
		}
		for i, a := range []int32{ca, sa, oa} {
			rs[i].available = min(bound(a), rs[i].current)
		}
		before := []int32{rs[0].current, rs[1].current, rs[2].current}
		avail := []int32{rs[0].available, rs[1].available, rs[2].available}
		next := planScale(rs, replicas, surge, unavailable)
		sim := &simulation{replicas: replicas, surge: surge, unavailable: unavailable}
		sim.check(t, "fuzz", before, next, avail)
		for i := range rs {
			lo, hi := min(rs[i].current, rs[i].target), max(rs[i].current, rs[i].target)
			if next[i] < lo || next[i] > hi {
				t.Fatalf("size %d moved away from its target: %+v -> %d", i, rs[i], next[i])
			}
		}
	})
}

// A ReplicaSet whose status predates its spec counts no available pod:
// the planner cannot scale another version down on the strength of pods a
// scale-down may be taking away.
func TestScaleTargetsStaleStatus(t *testing.T) {
	rs := func(gen, observed int64) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Generation: gen},
			Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2)},
			Status:     appsv1.ReplicaSetStatus{ObservedGeneration: observed, AvailableReplicas: 2},
		}
	}
	got := scaleTargets([]planEntry{{rs: rs(3, 3), target: 2}, {rs: rs(4, 3), target: 0}})
	if got[0].available != 2 || got[1].available != 0 {
		t.Errorf("available %d and %d, want 2 (status current) and 0 (status older than the spec)", got[0].available, got[1].available)
	}
	// The stable version back at 2 pods by a spec the ReplicaSet controller
	// has not seen, and a canary with 1 available pod: the canary's pod
	// stays until the stable one's count is known (maxUnavailable 0).
	next := planScale(scaleTargets([]planEntry{{rs: rs(5, 4), target: 2}, {rs: &appsv1.ReplicaSet{
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1)}, Status: appsv1.ReplicaSetStatus{AvailableReplicas: 1},
	}, target: 0}}), 2, 1, 0)
	if next[1] != 1 {
		t.Errorf("the canary was scaled to %d on a stale stable count, want it kept at 1", next[1])
	}
}
