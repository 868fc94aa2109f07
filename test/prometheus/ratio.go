package prometheus

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"k8s.io/utils/ptr"

	"github.com/rampdev/ramp/analysis"
	promprovider "github.com/rampdev/ramp/analysis/prometheus"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// ErrorRatioQuery is the PromQL share of the requests of service (as
// labeled by a Traffic source) that failed over the last 5 seconds. Pass
// "{{args.service}}" to write it into an AnalysisTemplate.
func ErrorRatioQuery(service string) string {
	return fmt.Sprintf(`sum(rate(http_requests_total{service="%s",code=~"5.."}[5s])) / sum(rate(http_requests_total{service="%s"}[5s]))`,
		service, service)
}

// StartWithTraffic starts a Traffic source per service of ratios, failing
// that share of its requests, and a server scraping them all, and returns
// once the error ratio of every service can be queried. stop stops the
// server and the traffic.
func StartWithTraffic(ctx context.Context, ratios map[string]float64) (srv *Server, stop func(), err error) {
	var traffic []*Traffic
	targets := make([]string, 0, len(ratios))
	for svc, ratio := range ratios {
		tr := NewTraffic(svc)
		tr.SetErrorRatio(ratio)
		traffic = append(traffic, tr)
		targets = append(targets, tr.Addr())
	}
	closeTraffic := func() {
		for _, tr := range traffic {
			tr.Close()
		}
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err = Start(startCtx, Options{Targets: targets})
	if err != nil {
		closeTraffic()
		return nil, nil, fmt.Errorf("start prometheus: %w", err)
	}
	stop = func() {
		srv.Stop()
		closeTraffic()
	}
	for svc, ratio := range ratios {
		if err := WaitForErrorRatio(startCtx, srv.Address(), svc, ratio); err != nil {
			srv.DumpLogs(os.Stderr)
			stop()
			return nil, nil, err
		}
	}
	return srv, stop, nil
}

// WaitForErrorRatio waits until the error ratio of service, read from the
// server at address through Ramp's Prometheus provider, is within 0.05 of
// want. A server cannot be watched: this polls every 250ms.
func WaitForErrorRatio(ctx context.Context, address, service string, want float64) error {
	m := &rampv1alpha1.Metric{Name: "ratio", Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: address, Timeout: ptr.To[int32](5)},
		Query:                ErrorRatioQuery(service),
	}}}
	provider := promprovider.New()
	var last string
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := provider.Measure(ctx, analysis.Request{Metric: m})
		switch values, ok := res.Value.([]float64); {
		case err != nil:
			last = err.Error()
		case ok && len(values) == 1 && math.Abs(values[0]-want) <= 0.05:
			return nil
		default:
			last = "value " + res.Text
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the error ratio of %s did not reach %g at %s: last %s", service, want, address, last)
		case <-tick.C:
		}
	}
}
