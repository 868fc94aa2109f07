package bluegreen

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// history records every version of the Services, ReplicaSets, Rollouts and
// AnalysisRuns of a test's namespace, each with its resourceVersion and
// the time it reached the test. Resource versions of one API server are
// etcd revisions: a smaller one was written earlier, whatever the object,
// which lets a test check the order of writes to different objects.
type history struct {
	mu      sync.Mutex
	entries []entry
	// relisted is set when a watch could not resume and listed again:
	// versions written in between may be missing.
	relisted bool
}

// entry is one version of one object.
type entry struct {
	rv int64
	// seen is when the version reached the test, after it was written.
	seen time.Time
	// listed is set for the versions of the first list, written at some
	// unknown time before.
	listed bool
	obj    client.Object
}

// follow records the objects of the fixture's namespace in a new history
// from now until the test ends, and returns it. It returns once every
// kind is listed, so whatever the test does next is recorded. When the
// test fails, the history goes to its log.
func (f *fixture) follow() *history {
	f.t.Helper()
	h := &history{}
	for _, list := range []client.ObjectList{
		&corev1.ServiceList{}, &appsv1.ReplicaSetList{}, &rampv1alpha1.RolloutList{}, &rampv1alpha1.AnalysisRunList{},
	} {
		h.follow(f.t, f.k8s, f.ns, list)
	}
	f.t.Cleanup(func() {
		if f.t.Failed() {
			f.t.Logf("history of namespace %s:%s", f.ns, h)
		}
	})
	return h
}

// follow records every version of the objects of list's kind in ns.
func (h *history) follow(t *testing.T, k8s client.WithWatch, ns string, list client.ObjectList) {
	t.Helper()
	seen := map[types.UID]string{}
	lists := 0
	framework.FollowObjects(t, k8s, list, []client.ListOption{client.InNamespace(ns)}, waitTimeout,
		func(objs map[types.UID]client.Object, n int) {
			now := time.Now()
			h.mu.Lock()
			defer h.mu.Unlock()
			listed := n != lists
			lists = n
			if n > 1 {
				h.relisted = true
			}
			for uid, o := range objs {
				if seen[uid] == o.GetResourceVersion() {
					continue
				}
				seen[uid] = o.GetResourceVersion()
				rv, err := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
				if err != nil {
					t.Errorf("resourceVersion %q of %s is not a number", o.GetResourceVersion(), o.GetName())
				}
				obj, ok := o.DeepCopyObject().(client.Object)
				if !ok {
					continue
				}
				h.entries = append(h.entries, entry{rv: rv, seen: now, listed: listed, obj: obj})
			}
		})
}

// sorted returns the entries in the order they were written.
func (h *history) sorted() []entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	entries := slices.Clone(h.entries)
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.rv, b.rv) })
	return entries
}

// version is one recorded version of an object of type T.
type version[T client.Object] struct {
	rv     int64
	seen   time.Time
	listed bool
	obj    T
}

// versions returns the recorded versions of the object of type T named
// name, in the order they were written.
func versions[T client.Object](h *history, name string) []version[T] {
	var out []version[T]
	for _, e := range h.sorted() {
		if o, ok := e.obj.(T); ok && o.GetName() == name {
			out = append(out, version[T]{rv: e.rv, seen: e.seen, listed: e.listed, obj: o})
		}
	}
	return out
}

// first returns the first recorded version of the object of type T named
// name for which cond holds, and false when there is none.
func first[T client.Object](h *history, name string, cond func(T) bool) (version[T], bool) {
	for _, v := range versions[T](h, name) {
		if cond(v.obj) {
			return v, true
		}
	}
	return version[T]{}, false
}

// at returns the last recorded version of the object of type T named name
// written at or before resourceVersion rv, and false when there is none.
func at[T client.Object](h *history, name string, rv int64) (T, bool) {
	var last T
	found := false
	for _, v := range versions[T](h, name) {
		if v.rv > rv {
			break
		}
		last, found = v.obj, true
	}
	return last, found
}

