package judge

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// fakePrometheus answers range queries with normal samples whose mean and
// spread depend on the pod template hash the query names, and instant
// queries with counts per hash.
func fakePrometheus(t *testing.T, dists map[string][2]float64, counts map[string]float64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.Form.Get("query")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/query_range":
			for hash, d := range dists {
				if strings.Contains(q, `"`+hash+`"`) {
					var values [][2]any
					for i := range 60 {
						values = append(values, [2]any{1000 + i, fmt.Sprint(d[0] + d[1]*rng.NormFloat64())})
					}
					_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
						"resultType": "matrix", "result": []any{map[string]any{"metric": map[string]string{}, "values": values}}}})
					return
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": []any{}}})
		case "/api/v1/query":
			for key, v := range counts {
				if strings.Contains(q, key) {
					_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
						"resultType": "vector", "result": []any{map[string]any{"metric": map[string]string{}, "value": []any{1000, fmt.Sprint(v)}}}}})
					return
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": []any{}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func run(annotations map[string]string) *rampv1alpha1.AnalysisRun {
	return &rampv1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{
		Name: "web-abc-2", Labels: map[string]string{rampv1alpha1.LabelPodTemplateHash: "canary1"}, Annotations: annotations,
	}}
}

func judgeMetric(address, compare string, queries ...rampv1alpha1.JudgeQuery) *rampv1alpha1.Metric {
	return &rampv1alpha1.Metric{Name: "judge", Provider: rampv1alpha1.MetricProvider{Judge: &rampv1alpha1.JudgeMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: address},
		Window:               "1m", Step: "1s", Compare: compare, Queries: queries,
	}}}
}

func TestMeasure(t *testing.T) {
	latency := rampv1alpha1.JudgeQuery{Name: "latency", Group: "latency", Query: `latency{hash="{{version.podHash}}"}`, Critical: true}
	errorsQ := rampv1alpha1.JudgeQuery{Name: "errors", Kind: "Ratio",
		ErrorQuery: `errors{hash="{{version.podHash}}"}`, TotalQuery: `requests{hash="{{version.podHash}}"}`}
	stable := map[string]string{rampv1alpha1.AnnotationStablePodTemplateHash: "stable1"}
	for _, tc := range []struct {
		name      string
		dists     map[string][2]float64
		counts    map[string]float64
		ann       map[string]string
		compare   string
		queries   []rampv1alpha1.JudgeQuery
		phase     rampv1alpha1.AnalysisPhase
		score     int32
		compared  string
		classes   []string
		inMessage string
	}{
		{name: "same latency passes", dists: map[string][2]float64{"canary1": {100, 10}, "stable1": {100, 10}}, ann: stable,
			queries: []rampv1alpha1.JudgeQuery{latency}, phase: rampv1alpha1.AnalysisPhaseSuccessful, score: 100,
			compared: "canary canary1 with stable stable1", classes: []string{"Pass"}},
		{name: "30% slower fails naming the metric", dists: map[string][2]float64{"canary1": {130, 10}, "stable1": {100, 10}}, ann: stable,
			queries: []rampv1alpha1.JudgeQuery{latency}, phase: rampv1alpha1.AnalysisPhaseFailed, score: 0,
			classes: []string{"High"}, inMessage: "latency High"},
		{name: "baseline when the run has one", ann: map[string]string{rampv1alpha1.AnnotationStablePodTemplateHash: "stable1",
			rampv1alpha1.AnnotationBaselinePodTemplateHash: "stable1-baseline"},
			dists:   map[string][2]float64{"canary1": {100, 10}, "stable1": {200, 10}, "stable1-baseline": {100, 10}},
			queries: []rampv1alpha1.JudgeQuery{latency}, phase: rampv1alpha1.AnalysisPhaseSuccessful, score: 100,
			compared: "canary canary1 with baseline stable1-baseline", classes: []string{"Pass"}},
		{name: "compare Stable despite a baseline", compare: "Stable", ann: map[string]string{rampv1alpha1.AnnotationStablePodTemplateHash: "stable1",
			rampv1alpha1.AnnotationBaselinePodTemplateHash: "stable1-baseline"},
			dists:   map[string][2]float64{"canary1": {100, 10}, "stable1": {100, 10}, "stable1-baseline": {200, 10}},
			queries: []rampv1alpha1.JudgeQuery{latency}, phase: rampv1alpha1.AnalysisPhaseSuccessful, score: 100,
			compared: "canary canary1 with stable stable1", classes: []string{"Pass"}},
		{name: "sparse errors of the canary fail a ratio", ann: stable,
			dists: map[string][2]float64{"canary1": {100, 10}, "stable1": {100, 10}},
			counts: map[string]float64{`errors{hash="canary1"}`: 3, `requests{hash="canary1"}`: 10000,
				`errors{hash="stable1"}`: 0, `requests{hash="stable1"}`: 10000},
			queries: []rampv1alpha1.JudgeQuery{latency, errorsQ}, classes: []string{"Pass", "High"}, inMessage: "errors High"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakePrometheus(t, tc.dists, tc.counts)
			p := &Provider{now: func() time.Time { return time.Unix(1060, 0) }}
			res, err := p.Measure(context.Background(), analysis.Request{Run: run(tc.ann), Metric: judgeMetric(addr, tc.compare, tc.queries...)})
			if err != nil {
				t.Fatal(err)
			}
			v := res.Verdict
			if v == nil || len(v.Metrics) != len(tc.classes) {
				t.Fatalf("verdict %+v", v)
			}
			for i, c := range tc.classes {
				if v.Metrics[i].Classification != c || v.Metrics[i].Reason == "" {
					t.Errorf("metric %s: %s (%s), want %s", v.Metrics[i].Name, v.Metrics[i].Classification, v.Metrics[i].Reason, c)
				}
			}
			if tc.phase != "" && (res.Phase != tc.phase || v.Score != tc.score) {
				t.Errorf("phase %s score %d, want %s %d (%s)", res.Phase, v.Score, tc.phase, tc.score, res.Message)
			}
			if tc.compared != "" && v.Compared != tc.compared {
				t.Errorf("compared %q, want %q", v.Compared, tc.compared)
			}
			if !strings.Contains(res.Message, tc.inMessage) {
				t.Errorf("message %q lacks %q", res.Message, tc.inMessage)
			}
		})
	}
}

func TestMeasureRefuses(t *testing.T) {
	latency := rampv1alpha1.JudgeQuery{Name: "latency", Query: `latency{hash="{{version.podHash}}"}`}
	for name, tc := range map[string]struct {
		run    *rampv1alpha1.AnalysisRun
		metric *rampv1alpha1.Metric
		want   string
	}{
		"no stable": {run(nil), judgeMetric("http://127.0.0.1:1", "", latency), "names no stable version"},
		"baseline asked, none run": {run(map[string]string{rampv1alpha1.AnnotationStablePodTemplateHash: "s"}),
			judgeMetric("http://127.0.0.1:1", "Baseline", latency), "set spec.strategy.canary.baseline"},
		"bad window": {run(map[string]string{rampv1alpha1.AnnotationStablePodTemplateHash: "s"}),
			func() *rampv1alpha1.Metric {
				m := judgeMetric("http://127.0.0.1:1", "", latency)
				m.Provider.Judge.Window = "soon"
				return m
			}(), `window "soon" is not a positive duration`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New().Measure(context.Background(), analysis.Request{Run: tc.run, Metric: tc.metric})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
