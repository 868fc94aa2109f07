package prometheus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampdev/ramp/analysis"
	promprovider "github.com/rampdev/ramp/analysis/prometheus"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// startServer starts a server scraping targets, stopped at the end of the
// test; its log is shown when the test failed.
func startServer(t *testing.T, targets ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, Options{Targets: targets})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			var b strings.Builder
			s.DumpLogs(&b)
			t.Log(b.String())
		}
	})
	return s
}

// startTraffic starts a traffic source for service, closed at the end of
// the test.
func startTraffic(t *testing.T, service string) *Traffic {
	t.Helper()
	tr := NewTraffic(service)
	t.Cleanup(tr.Close)
	return tr
}

// measure queries address through Ramp's Prometheus provider, as an
// AnalysisRun would.
func measure(address, query string) (analysis.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	timeout := int32(5)
	m := &rampv1alpha1.Metric{Name: "m", Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: address, Timeout: &timeout},
		Query:                query,
	}}}
	return promprovider.New().Measure(ctx, analysis.Request{Metric: m})
}

// single returns the only value of a one-series vector result.
func single(res analysis.Result) (float64, bool) {
	values, ok := res.Value.([]float64)
	if !ok || len(values) != 1 {
		return 0, false
	}
	return values[0], true
}

// eventually calls check every 250ms until it reports done, failing the
// test with the last state seen after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen: %s", what, timeout, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitForRatio waits until the error ratio of service, measured through
// the provider, is within 0.05 of want.
func waitForRatio(t *testing.T, s *Server, service string, want float64) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("error ratio of %s near %g", service, want), func() (bool, string) {
		res, err := measure(s.Address(), ErrorRatioQuery(service))
		if err != nil {
			return false, "error: " + err.Error()
		}
		v, ok := single(res)
		return ok && v >= want-0.05 && v <= want+0.05, "value " + res.Text
	})
}
