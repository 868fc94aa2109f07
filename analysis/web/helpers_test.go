package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// measure takes one measurement of a metric with the given web settings.
func measure(t *testing.T, web rampv1alpha1.WebMetric, secrets analysis.SecretReader) (analysis.Result, error) {
	t.Helper()
	metric := &rampv1alpha1.Metric{Name: "check", Provider: rampv1alpha1.MetricProvider{Web: &web}}
	if secrets == nil {
		secrets = analysistest.Secrets{}
	}
	return New().Measure(t.Context(), analysis.Request{Metric: metric, Secrets: secrets})
}

// serve starts a server that runs handler and is closed after the test.
func serve(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// answer is a handler that answers status with body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// ref names a Secret key.
func ref(name, key string) rampv1alpha1.SecretKeyRef {
	return rampv1alpha1.SecretKeyRef{Name: name, Key: key}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
