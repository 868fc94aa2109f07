package analysisrun

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// flights are the measurements taken in goroutines of their own (Async):
// a provider that waits for its timeout holds no worker, so one endpoint
// that hangs never delays the other runs. When a measurement returns, its
// run is queued again (through Events) and the next reconcile records it.
// Flights live in memory only: a restarted controller takes the
// measurement again, which is never counted twice since nothing was
// recorded.
type flights struct {
	mu     sync.Mutex
	byKey  map[flightKey]*flight
	events chan event.GenericEvent
}

// flightKey names one metric of one run.
type flightKey struct {
	run    types.NamespacedName
	uid    types.UID
	metric string
}

// flight is one measurement under way, or returned and not yet recorded.
type flight struct {
	started time.Time
	done    bool
	out     analysis.Result
	err     error
	took    time.Duration
	cancel  context.CancelFunc
}

func newFlights() *flights {
	return &flights{byKey: map[flightKey]*flight{}, events: make(chan event.GenericEvent, 1024)}
}

func keyOf(run *rampv1alpha1.AnalysisRun, metric string) flightKey {
	return flightKey{run: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, uid: run.UID, metric: metric}
}

// take returns a copy of the flight of k: a returned one is removed (the
// caller records it), one under way is left.
func (f *flights) take(k flightKey) (flight, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.byKey[k]
	if !ok {
		return flight{}, false
	}
	if fl.done {
		delete(f.byKey, k)
	}
	return *fl, true
}

// start measures through measure in a goroutine, bounded by timeout, and
// queues the run when it returns.
func (f *flights) start(k flightKey, started time.Time, timeout time.Duration, measure func(context.Context) (analysis.Result, error)) flight {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	fl := &flight{started: started, cancel: cancel}
	f.mu.Lock()
	f.byKey[k] = fl
	f.mu.Unlock()
	go func() {
		defer cancel()
		began := time.Now()
		out, err := measure(ctx)
		f.mu.Lock()
		fl.out, fl.err, fl.took, fl.done = out, err, time.Since(began), true
		f.mu.Unlock()
		run := &rampv1alpha1.AnalysisRun{}
		run.Namespace, run.Name = k.run.Namespace, k.run.Name
		select {
		case f.events <- event.GenericEvent{Object: run}:
		case <-time.After(timeout):
			// The controller is not reading (stopping): the run's own
			// wake-up at the flight's deadline picks the result up.
		}
	}()
	return flight{started: started}
}

// stop cancels and forgets the flights of run (all of them when uid is
// empty: the run is gone).
func (f *flights) stop(run types.NamespacedName, uid types.UID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, fl := range f.byKey {
		if k.run == run && (uid == "" || k.uid == uid) {
			fl.cancel()
			delete(f.byKey, k)
		}
	}
}
