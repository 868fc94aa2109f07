package rollout

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// This file holds watchers that collect every change to objects while a
// test runs (through framework.FollowObjects and StartFollow), for checks
// on the whole history rather than on one moment.

// boundsMonitor watches the ReplicaSets of one Rollout and checks, after
// every change, that their spec.replicas sum to at most maxPods and their
// available pods to at least minAvailable.
type boundsMonitor struct {
	t                     *testing.T
	owner                 string
	maxPods, minAvailable int32
	stop                  func()

	mu sync.Mutex
	// rs is the latest state of every ReplicaSet of the namespace.
	rs         map[types.UID]*appsv1.ReplicaSet
	changed    framework.Notifier
	snapshots  int
	maxTotal   int32
	violations []string
}

// watchBounds starts a boundsMonitor on the fixture's Rollout. It returns
// once the monitor has seen the current ReplicaSets; call check at the end.
func (f *fixture) watchBounds(maxPods, minAvailable int32) *boundsMonitor {
	f.t.Helper()
	m := &boundsMonitor{t: f.t, owner: f.name(), maxPods: maxPods, minAvailable: minAvailable}
	m.stop = framework.FollowObjects(f.t, f.k8s, &appsv1.ReplicaSetList{}, []client.ListOption{client.InNamespace(f.ns)}, waitTimeout,
		func(rss map[types.UID]*appsv1.ReplicaSet, _ int) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.rs = maps.Clone(rss)
			m.observe()
		})
	return m
}

// owned returns the Rollout's ReplicaSets by name. Call with mu held.
func (m *boundsMonitor) owned() map[string]*appsv1.ReplicaSet {
	out := map[string]*appsv1.ReplicaSet{}
	for _, rs := range m.rs {
		if framework.ControlledBy(rs, "Rollout", m.owner) {
			out[rs.Name] = rs
		}
	}
	return out
}

// describe lists the ReplicaSets' sizes. Call with mu held.
func (m *boundsMonitor) describe() string {
	owned := m.owned()
	names := make([]string, 0, len(owned))
	for n := range owned {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		rs := owned[n]
		parts = append(parts, fmt.Sprintf("%s spec %d available %d (rv %s)", n, ptr.Deref(rs.Spec.Replicas, 0),
			rs.Status.AvailableReplicas, rs.ResourceVersion))
	}
	return strings.Join(parts, "; ")
}

// observe checks the bounds on the current state. Call with mu held.
func (m *boundsMonitor) observe() {
	var total, available int32
	for _, rs := range m.owned() {
		total += ptr.Deref(rs.Spec.Replicas, 0)
		available += rs.Status.AvailableReplicas
	}
	m.snapshots++
	m.maxTotal = max(m.maxTotal, total)
	if total > m.maxPods && len(m.violations) < 10 {
		m.violations = append(m.violations, fmt.Sprintf("%d pods asked for, more than replicas+maxSurge = %d: %s",
			total, m.maxPods, m.describe()))
	}
	if available < m.minAvailable && len(m.violations) < 10 {
		m.violations = append(m.violations, fmt.Sprintf("%d pods available, fewer than replicas-maxUnavailable = %d: %s",
			available, m.minAvailable, m.describe()))
	}
	m.changed.Notify()
}

// await waits until the monitor has seen the ReplicaSets (by name) in a
// state where cond holds, so the checks cover the whole update.
func (m *boundsMonitor) await(what string, cond func(map[string]*appsv1.ReplicaSet) bool) {
	m.t.Helper()
	var state string
	if !framework.Await(waitTimeout, func() (bool, <-chan struct{}) {
		m.mu.Lock()
		defer m.mu.Unlock()
		state = m.describe()
		return cond(m.owned()), m.changed.C()
	}) {
		m.t.Fatalf("the ReplicaSet watch did not see %s within %v; last state: %s", what, waitTimeout, state)
	}
}

// check stops the monitor and reports every time a bound was broken.
func (m *boundsMonitor) check() {
	m.t.Helper()
	m.stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.violations {
		m.t.Errorf("ReplicaSet bounds broken: %s", v)
	}
	m.t.Logf("ReplicaSet watch: %d states checked, at most %d pods asked for", m.snapshots, m.maxTotal)
}

// history records every version of a Rollout the API server stores.
type history struct {
	t    *testing.T
	stop func()

	mu      sync.Mutex
	items   []*rampv1alpha1.Rollout
	changed framework.Notifier
}

// recordHistory starts recording the fixture's Rollout. It returns once the
// current version is recorded.
func (f *fixture) recordHistory() *history {
	f.t.Helper()
	h := &history{t: f.t}
	add := func(o client.Object) {
		if ro, ok := o.(*rampv1alpha1.Rollout); ok {
			h.items = append(h.items, ro.DeepCopy())
		}
	}
	h.stop = framework.StartFollow(f.t, f.k8s, &rampv1alpha1.RolloutList{},
		[]client.ListOption{client.InNamespace(f.ns), client.MatchingFields{"metadata.name": f.name()}}, waitTimeout,
		func(objs []client.Object) {
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, o := range objs {
				add(o)
			}
			h.changed.Notify()
		},
		func(typ watch.EventType, o client.Object) {
			if typ == watch.Deleted {
				return
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			add(o)
			h.changed.Notify()
		})
	return h
}

// until waits until a recorded version satisfies cond, stops recording and
// returns the versions up to that one, oldest first.
func (h *history) until(what string, cond func(*rampv1alpha1.Rollout) bool) []*rampv1alpha1.Rollout {
	h.t.Helper()
	defer h.stop()
	var out []*rampv1alpha1.Rollout
	n, last := 0, "nothing"
	if !framework.Await(waitTimeout, func() (bool, <-chan struct{}) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, ro := range h.items {
			if cond(ro) {
				out = slices.Clone(h.items[:i+1])
				return true, nil
			}
		}
		if n = len(h.items); n > 0 {
			last = framework.DescribeRollout(h.items[n-1])
		}
		return false, h.changed.C()
	}) {
		h.t.Fatalf("the Rollout watch did not see %s within %v (%d versions); last: %s", what, waitTimeout, n, last)
	}
	return out
}
