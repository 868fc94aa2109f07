package framework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// WaitFor watches the object named key until cond holds for it, and fails
// the test with the last state cond described if timeout passes first. cond
// returns whether the wait is over and a short description of the state it
// saw, for the failure message. It reacts to watch events: no polling, no
// sleeps.
func WaitFor[T client.Object](t testing.TB, w client.WithWatch, key client.ObjectKey, obj T, timeout time.Duration, what string, cond func(T) (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	last, err := waitFor(ctx, w, key, obj, cond)
	if err != nil {
		t.Fatalf("waiting %v for %s (%s %s): %v\nlast state seen: %s", timeout, what, kindOf(w, obj), key, err, last)
	}
}

// WaitObject waits, as WaitFor does, until cond holds for the object named
// key, and returns a copy of the object that satisfied it. describe sums up
// each state seen, for the failure message.
func WaitObject[T client.Object](t testing.TB, w client.WithWatch, key client.ObjectKey, obj T, timeout time.Duration, what string,
	cond func(T) bool, describe func(T) string) T {
	t.Helper()
	var got T
	WaitFor(t, w, key, obj, timeout, what, func(o T) (bool, string) {
		if !cond(o) {
			return false, describe(o)
		}
		got = o.DeepCopyObject().(T)
		return true, describe(o)
	})
	return got
}

// WaitUntil waits, as WaitFor does, until cond holds for the object named
// key or ctx ends, and returns an error instead of failing the test, for
// waits made outside the test's goroutine. The error holds what and the
// last state seen.
func WaitUntil[T client.Object](ctx context.Context, w client.WithWatch, key client.ObjectKey, obj T, what string, cond func(T) (bool, string)) error {
	last, err := waitFor(ctx, w, key, obj, cond)
	if err != nil {
		return fmt.Errorf("waiting for %s (%s %s): %w; last state seen: %s", what, kindOf(w, obj), key, err, last)
	}
	return nil
}

func waitFor[T client.Object](ctx context.Context, w client.WithWatch, key client.ObjectKey, obj T, cond func(T) (bool, string)) (string, error) {
	last := "not found"
	list, err := listFor(w, obj)
	if err != nil {
		return last, err
	}
	for {
		rv := ""
		switch err := w.Get(ctx, key, obj); {
		case err == nil:
			done, state := cond(obj)
			last = state
			if done {
				return last, nil
			}
			rv = obj.GetResourceVersion()
		case apierrors.IsNotFound(err):
			last = "not found"
		default:
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			last = "get failed: " + err.Error()
		}
		done, err := watchUntil(ctx, w, key, list, rv, cond, &last)
		if done {
			return last, nil
		}
		if ctx.Err() != nil {
			return last, ctx.Err()
		}
		if err != nil && !errors.Is(err, errWatchClosed) {
			last = err.Error()
		}
	}
}

var errWatchClosed = errors.New("watch closed")

// watchUntil follows one watch from resource version rv. It returns when
// cond holds, the context ends or the watch closes (the caller re-lists).
func watchUntil[T client.Object](ctx context.Context, w client.WithWatch, key client.ObjectKey, list client.ObjectList, rv string, cond func(T) (bool, string), last *string) (bool, error) {
	wi, err := w.Watch(ctx, list, client.InNamespace(key.Namespace),
		client.MatchingFields{"metadata.name": key.Name},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
	if err != nil {
		return false, fmt.Errorf("watch: %w", err)
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return false, errWatchClosed
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				o, ok := ev.Object.(T)
				if !ok {
					return false, fmt.Errorf("watch sent %T", ev.Object)
				}
				done, state := cond(o)
				*last = state
				if done {
					return true, nil
				}
			case watch.Deleted:
				*last = "deleted"
			case watch.Error:
				return false, errWatchClosed
			}
		}
	}
}

// listFor returns an empty list of obj's kind.
func listFor(w client.WithWatch, obj client.Object) (client.ObjectList, error) {
	gvk, err := apiutil.GVKForObject(obj, w.Scheme())
	if err != nil {
		return nil, err
	}
	gvk.Kind += "List"
	o, err := w.Scheme().New(gvk)
	if err != nil {
		return nil, fmt.Errorf("no list kind for %s: %w", gvk, err)
	}
	list, ok := o.(client.ObjectList)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", gvk)
	}
	return list, nil
}

// kindOf names obj's kind for messages.
func kindOf(w client.Client, obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, w.Scheme())
	if err != nil {
		return strings.TrimPrefix(fmt.Sprintf("%T", obj), "*")
	}
	return gvk.Kind
}
