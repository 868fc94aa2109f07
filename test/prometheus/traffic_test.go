package prometheus

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads a traffic source's /metrics: requests by code, the
// histogram's sample count and sum.
func scrape(t *testing.T, tr *Traffic) (requests map[string]float64, count uint64, sum float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+tr.Addr()+"/metrics", http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	requests = map[string]float64{}
	for _, m := range families["http_requests_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["service"] != "orders" {
			t.Errorf("series with service %q, want orders", labels["service"])
		}
		requests[labels["code"]] = m.GetCounter().GetValue()
	}
	for _, m := range families["http_request_duration_seconds"].GetMetric() {
		count, sum = m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
	}
	return requests, count, sum
}

func TestTraffic(t *testing.T) {
	tr := startTraffic(t, "orders")
	requests, _, _ := scrape(t, tr)
	if got := fmt.Sprint(requests); got != "map[200:0 500:0]" {
		t.Errorf("requests before the first tick = %s, want both codes at 0", got)
	}

	tr.SetErrorRatio(0.25)
	tr.SetLatency(300*time.Millisecond, 0)
	start, _, _ := scrape(t, tr)
	_, startCount, startSum := scrape(t, tr)
	time.Sleep(1100 * time.Millisecond)
	end, endCount, endSum := scrape(t, tr)

	ok := end["200"] - start["200"]
	failed := end["500"] - start["500"]
	if total := ok + failed; total < 80 || total > 140 {
		t.Errorf("%v requests in about 1.1s, want about %d per second", total, RequestsPerSecond)
	}
	// Errors are spread exactly: at most one request off the ratio.
	if want := (ok + failed) * 0.25; failed < want-1.5 || failed > want+1.5 {
		t.Errorf("%v of %v requests failed, want a quarter", failed, ok+failed)
	}
	observed := endCount - startCount
	if mean := (endSum - startSum) / float64(observed); observed == 0 || mean < 0.299 || mean > 0.301 {
		t.Errorf("mean latency of %d samples = %vs, want 0.3s", observed, mean)
	}

	tr.Close()
	tr.Close() // a second Close does nothing
	if conn, err := net.DialTimeout("tcp", tr.Addr(), time.Second); err == nil {
		_ = conn.Close()
		t.Error("/metrics still accepts connections after Close")
	}
}
