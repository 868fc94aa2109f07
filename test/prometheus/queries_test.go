package prometheus

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProviderAgainstRealServer checks the provider's results and errors
// with what a real Prometheus answers.
func TestProviderAgainstRealServer(t *testing.T) {
	t.Parallel()
	traffic := startTraffic(t, "cart")
	traffic.SetErrorRatio(0.2)
	traffic.SetLatency(200*time.Millisecond, 5*time.Millisecond)
	s := startServer(t, traffic.Addr())
	// Wait until rates over 5s exist.
	waitForRatio(t, s, "cart", 0.2)

	t.Run("vector ordered by labels", func(t *testing.T) {
		// Series sort by code: 200 first, then 500 (a fifth of the requests).
		res, err := measure(s.Address(), `sum by (code) (rate(http_requests_total{service="cart"}[5s]))`)
		if err != nil {
			t.Fatalf("Measure: %v", err)
		}
		values, ok := res.Value.([]float64)
		if !ok || len(values) != 2 || values[0] < 3*values[1] || values[1] <= 0 {
			t.Fatalf("Value = %#v (%s), want [about 80, about 20]", res.Value, res.Text)
		}
		if want := fmt.Sprintf("[%s,%s]", fmtFloat(values[0]), fmtFloat(values[1])); res.Text != want {
			t.Errorf("Text = %q, want %q", res.Text, want)
		}
	})

	t.Run("latency quantile", func(t *testing.T) {
		q := `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{service="cart"}[5s])))`
		res, err := measure(s.Address(), q)
		if err != nil {
			t.Fatalf("Measure: %v", err)
		}
		// 200ms lies in the (0.1, 0.25] bucket; the quantile is interpolated in it.
		if v, ok := single(res); !ok || v <= 0.1 || v > 0.25 {
			t.Errorf("median latency = %s, want in (0.1, 0.25]", res.Text)
		}
	})

	tests := []struct {
		name, query, wantText string
		wantValue             func(any) bool
	}{
		{"scalar", `scalar(sum(up))`, "1", func(v any) bool { return v == 1.0 }},
		{"empty vector", `http_requests_total{service="nope"}`, "[]", func(v any) bool { l, ok := v.([]float64); return ok && l != nil && len(l) == 0 }},
		{"NaN", `0/0`, "NaN", func(v any) bool { f, ok := v.(float64); return ok && math.IsNaN(f) }},
		{"+Inf", `vector(1)/0`, "[+Inf]", func(v any) bool { l, ok := v.([]float64); return ok && len(l) == 1 && math.IsInf(l[0], 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := measure(s.Address(), tt.query)
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if res.Text != tt.wantText || !tt.wantValue(res.Value) {
				t.Errorf("Measure = %#v (%s), want %s", res.Value, res.Text, tt.wantText)
			}
		})
	}

	errTests := []struct{ name, query, wantPrefix string }{
		{"query does not parse", `sum(`, "prometheus query failed: bad_data: "},
		{"range vector", `http_requests_total[5s]`, "the query returned a range vector; use an instant vector query"},
		{"string", `"hello"`, "the query returned a string; use an instant vector query or a scalar"},
		{"many-to-many match", `http_requests_total * on (service) http_requests_total`, "prometheus query failed: execution: "},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := measure(s.Address(), tt.query)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("Measure = %+v, %v; want an error starting %q", res, err, tt.wantPrefix)
			}
		})
	}
}

func fmtFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
