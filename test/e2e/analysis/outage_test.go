package analysise2e

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
	"github.com/rampdev/ramp/test/prometheus"
)

// TestPrometheusOutage kills Prometheus in the middle of an analysis step
// (a metric measured every second, 20 times, consecutiveErrorLimit 2):
// after the first successful measurement, every measurement is an Error
// saying Prometheus could not be reached; the third in a row makes the run
// Error, with a message that names the metric, the limit and the last
// error, and the update is aborted with the run named in status.abortedBy.
//
// The test runs a Prometheus server of its own: killing the package's
// shared server would turn the measurements of the tests running beside it
// into errors too (and abort them once they pass their error limit), so
// they would all have to wait for this one.
func TestPrometheusOutage(t *testing.T) {
	t.Parallel()
	srv, stop, err := prometheus.StartWithTraffic(t.Context(), map[string]float64{"orders": 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dumpPrometheusOnFailure(t, srv)

	f := newFixture(t, "orders", 2, framework.SetWeight(50), analysisStep("error-rate", "orders"), framework.SetWeight(100))
	f.createTemplate(errorRateTemplate(srv.Address(), func(m *rampv1alpha1.Metric) {
		m.Count = ptr.To[int32](20)
		m.ConsecutiveErrorLimit = ptr.To[int32](2)
		m.Provider.Prometheus.Timeout = ptr.To[int32](2)
	}))
	v1 := f.start()

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	f.waitRun(runName, "a successful measurement", func(r *rampv1alpha1.AnalysisRun) bool {
		res := metricResult(r, "error-rate")
		return res != nil && res.Successful >= 1
	})
	killed := time.Now()
	srv.Kill()

	run := f.waitRunPhase(runName, rampv1alpha1.AnalysisPhaseError)
	unreachable := fmt.Sprintf("could not reach prometheus at %s", srv.Address())
	res := metricResult(run, "error-rate")
	if res == nil {
		t.Fatalf("run %s has no result for metric error-rate: %s", runName, describeRun(run))
	}
	if res.Phase != rampv1alpha1.AnalysisPhaseError || res.ConsecutiveError != 3 || res.Successful < 1 || res.Count >= 20 {
		t.Errorf("metric error-rate: want Error after 3 errors in a row (consecutiveErrorLimit 2) following a success, well before 20 measurements: %s",
			describeRun(run))
	}
	if n := len(res.Measurements); n < 3 {
		t.Errorf("want at least the last 3 measurements kept: %s", describeRun(run))
	} else {
		for i, m := range res.Measurements[n-3:] {
			if m.Phase != rampv1alpha1.AnalysisPhaseError || m.StartedAt == nil || m.StartedAt.Time.Before(killed.Truncate(time.Second)) {
				t.Errorf("measurement %d of the last 3: phase %s started %v, want an Error taken after the kill at %v", i+1, m.Phase, m.StartedAt, killed)
			}
			checkContains(t, fmt.Sprintf("the message of error measurement %d", i+1), m.Message, unreachable)
		}
		checkContains(t, "the message of the last error", res.Measurements[n-1].Message, "connection refused")
	}
	checkContains(t, "the run's status.message", run.Status.Message, "error-rate", "consecutiveErrorLimit 2", unreachable)

	ro := f.waitAbortedBack(v2, v1)
	if want := fmt.Sprintf("analysis run %s (Error): %s", runName, run.Status.Message); ro.Status.AbortedBy != want {
		t.Errorf("status.abortedBy = %q, want %q", ro.Status.AbortedBy, want)
	}
	checkContains(t, "status.message", ro.Status.Message, runName, "consecutiveErrorLimit 2", unreachable)
	f.waitEvent(ro, "Aborted", runName, "consecutiveErrorLimit 2")
	f.waitEvent(run, "AnalysisRunError", "error-rate", "consecutiveErrorLimit 2")
}
