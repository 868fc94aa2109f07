package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// This file holds watchers that collect every change to objects while a
// test runs, for checks on the whole history rather than on one moment.
// They are generic enough for the framework package; they live here because
// this package is their only user.

// follow lists the objects of list's kind matching opts and hands them to
// onList, then hands every later change to onEvent, in the order the API
// server made them, until ctx ends. It resumes a closed watch where it
// stopped and lists again (onList again) when the watch cannot resume.
func follow(ctx context.Context, k8s client.WithWatch, list client.ObjectList, opts []client.ListOption,
	onList func([]client.Object), onEvent func(watch.EventType, client.Object)) {
	for ctx.Err() == nil {
		rv, err := listOnce(ctx, k8s, list, opts, onList)
		if err != nil {
			// Retry a failed list without hammering the API server.
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		for resume := true; resume && ctx.Err() == nil; {
			rv, resume = watchOnce(ctx, k8s, list, opts, rv, onEvent)
		}
	}
}

func listOnce(ctx context.Context, k8s client.WithWatch, list client.ObjectList, opts []client.ListOption,
	onList func([]client.Object)) (string, error) {
	l, ok := list.DeepCopyObject().(client.ObjectList)
	if !ok {
		return "", fmt.Errorf("%T is not a list", list)
	}
	if err := k8s.List(ctx, l, opts...); err != nil {
		return "", err
	}
	items, err := meta.ExtractList(l)
	if err != nil {
		return "", err
	}
	objs := make([]client.Object, 0, len(items))
	for _, it := range items {
		if o, ok := it.(client.Object); ok {
			objs = append(objs, o)
		}
	}
	onList(objs)
	return l.GetResourceVersion(), nil
}

// watchOnce follows one watch from rv. It returns the last resource version
// seen and whether a new watch can resume from it.
func watchOnce(ctx context.Context, k8s client.WithWatch, list client.ObjectList, opts []client.ListOption, rv string,
	onEvent func(watch.EventType, client.Object)) (string, bool) {
	l, ok := list.DeepCopyObject().(client.ObjectList)
	if !ok {
		return rv, false
	}
	opts = append(slices.Clone(opts), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
	w, err := k8s.Watch(ctx, l, opts...)
	if err != nil {
		return rv, false
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, false
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv, true
			}
			if ev.Type == watch.Error {
				return rv, false
			}
			obj, ok := ev.Object.(client.Object)
			if !ok {
				continue
			}
			rv = obj.GetResourceVersion()
			if ev.Type != watch.Bookmark {
				onEvent(ev.Type, obj)
			}
		}
	}
}

// background runs fn in a goroutine until stop is called; stop waits for
// it to return.
func background(fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

// notifier lets a test wait for a watcher's next change.
type notifier struct {
	ch chan struct{}
}

func newNotifier() notifier { return notifier{ch: make(chan struct{})} }

// notify wakes the waiters; call it with the watcher's lock held.
func (n *notifier) notify() {
	close(n.ch)
	n.ch = make(chan struct{})
}

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
	rs      map[types.UID]*appsv1.ReplicaSet
	changed notifier
	// listed is closed after the first list.
	listed     chan struct{}
	snapshots  int
	maxTotal   int32
	violations []string
}

