package crash

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// record is one change the observer saw: an object as of its
// resourceVersion, or its deletion.
type record struct {
	rv      int64
	deleted bool
	obj     client.Object
}

// timeline records every change of the Rollouts, ReplicaSets, Services and
// HTTPRoutes of one namespace, from before the first is created, through
// watches of its own. The API server gives each change a resourceVersion
// from one sequence (etcd's revision), so sorting the records of all four
// kinds by it puts them in the order they happened: the invariants are
// checked on that order afterwards, with no sampling gaps and no races
// between the watches.
type timeline struct {
	mu      sync.Mutex
	records []record
	errs    []error
	wg      sync.WaitGroup
}

// startTimeline starts the watches; they run until ctx ends.
func startTimeline(ctx context.Context, t *testing.T, w client.WithWatch, ns string) *timeline {
	t.Helper()
	tl := &timeline{}
	lists := []client.ObjectList{
		&rampv1alpha1.RolloutList{}, &appsv1.ReplicaSetList{}, &corev1.ServiceList{}, &gatewayv1.HTTPRouteList{},
	}
	for _, list := range lists {
		if err := w.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatalf("list %T: %v", list, err)
		}
		rv := list.GetResourceVersion()
		tl.wg.Go(func() { tl.follow(ctx, w, ns, list, rv) })
	}
	return tl
}

// follow watches list's kind from rv, again from the last version seen
// whenever the API server closes the watch.
func (tl *timeline) follow(ctx context.Context, w client.WithWatch, ns string, list client.ObjectList, rv string) {
	for ctx.Err() == nil {
		wi, err := w.Watch(ctx, list, client.InNamespace(ns),
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
		if err != nil {
			if ctx.Err() == nil {
				tl.fail(fmt.Errorf("watch %T from %s: %w", list, rv, err))
			}
			return
		}
		rv = tl.drain(ctx, wi, rv)
		wi.Stop()
		if rv == "" {
			return
		}
	}
}

// drain records the events of one watch and returns the resourceVersion
// to go on from, or "" after an error.
func (tl *timeline) drain(ctx context.Context, wi watch.Interface, rv string) string {
	for {
		select {
		case <-ctx.Done():
			return ""
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return rv
			}
			if ev.Type == watch.Error {
				// A gap (410 Gone after compaction) would hide changes.
				tl.fail(fmt.Errorf("watch error from %s: %w", rv, apierrors.FromObject(ev.Object)))
				return ""
			}
			obj, ok := ev.Object.(client.Object)
			if !ok {
				continue
			}
			rv = obj.GetResourceVersion()
			if ev.Type == watch.Bookmark {
				continue
			}
			n, err := strconv.ParseInt(rv, 10, 64)
			if err != nil {
				tl.fail(fmt.Errorf("resourceVersion %q of %T is not a number", rv, obj))
				return ""
			}
			tl.mu.Lock()
			tl.records = append(tl.records, record{rv: n, deleted: ev.Type == watch.Deleted, obj: obj})
			tl.mu.Unlock()
		}
	}
}

func (tl *timeline) fail(err error) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.errs = append(tl.errs, err)
}

// sorted returns the records in the order the API server made them, and
// the errors of the watches.
func (tl *timeline) sorted() ([]record, error) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	recs := slices.Clone(tl.records)
	slices.SortStableFunc(recs, func(a, b record) int { return cmp.Compare(a.rv, b.rv) })
	return recs, errors.Join(tl.errs...)
}
