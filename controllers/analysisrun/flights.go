package analysisrun

import (
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/async"
)

// flights are the measurements taken in goroutines of their own (Async):
// a provider that waits for its timeout holds no worker, so one endpoint
// that hangs never delays the other runs. When a measurement returns, its
// run is queued again and the next reconcile records it. Flights live in
// memory only: a restarted controller takes the measurement again, which
// is never counted twice since nothing was recorded.
type flights = async.Calls[flightKey, measured]

// flightKey names one metric of one run.
type flightKey struct {
	run    types.NamespacedName
	uid    types.UID
	metric string
}

// measured is what a provider returned.
type measured struct {
	out analysis.Result
	err error
}

func newFlights() *flights {
	return async.New[flightKey, measured](func(k flightKey) client.Object {
		run := &rampv1alpha1.AnalysisRun{}
		run.Namespace, run.Name = k.run.Namespace, k.run.Name
		return run
	})
}

func keyOf(run *rampv1alpha1.AnalysisRun, metric string) flightKey {
	return flightKey{run: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, uid: run.UID, metric: metric}
}

// stopFlights cancels and forgets the flights of run (all of them when uid
// is empty: the run is gone).
func stopFlights(f *flights, run types.NamespacedName, uid types.UID) {
	f.Stop(func(k flightKey) bool { return k.run == run && (uid == "" || k.uid == uid) })
}
