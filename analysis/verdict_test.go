package analysis

import (
	"context"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestAssess(t *testing.T) {
	metric := func(success, failure string) Conditions {
		c, err := CompileConditions(&rampv1alpha1.Metric{Name: "m", SuccessCondition: success, FailureCondition: failure})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		conds Conditions
		res   Result
		phase rampv1alpha1.AnalysisPhase
		msg   string
	}{
		{"success holds", metric("result < 0.05", ""), Result{Value: 0.01, Text: "0.01"}, "Successful", ""},
		{"success false", metric("result < 0.05", ""), Result{Value: 0.2, Text: "0.2"}, "Failed", `successCondition "result < 0.05" is false for 0.2`},
		{"failure holds", metric("", "result >= 0.05"), Result{Value: 0.2, Text: "0.2"}, "Failed", `failureCondition "result >= 0.05" is true for 0.2`},
		{"failure false", metric("", "result >= 0.05"), Result{Value: 0.01, Text: "0.01"}, "Successful", ""},
		{"neither", metric("result < 0.05", "result > 0.1"), Result{Value: 0.07, Text: "0.07"}, "Inconclusive",
			`neither successCondition "result < 0.05" nor failureCondition "result > 0.1" holds for 0.07`},
		{"no conditions", Conditions{}, Result{Value: 3.0, Text: "3"}, "Successful", ""},
		{"provider decided", metric("result < 0.05", ""), Result{Phase: "Failed", Message: "job x failed: BackoffLimitExceeded"}, "Failed", "job x failed"},
		{"cannot evaluate", metric("result[1] < 0.05", ""), Result{Value: []float64{0.01}, Text: "[0.01]"}, "Error",
			"successCondition cannot be evaluated on [0.01]"},
	} {
		phase, msg := Assess(tc.conds, tc.res)
		if phase != tc.phase || !strings.Contains(msg, tc.msg) || (tc.msg == "" && msg != "") {
			t.Errorf("%s: %s %q, want %s %q", tc.name, phase, msg, tc.phase, tc.msg)
		}
	}
	if _, err := CompileConditions(&rampv1alpha1.Metric{Name: "latency", SuccessCondition: "result <"}); err == nil ||
		!strings.Contains(err.Error(), "metric latency: successCondition: cannot parse") {
		t.Errorf("compile error %v does not name the metric and the condition", err)
	}
}

func TestSubstitute(t *testing.T) {
	m := &rampv1alpha1.Metric{Name: "errors", Provider: rampv1alpha1.MetricProvider{Prometheus: &rampv1alpha1.PrometheusMetric{
		PrometheusConnection: rampv1alpha1.PrometheusConnection{Address: "{{args.prometheus}}"},
		Query:                `rate(http_requests_total{service="{{ args.service }}"}[1m])`,
	}}}
	out, err := Substitute(m, map[string]string{"prometheus": "http://prom:9090", "service": `we"b`})
	if err != nil {
		t.Fatal(err)
	}
	if out.Provider.Prometheus.Address != "http://prom:9090" || out.Provider.Prometheus.Query != `rate(http_requests_total{service="we"b"}[1m])` {
		t.Errorf("substituted %+v", out.Provider.Prometheus)
	}
	if m.Provider.Prometheus.Address != "{{args.prometheus}}" {
		t.Error("Substitute changed its input")
	}
	if _, err := Substitute(m, map[string]string{"prometheus": "x"}); err == nil || !strings.Contains(err.Error(), "{{args.service}}") {
		t.Errorf("missing argument error %v does not name it", err)
	}
}

func TestArgValues(t *testing.T) {
	secrets := analysistest.Secrets{"prom": {"token": "s3cret"}}
	args := []rampv1alpha1.Argument{
		{Name: "service", Value: ptr.To("web")},
		{Name: "token", ValueFrom: &rampv1alpha1.ValueFrom{SecretKeyRef: &rampv1alpha1.SecretKeyRef{Name: "prom", Key: "token"}}},
	}
	got, err := ArgValues(context.Background(), args, secrets)
	if err != nil || got["service"] != "web" || got["token"] != "s3cret" {
		t.Errorf("ArgValues = %v, %v", got, err)
	}
	_, err = ArgValues(context.Background(), []rampv1alpha1.Argument{{Name: "service"}}, secrets)
	if err == nil || !strings.Contains(err.Error(), "argument service has no value") {
		t.Errorf("missing value error: %v", err)
	}
	_, err = ArgValues(context.Background(), []rampv1alpha1.Argument{{Name: "t", ValueFrom: &rampv1alpha1.ValueFrom{
		SecretKeyRef: &rampv1alpha1.SecretKeyRef{Name: "nope", Key: "k"}}}}, secrets)
	if err == nil || !strings.Contains(err.Error(), `argument t: secret "nope" not found`) {
		t.Errorf("missing secret error: %v", err)
	}
}
