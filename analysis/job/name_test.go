package job

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestJobName(t *testing.T) {
	long := strings.Repeat("r", 70)
	tests := []struct {
		name   string
		run    string
		metric string
		n      int32
		want   string // exact name, when it is not hashed
		prefix string // start of a hashed name
	}{
		{name: "short", run: "web-7c9f-2", metric: "error-rate", n: 1, want: "web-7c9f-2-error-rate-1"},
		{name: "measurement number", run: "web-7c9f-2", metric: "error-rate", n: 12, want: "web-7c9f-2-error-rate-12"},
		{name: "exactly 63", run: strings.Repeat("a", 59), metric: "m", n: 1, want: strings.Repeat("a", 59) + "-m-1"},
		{name: "64 is cut", run: strings.Repeat("a", 60), metric: "m", n: 1, prefix: strings.Repeat("a", 54) + "-"},
		{name: "long run", run: long, metric: "error-rate", n: 3, prefix: strings.Repeat("r", 54) + "-"},
		{name: "long metric", run: "web", metric: strings.Repeat("m", 100), n: 3, prefix: "web-" + strings.Repeat("m", 50) + "-"},
		{name: "cut before a dash", run: strings.Repeat("a", 53), metric: strings.Repeat("m", 20), n: 1, prefix: strings.Repeat("a", 53) + "-"},
		{name: "metric with capitals, dots and underscores", run: "web", metric: "Error_Rate.p99", n: 2, prefix: "web-error-rate-p99-2-"},
		{name: "run with dots", run: "web.v2", metric: "m", n: 1, prefix: "web-v2-m-1-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jobName(tt.run, tt.metric, tt.n)
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Fatalf("jobName = %q (%d characters), not a valid job name: %v", got, len(got), errs)
			}
			if again := jobName(tt.run, tt.metric, tt.n); again != got {
				t.Fatalf("jobName is not stable: %q then %q", got, again)
			}
			if tt.want != "" {
				if got != tt.want {
					t.Fatalf("jobName = %q, want %q", got, tt.want)
				}
				return
			}
			if !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+hashLen {
				t.Fatalf("jobName = %q, want %q followed by a %d-character hash", got, tt.prefix, hashLen)
			}
		})
	}
}

func TestJobNamesDiffer(t *testing.T) {
	type measurement struct {
		run, metric string
		n           int32
	}
	long := strings.Repeat("r", 70)
	tests := []struct {
		name string
		a, b measurement
	}{
		{name: "long names, next measurement", a: measurement{long, "m", 1}, b: measurement{long, "m", 2}},
		{name: "long names, other metric", a: measurement{long, "latency", 1}, b: measurement{long, "errors", 1}},
		{name: "metrics that clean up alike", a: measurement{"web", "a_b", 1}, b: measurement{"web", "a.b", 1}},
		{name: "cleaned against plain", a: measurement{"web", "A", 1}, b: measurement{"web", "a", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := jobName(tt.a.run, tt.a.metric, tt.a.n)
			b := jobName(tt.b.run, tt.b.metric, tt.b.n)
			if a == b {
				t.Fatalf("%+v and %+v both give job name %q", tt.a, tt.b, a)
			}
		})
	}
}

func TestLabelValue(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string // exact value, when it is not hashed
	}{
		{name: "short", value: "web-7c9f-2", want: "web-7c9f-2"},
		{name: "metric name as it is", value: "Error_Rate.p99", want: "Error_Rate.p99"},
		{name: "exactly 63", value: strings.Repeat("a", 63), want: strings.Repeat("a", 63)},
		{name: "too long", value: strings.Repeat("a", 64)},
		{name: "too long, cut before a dot", value: strings.Repeat("a", 53) + "." + strings.Repeat("b", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := labelValue(tt.value)
			if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
				t.Fatalf("labelValue = %q, not a valid label value: %v", got, errs)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("labelValue = %q, want %q", got, tt.want)
			}
			if tt.want == "" && (!strings.HasPrefix(got, tt.value[:20]) || got == tt.value || labelValue(tt.value) != got) {
				t.Fatalf("labelValue = %q, want a stable, cut and hashed form of %q", got, tt.value)
			}
		})
	}
}