// String lists every entry, for failure messages.
func (h *history) String() string {
	var b strings.Builder
	h.mu.Lock()
	if h.relisted {
		b.WriteString("\n  (a watch listed again: versions written in between may be missing)")
	}
	h.mu.Unlock()
	for _, e := range h.sorted() {
		fmt.Fprintf(&b, "\n  %d %s %s", e.rv, e.seen.Format("15:04:05.000"), describeEntry(e.obj))
	}
	return b.String()
}

// describeEntry sums up one version of an object for a history.
func describeEntry(o client.Object) string {
	switch o := o.(type) {
	case *corev1.Service:
		return fmt.Sprintf("Service %s: selects %q", o.Name, selected(o))
	case *appsv1.ReplicaSet:
		return "ReplicaSet " + describeReplicaSet(o)
	case *rampv1alpha1.Rollout:
		st := &o.Status
		pauses := make([]string, 0, len(st.PauseConditions))
		for _, p := range st.PauseConditions {
			pauses = append(pauses, string(p.Reason))
		}
		return fmt.Sprintf("Rollout %s: generation %d observed %d, phase %s, currentPodHash %s, stableRS %s, active %s, preview %s, "+
			"pauses %v, abort %v, scaleUpPreviewCheckPoint %v, message %q",
			o.Name, o.Generation, st.ObservedGeneration, st.Phase, st.CurrentPodHash, st.StableRS, st.BlueGreen.ActiveSelector,
			st.BlueGreen.PreviewSelector, pauses, st.Abort, st.BlueGreen.ScaleUpPreviewCheckPoint, st.Message)
	case *rampv1alpha1.AnalysisRun:
		return fmt.Sprintf("AnalysisRun %s: phase %q", o.Name, o.Status.Phase)
	}
	return fmt.Sprintf("%T %s", o, o.GetName())
}

// checkScaledDownAfter checks, from h, that the ReplicaSet of hash began to
// scale down (spec.replicas below its size before) no earlier than
// earliest: its first version asking for fewer pods reached the test at or
// after earliest. Watch events reach the test after the writes they
// report, so the check can only err towards passing.
func (f *fixture) checkScaledDownAfter(h *history, hash string, earliest time.Time, why string) {
	f.t.Helper()
	name := f.rsName(hash)
	var size int32 = -1
	for _, v := range versions[*appsv1.ReplicaSet](h, name) {
		n := ptr.Deref(v.obj.Spec.Replicas, 0)
		if size >= 0 && n < size {
			if v.seen.Before(earliest) {
				f.t.Errorf("ReplicaSet %s began to scale down (spec.replicas %d to %d) at %s, %v before %s (%s)\nhistory:%s",
					name, size, n, v.seen.Format(time.RFC3339Nano), earliest.Sub(v.seen), earliest.Format(time.RFC3339Nano), why, h)
			}
			return
		}
		size = max(size, n)
	}
	f.t.Errorf("ReplicaSet %s was not seen scaling down\nhistory:%s", name, h)
}

// checkKeptAt checks, from h, that the ReplicaSet of hash asked for n
// pods in every version recorded at or before resourceVersion until (0
// for the whole history).
func (f *fixture) checkKeptAt(h *history, hash string, n int32, until int64, what string) {
	f.t.Helper()
	name := f.rsName(hash)
	for _, v := range versions[*appsv1.ReplicaSet](h, name) {
		if until > 0 && v.rv > until {
			return
		}
		if got := ptr.Deref(v.obj.Spec.Replicas, 0); got != n {
			f.t.Errorf("%s: ReplicaSet %s asked for %d pods at resourceVersion %d, want %d throughout\nhistory:%s",
				what, name, got, v.rv, n, h)
			return
		}
	}
}

