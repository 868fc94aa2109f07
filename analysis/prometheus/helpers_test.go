package prometheus

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Secret values used by the tests; none may appear in a message.
const (
	secretToken  = "tok-s3cr3t-4711"
	secretUser   = "user-s3cr3t-4711"
	secretPass   = "pass-s3cr3t-4711"
	secretHeader = "hdr-s3cr3t-4711"
)

var secretValues = []string{secretToken, secretUser, secretPass, secretHeader}

// testSecrets holds the Secrets of the tests, with extra ones (such as a CA)
// added.
func testSecrets(extra analysistest.Secrets) analysistest.Secrets {
	s := analysistest.Secrets{
		"prom-token":  {"token": secretToken},
		"prom-basic":  {"username": secretUser, "password": secretPass},
		"prom-header": {"tenant": secretHeader},
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

// testTime is when the tests' queries are evaluated.
var testTime = time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)

// measure runs the provider for metric with secrets, at testTime.
func measure(t *testing.T, m *rampv1alpha1.Metric, secrets analysis.SecretReader) (analysis.Result, error) {
	t.Helper()
	p := New()
	p.now = func() time.Time { return testTime }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.Measure(ctx, analysis.Request{Metric: m, Secrets: secrets})
	assertNoSecrets(t, res, err)
	return res, err
}

// assertNoSecrets fails when a secret value appears in what a user sees.
func assertNoSecrets(t *testing.T, res analysis.Result, err error) {
	t.Helper()
	seen := res.Text + "\n" + res.Message
	for k, v := range res.Metadata {
		seen += "\n" + k + "=" + v
	}
	if err != nil {
		seen += "\n" + err.Error()
	}
	for _, s := range secretValues {
		if strings.Contains(seen, s) {
			t.Errorf("a secret value shows in the result or error: %q", seen)
		}
	}
}

// promMetric is a metric querying address, changed by opts.
func promMetric(address string, opts ...func(*rampv1alpha1.PrometheusMetric)) *rampv1alpha1.Metric {
	pm := &rampv1alpha1.PrometheusMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: address},
		Query:                `sum(rate(http_requests_total{code=~"5.."}[1m]))`,
	}
	for _, o := range opts {
		o(pm)
	}
	return &rampv1alpha1.Metric{Name: "errors", Provider: rampv1alpha1.MetricProvider{Prometheus: pm}}
}

// answer returns a handler that answers with status and body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// success is a successful query answer with data.
func success(data string) string {
	return `{"status":"success","data":` + data + `}`
}

// scalarOne is a successful answer holding the scalar 1.
var scalarOne = success(`{"resultType":"scalar","result":[1772366400.5,"1"]}`)

// serve starts an HTTP test server with h, closed at the end of the test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// sameValue compares result values, with NaN equal to NaN.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case float64:
		f, ok := b.(float64)
		return ok && sameFloat(a, f)
	case []float64:
		l, ok := b.([]float64)
		if !ok || l == nil || len(a) != len(l) {
			return false
		}
		for i := range a {
			if !sameFloat(a[i], l[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}
