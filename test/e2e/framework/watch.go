package framework

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// This file holds waits and watchers on lists of objects: a wait for a
// condition on a whole list, and watchers that see every change to the
// objects while a test runs, for checks on the whole history rather than
// on one moment.

// WaitList lists the objects of one kind in ns (and matching opts) until
// cond holds for the list, listing again at every watch event in between
// (no polling), and returns the list. cond also describes what it saw; the
// test fails with the last description if timeout passes first.
func WaitList[T any, L interface {
	*T
	client.ObjectList
}](t testing.TB, w client.WithWatch, ns string, timeout time.Duration, what string, cond func(L) (bool, string), opts ...client.ListOption) L {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	opts = append([]client.ListOption{client.InNamespace(ns)}, opts...)
	last := "nothing listed"
	for {
		list := L(new(T))
		if err := w.List(ctx, list, opts...); err != nil {
			t.Fatalf("waiting for %s: list: %v\nlast state seen: %s", what, err, last)
		}
		done, state := cond(list)
		last = state
		if done {
			return list
		}
		if err := waitChange(ctx, w, L(new(T)), list.GetResourceVersion(), opts); err != nil {
			t.Fatalf("waiting %v for %s: %v\nlast state seen: %s", timeout, what, err, last)
		}
	}
}

// waitChange returns at the first watch event after resource version rv,
// or when the watch closes; it fails only when ctx ends.
func waitChange(ctx context.Context, w client.WithWatch, list client.ObjectList, rv string, opts []client.ListOption) error {
	wi, err := w.Watch(ctx, list, append(slices.Clone(opts), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})...)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("watch: %w", err)
	}
	defer wi.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wi.ResultChan():
		return nil
	}
}

// Follow lists the objects of list's kind matching opts and hands them to
// onList, then hands every later change to onEvent, in the order the API
// server made them, until ctx ends. It resumes a closed watch where it
// stopped and lists again (onList again) when the watch cannot resume.
func Follow(ctx context.Context, w client.WithWatch, list client.ObjectList, opts []client.ListOption,
	onList func([]client.Object), onEvent func(watch.EventType, client.Object)) {
	for ctx.Err() == nil {
		rv, err := listOnce(ctx, w, list, opts, onList)
		if err != nil {
			// Retry a failed list without hammering the API server.
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		for resume := true; resume && ctx.Err() == nil; {
			rv, resume = watchOnce(ctx, w, list, opts, rv, onEvent)
		}
	}
}

func listOnce(ctx context.Context, w client.WithWatch, list client.ObjectList, opts []client.ListOption,
	onList func([]client.Object)) (string, error) {
	l, ok := list.DeepCopyObject().(client.ObjectList)
	if !ok {
		return "", fmt.Errorf("%T is not a list", list)
	}
	if err := w.List(ctx, l, opts...); err != nil {
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
func watchOnce(ctx context.Context, w client.WithWatch, list client.ObjectList, opts []client.ListOption, rv string,
	onEvent func(watch.EventType, client.Object)) (string, bool) {
	l, ok := list.DeepCopyObject().(client.ObjectList)
	if !ok {
		return rv, false
	}
	opts = append(slices.Clone(opts), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
	wi, err := w.Watch(ctx, l, opts...)
	if err != nil {
		return rv, false
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, false
		case ev, ok := <-wi.ResultChan():
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

// StartFollow runs Follow in the background until stop is called or the
// test ends, and returns once onList has had the first list; the test
// fails if that takes longer than timeout. stop waits until Follow has
// returned, so that the callbacks are no longer called.
func StartFollow(t testing.TB, w client.WithWatch, list client.ObjectList, opts []client.ListOption, timeout time.Duration,
	onList func([]client.Object), onEvent func(watch.EventType, client.Object)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listed, done := make(chan struct{}), make(chan struct{})
	var listedOnce sync.Once
	go func() {
		defer close(done)
		Follow(ctx, w, list, opts, func(objs []client.Object) {
			onList(objs)
			listedOnce.Do(func() { close(listed) })
		}, onEvent)
	}()
	var stopOnce sync.Once
	stop = func() {
		stopOnce.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	select {
	case <-listed:
	case <-time.After(timeout):
		t.Fatalf("the watch of %T did not list within %v", list, timeout)
	}
	return stop
}

// FollowObjects is StartFollow for a caller that wants the objects rather
// than the changes: it keeps the latest version of every object of list's
// kind matching opts, by UID, and hands them all to onChange after each
// list and after each change. lists counts the lists so far: more than one
// means a watch could not resume, and changes in between may be missing.
// onChange runs on one goroutine, one call at a time; objs stays the
// follower's, so copy what must outlive the call.
func FollowObjects[T client.Object](t testing.TB, w client.WithWatch, list client.ObjectList, opts []client.ListOption,
	timeout time.Duration, onChange func(objs map[types.UID]T, lists int)) (stop func()) {
	t.Helper()
	objs := map[types.UID]T{}
	lists := 0
	return StartFollow(t, w, list, opts, timeout,
		func(listed []client.Object) {
			lists++
			clear(objs)
			for _, o := range listed {
				if obj, ok := o.(T); ok {
					objs[obj.GetUID()] = obj
				}
			}
			onChange(objs, lists)
		},
		func(typ watch.EventType, o client.Object) {
			obj, ok := o.(T)
			if !ok {
				return
			}
			if typ == watch.Deleted {
				delete(objs, obj.GetUID())
			} else {
				objs[obj.GetUID()] = obj
			}
			onChange(objs, lists)
		})
}

// Notifier lets goroutines wait for the next change of a state that a
// mutex guards: they take C under the lock, with the state, and wait on it
// after unlocking; whoever changes the state calls Notify, also under the
// lock. The zero Notifier is ready to use.
type Notifier struct {
	ch chan struct{}
}

// C returns a channel closed at the next Notify. Call it with the state's
// lock held.
func (n *Notifier) C() <-chan struct{} {
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

// Notify wakes everyone waiting on C. Call it with the state's lock held.
func (n *Notifier) Notify() {
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// Await waits until check reports done, calling it at once and then again
// each time the channel it returned (a Notifier's C, taken with the state
// check read) is closed. It returns false if timeout passes first; check
// keeps what the caller needs for its failure message.
func Await(timeout time.Duration, check func() (done bool, changed <-chan struct{})) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		done, changed := check()
		if done {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			return false
		}
	}
}