// checkOnlyAvailableSelected checks, from h, that each time the Service
// name (the active or the preview one) was set to select a pod template
// hash, that hash's ReplicaSet had available pods: its last version
// written before the Service's had status.availableReplicas > 0. The
// Service's versions the first list returned are left out (what came
// before them is unknown).
func (f *fixture) checkOnlyAvailableSelected(h *history, name string) {
	f.t.Helper()
	prev := ""
	for _, v := range versions[*corev1.Service](h, name) {
		hash := selected(v.obj)
		if hash == prev || hash == "" || v.listed {
			prev = hash
			continue
		}
		prev = hash
		rs, ok := at[*appsv1.ReplicaSet](h, f.rsName(hash), v.rv)
		switch {
		case !ok:
			f.t.Errorf("at resourceVersion %d Service %s selected %s before its ReplicaSet %s was seen\nhistory:%s",
				v.rv, name, hash, f.rsName(hash), h)
		case rs.Status.AvailableReplicas == 0:
			f.t.Errorf("at resourceVersion %d Service %s selected %s while its ReplicaSet had no available pods (%s)\nhistory:%s",
				v.rv, name, hash, describeReplicaSet(rs), h)
		}
	}
}

// checkNeverSelected checks, from h, that the Service name never selected
// hash, and that the Rollout never said it did in status.blueGreen.
func (f *fixture) checkNeverSelected(h *history, name, hash string) {
	f.t.Helper()
	for _, v := range versions[*corev1.Service](h, name) {
		if selected(v.obj) == hash {
			f.t.Errorf("Service %s selected %s at resourceVersion %d\nhistory:%s", name, hash, v.rv, h)
			return
		}
	}
	for _, v := range versions[*rampv1alpha1.Rollout](h, f.name()) {
		if name == f.activeService() && v.obj.Status.BlueGreen.ActiveSelector == hash {
			f.t.Errorf("status.blueGreen.activeSelector was %s at resourceVersion %d: %s", hash, v.rv, describeRollout(v.obj))
			return
		}
	}
}

// checkSelections checks, from h, the successive pod template hashes the
// Service name selected.
func (f *fixture) checkSelections(h *history, name string, want ...string) {
	f.t.Helper()
	var got []string
	for _, v := range versions[*corev1.Service](h, name) {
		if hash := selected(v.obj); len(got) == 0 || got[len(got)-1] != hash {
			got = append(got, hash)
		}
	}
	if !slices.Equal(got, want) {
		f.t.Errorf("Service %s selected %q in turn, want %q\nhistory:%s", name, got, want, h)
	}
}

// checkNeverPaused checks, from h, that no version of the Rollout written
// after resourceVersion after and working on revision hash was paused.
// checkTimedPause checks that the update of hash waited in a BlueGreenPause
// that said it would promote by itself, and that the pause ended without
// anyone promoting.
func (f *fixture) checkTimedPause(h *history, hash string) {
	f.t.Helper()
	paused := false
	for _, v := range versions[*rampv1alpha1.Rollout](h, f.name()) {
		r := v.obj
		if r.Status.CurrentPodHash != hash || len(r.Status.PauseConditions) == 0 {
			continue
		}
		paused = true
		if r.Status.PauseConditions[0].Reason != rampv1alpha1.PauseReasonBlueGreenPause ||
			(r.Status.Phase == rampv1alpha1.RolloutPhasePaused && !containsFold(r.Status.Message, "promoting automatically at")) {
			f.t.Errorf("the timed pause of revision %s at resourceVersion %d: %s", hash, v.rv, describeRollout(r))
			return
		}
	}
	if !paused {
		f.t.Errorf("the Rollout never waited in a BlueGreenPause before promoting %s by itself", hash)
	}
}

func (f *fixture) checkNeverPaused(h *history, hash string, after int64) {
	f.t.Helper()
	for _, v := range versions[*rampv1alpha1.Rollout](h, f.name()) {
		r := v.obj
		if v.rv > after && r.Status.CurrentPodHash == hash &&
			(r.Status.Phase == rampv1alpha1.RolloutPhasePaused || len(r.Status.PauseConditions) > 0) {
			f.t.Errorf("the Rollout paused on revision %s at resourceVersion %d: %s", hash, v.rv, describeRollout(r))
			return
		}
	}
}
