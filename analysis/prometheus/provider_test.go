package prometheus

import (
	"context"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestMeasureResults(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		wantValue any
		wantText  string
	}{{
		name:      "scalar",
		data:      `{"resultType":"scalar","result":[1772366400.5,"0.012"]}`,
		wantValue: 0.012,
		wantText:  "0.012",
	}, {
		name: "vector of two series, ordered by labels",
		data: `{"resultType":"vector","result":[
			{"metric":{"pod":"web-b"},"value":[1772366400.5,"0.02"]},
			{"metric":{"pod":"web-a"},"value":[1772366400.5,"0.01"]}]}`,
		wantValue: []float64{0.01, 0.02},
		wantText:  "[0.01,0.02]",
	}, {
		name:      "empty vector is an empty list",
		data:      `{"resultType":"vector","result":[]}`,
		wantValue: []float64{},
		wantText:  "[]",
	}, {
		name:      "NaN scalar",
		data:      `{"resultType":"scalar","result":[1772366400.5,"NaN"]}`,
		wantValue: math.NaN(),
		wantText:  "NaN",
	}, {
		name:      "+Inf in a vector",
		data:      `{"resultType":"vector","result":[{"metric":{},"value":[1772366400.5,"+Inf"]}]}`,
		wantValue: []float64{math.Inf(1)},
		wantText:  "[+Inf]",
	}, {
		name:      "-Inf scalar",
		data:      `{"resultType":"scalar","result":[1772366400.5,"-Inf"]}`,
		wantValue: math.Inf(-1),
		wantText:  "-Inf",
	}, {
		name:      "small number in shortest form",
		data:      `{"resultType":"scalar","result":[1772366400.5,"0.000001"]}`,
		wantValue: 1e-06,
		wantText:  "1e-06",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, answer(http.StatusOK, success(tt.data)))
			res, err := measure(t, promMetric(srv.URL), testSecrets(nil))
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if !sameValue(tt.wantValue, res.Value) {
				t.Errorf("Value = %#v, want %#v", res.Value, tt.wantValue)
			}
			if res.Text != tt.wantText {
				t.Errorf("Text = %q, want %q", res.Text, tt.wantText)
			}
			if res.Phase != "" || res.Message != "" || len(res.Metadata) != 0 {
				t.Errorf("Phase, Message, Metadata = %q, %q, %v; want none", res.Phase, res.Message, res.Metadata)
			}
		})
	}
}

func TestMeasureRejectsOtherResultTypes(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{{
		name:    "range vector",
		data:    `{"resultType":"matrix","result":[{"metric":{"pod":"a"},"values":[[1772366400,"1"],[1772366401,"2"]]}]}`,
		wantErr: "the query returned a range vector; use an instant vector query: drop the [range] selector, or wrap it in a function such as rate()",
	}, {
		name:    "string",
		data:    `{"resultType":"string","result":[1772366400.5,"hello"]}`,
		wantErr: "the query returned a string; use an instant vector query or a scalar",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, answer(http.StatusOK, success(tt.data)))
			res, err := measure(t, promMetric(srv.URL), testSecrets(nil))
			if err == nil {
				t.Fatalf("Measure = %+v, want error %q", res, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMeasureSendsQueryAtMeasurementTime(t *testing.T) {
	var mu sync.Mutex
	var gotPath, gotQuery, gotTime string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotPath, gotQuery, gotTime = r.URL.Path, r.FormValue("query"), r.FormValue("time")
		mu.Unlock()
		answer(http.StatusOK, scalarOne)(w, r)
	}))
	m := promMetric(srv.URL + "/prom/")
	if _, err := measure(t, m, testSecrets(nil)); err != nil {
		t.Fatalf("Measure: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotPath != "/prom/api/v1/query" {
		t.Errorf("path = %q, want /prom/api/v1/query", gotPath)
	}
	if gotQuery != m.Provider.Prometheus.Query {
		t.Errorf("query = %q, want %q", gotQuery, m.Provider.Prometheus.Query)
	}
	if gotTime != "1772366400.5" {
		t.Errorf("time = %q, want 1772366400.5 (the measurement's time)", gotTime)
	}
}

func TestMeasureFallsBackToGET(t *testing.T) {
	// Some proxies in front of Prometheus refuse POST; the query is then sent
	// again as GET.
	var mu sync.Mutex
	var methods []string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		if r.Method == http.MethodPost {
			answer(http.StatusMethodNotAllowed, "")(w, r)
			return
		}
		if r.URL.Query().Get("query") == "" {
			answer(http.StatusBadRequest, `{"status":"error","errorType":"bad_data","error":"no query"}`)(w, r)
			return
		}
		answer(http.StatusOK, scalarOne)(w, r)
	}))
	res, err := measure(t, promMetric(srv.URL), testSecrets(nil))
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res.Text != "1" || strings.Join(methods, ",") != "POST,GET" {
		t.Errorf("Text = %q after %v, want 1 after POST,GET", res.Text, methods)
	}
}

func TestMeasureReportsWarnings(t *testing.T) {
	body := `{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["PromQL info: metric might not be a counter"]}`
	srv := serve(t, answer(http.StatusOK, body))
	res, err := measure(t, promMetric(srv.URL), testSecrets(nil))
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	if want := "prometheus warned: PromQL info: metric might not be a counter"; res.Message != want {
		t.Errorf("Message = %q, want %q", res.Message, want)
	}
}

func TestMeasureLongVectorText(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resultType":"vector","result":[`)
	for i := range 40 {
		if i > 0 {
			b.WriteByte(',')
		}
		// Labels 00..39 sort in the order written.
		b.WriteString(`{"metric":{"i":"` + string(rune('0'+i/10)) + string(rune('0'+i%10)) + `"},"value":[1772366400.5,"1"]}`)
	}
	b.WriteString(`]}`)
	srv := serve(t, answer(http.StatusOK, success(b.String())))
	res, err := measure(t, promMetric(srv.URL), testSecrets(nil))
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	if got := len(res.Value.([]float64)); got != 40 {
		t.Errorf("len(Value) = %d, want 40 (all values reach the conditions)", got)
	}
	want := "[" + strings.Repeat("1,", 32)[:63] + ",… 8 more]"
	if res.Text != want {
		t.Errorf("Text = %q, want %q", res.Text, want)
	}
}

func TestConnectTimeout(t *testing.T) {
	tests := []struct {
		name    string
		timeout *int32
		want    time.Duration
	}{
		{"default", nil, 30 * time.Second},
		{"set", ptr.To[int32](5), 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := connect(context.Background(), testSecrets(nil), &rampv1alpha1.PrometheusConnection{Address: "http://prometheus:9090", Timeout: tt.timeout})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			if c.timeout != tt.want {
				t.Errorf("timeout = %s, want %s", c.timeout, tt.want)
			}
		})
	}
}

func TestMeasureWithoutPrometheusProvider(t *testing.T) {
	_, err := New().Measure(context.Background(), analysis.Request{Metric: &rampv1alpha1.Metric{Name: "m"}})
	if err == nil || err.Error() != "metric has no prometheus provider" {
		t.Errorf("error = %v, want metric has no prometheus provider", err)
	}
}
