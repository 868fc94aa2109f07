package analysise2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestMeasurementInterval creates an AnalysisRun by hand with a metric
// measured twice at an interval of 1s, and checks that the second
// measurement comes a second after the first. The first is taken in the
// middle of a second: status stores times in whole seconds, and an
// interval counted from a stored time would start the second measurement
// early, at the next whole second.
func TestMeasurementInterval(t *testing.T) {
	t.Parallel()
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	dumpPrometheusOnFailure(t, shared)
	tmpl := errorRateTemplate(shared.Address(), nil)
	counts := watchCounts(t, k8s, ns, "error-rate")

	// A trial whose first measurement lands near the start of a second
	// cannot tell the two apart; a few trials make sure one can.
	for trial := 1; trial <= 3; trial++ {
		run := &rampv1alpha1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("interval-%d", trial)},
			Spec: rampv1alpha1.AnalysisRunSpec{
				Metrics: tmpl.Spec.Metrics,
				Args:    []rampv1alpha1.Argument{{Name: "service", Value: ptr.To(svcPasses)}},
			},
		}
		// Bounded wait (under a second), with nothing to watch: create the
		// run at .4 of a second, so that the first measurement is taken
		// in the middle of one.
		now := time.Now()
		time.Sleep(now.Truncate(time.Second).Add(1400*time.Millisecond).Sub(now) % time.Second)
		framework.Create(t, k8s, run)

		counts.waitSeen(t, run.Name, 1)
		first := counts.seen(run.Name, 1)
		if frac := first.Sub(first.Truncate(time.Second)); frac < 350*time.Millisecond {
			t.Logf("trial %d: the first measurement was seen %v into a second, too early to tell; trying again", trial, frac)
			continue
		}
		done := framework.WaitObject(t, k8s, client.ObjectKeyFromObject(run), &rampv1alpha1.AnalysisRun{}, waitTimeout,
			"the run to end Successful", func(r *rampv1alpha1.AnalysisRun) bool { return r.Status.Phase == rampv1alpha1.AnalysisPhaseSuccessful },
			describeRun)
		if res := metricResult(done, "error-rate"); res == nil || res.Count != 2 || res.Successful != 2 {
			t.Fatalf("want 2 successful measurements: %s", describeRun(done))
		}
		counts.waitSeen(t, run.Name, 2)
		// The watch sees each measurement a little after it was taken;
		// 200ms covers its delays.
		if gap := counts.seen(run.Name, 2).Sub(first); gap < 800*time.Millisecond {
			t.Errorf("the second measurement was seen %v after the first (seen %v into a second), want the interval of 1s between them",
				gap.Round(time.Millisecond), first.Sub(first.Truncate(time.Second)).Round(time.Millisecond))
		}
		return
	}
	t.Fatal("no trial took its first measurement in the middle of a second")
}

// countTimes records when the watch first saw each measurement count of a
// metric, by run.
type countTimes struct {
	mu      sync.Mutex
	times   map[string]map[int32]time.Time
	changed framework.Notifier
}

// watchCounts starts recording countTimes of metric in the runs of ns until
// the test ends.
func watchCounts(t *testing.T, k8s client.WithWatch, ns, metric string) *countTimes {
	t.Helper()
	c := &countTimes{times: map[string]map[int32]time.Time{}}
	framework.FollowObjects(t, k8s, &rampv1alpha1.AnalysisRunList{}, []client.ListOption{client.InNamespace(ns)}, waitTimeout,
		func(runs map[types.UID]*rampv1alpha1.AnalysisRun, _ int) {
			now := time.Now()
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, r := range runs {
				res := metricResult(r, metric)
				if res == nil {
					continue
				}
				if c.times[r.Name] == nil {
					c.times[r.Name] = map[int32]time.Time{}
				}
				if _, ok := c.times[r.Name][res.Count]; !ok {
					c.times[r.Name][res.Count] = now
					c.changed.Notify()
				}
			}
		})
	return c
}

// seen returns when run was first seen with count measurements (zero if
// never).
func (c *countTimes) seen(run string, count int32) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.times[run][count]
}

// waitSeen waits until the watch has seen run with count measurements.
func (c *countTimes) waitSeen(t *testing.T, run string, count int32) {
	t.Helper()
	ok := framework.Await(waitTimeout, func() (bool, <-chan struct{}) {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, seen := c.times[run][count]
		return seen, c.changed.C()
	})
	if !ok {
		t.Fatalf("the watch of the runs did not see %s with %d measurements within %v", run, count, waitTimeout)
	}
}