// watchBounds starts a boundsMonitor on the fixture's Rollout. It returns
// once the monitor has seen the current ReplicaSets; call check at the end.
func (f *fixture) watchBounds(maxPods, minAvailable int32) *boundsMonitor {
	f.t.Helper()
	m := &boundsMonitor{t: f.t, owner: f.name(), maxPods: maxPods, minAvailable: minAvailable,
		rs: map[types.UID]*appsv1.ReplicaSet{}, changed: newNotifier(), listed: make(chan struct{})}
	var once sync.Once
	m.stop = background(func(ctx context.Context) {
		follow(ctx, f.k8s, &appsv1.ReplicaSetList{}, []client.ListOption{client.InNamespace(f.ns)},
			func(objs []client.Object) {
				m.mu.Lock()
				defer m.mu.Unlock()
				clear(m.rs)
				for _, o := range objs {
					if rs, ok := o.(*appsv1.ReplicaSet); ok {
						m.rs[rs.UID] = rs.DeepCopy()
					}
				}
				m.observe()
				once.Do(func() { close(m.listed) })
			},
			func(typ watch.EventType, o client.Object) {
				rs, ok := o.(*appsv1.ReplicaSet)
				if !ok {
					return
				}
				m.mu.Lock()
				defer m.mu.Unlock()
				if typ == watch.Deleted {
					delete(m.rs, rs.UID)
				} else {
					m.rs[rs.UID] = rs.DeepCopy()
				}
				m.observe()
			})
	})
	f.t.Cleanup(m.stop)
	select {
	case <-m.listed:
	case <-time.After(waitTimeout):
		f.t.Fatal("the ReplicaSet watch did not list the ReplicaSets")
	}
	return m
}

// owned returns the Rollout's ReplicaSets by name. Call with mu held.
func (m *boundsMonitor) owned() map[string]*appsv1.ReplicaSet {
	out := map[string]*appsv1.ReplicaSet{}
	for _, rs := range m.rs {
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.Kind == "Rollout" && ref.Name == m.owner {
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
	m.changed.notify()
}

// await waits until the monitor has seen the ReplicaSets (by name) in a
// state where cond holds, so the checks cover the whole update.
func (m *boundsMonitor) await(what string, cond func(map[string]*appsv1.ReplicaSet) bool) {
	m.t.Helper()
	timeout := time.After(waitTimeout)
	for {
		m.mu.Lock()
		ok := cond(m.owned())
		ch, state := m.changed.ch, m.describe()
		m.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			m.t.Fatalf("the ReplicaSet watch did not see %s within %v; last state: %s", what, waitTimeout, state)
		}
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
	changed notifier
	listed  chan struct{}
}

// recordHistory starts recording the fixture's Rollout. It returns once the
// current version is recorded.
func (f *fixture) recordHistory() *history {
	f.t.Helper()
	h := &history{t: f.t, changed: newNotifier(), listed: make(chan struct{})}
	add := func(o client.Object) {
		if ro, ok := o.(*rampv1alpha1.Rollout); ok {
			h.items = append(h.items, ro.DeepCopy())
		}
	}
	var once sync.Once
	h.stop = background(func(ctx context.Context) {
		follow(ctx, f.k8s, &rampv1alpha1.RolloutList{},
			[]client.ListOption{client.InNamespace(f.ns), client.MatchingFields{"metadata.name": f.name()}},
			func(objs []client.Object) {
				h.mu.Lock()
				defer h.mu.Unlock()
				for _, o := range objs {
					add(o)
				}
				h.changed.notify()
				once.Do(func() { close(h.listed) })
			},
			func(typ watch.EventType, o client.Object) {
				if typ == watch.Deleted {
					return
				}
				h.mu.Lock()
				defer h.mu.Unlock()
				add(o)
				h.changed.notify()
			})
	})
	f.t.Cleanup(h.stop)
	select {
	case <-h.listed:
	case <-time.After(waitTimeout):
		f.t.Fatal("the Rollout watch did not list the Rollout")
	}
	return h
}

// until waits until a recorded version satisfies cond, stops recording and
// returns the versions up to that one, oldest first.
func (h *history) until(what string, cond func(*rampv1alpha1.Rollout) bool) []*rampv1alpha1.Rollout {
	h.t.Helper()
	defer h.stop()
	timeout := time.After(waitTimeout)
	for {
		h.mu.Lock()
		for i, ro := range h.items {
			if cond(ro) {
				out := slices.Clone(h.items[:i+1])
				h.mu.Unlock()
				return out
			}
		}
		ch, n := h.changed.ch, len(h.items)
		last := "nothing"
		if n > 0 {
			last = describeRollout(h.items[n-1])
		}
		h.mu.Unlock()
		select {
		case <-ch:
		case <-timeout:
			h.t.Fatalf("the Rollout watch did not see %s within %v (%d versions); last: %s", what, waitTimeout, n, last)
		}
	}
}
