package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestMeasureErrors(t *testing.T) {
	page := "<html>\n  <body>\n    <h1>Internal error</h1>\n    " + strings.Repeat("stack frame ", 40) + "\n  </body>\n</html>"
	tests := []struct {
		name    string
		handler http.HandlerFunc
		web     rampv1alpha1.WebMetric // URL is the server's URL + /api/check unless set
		want    string                 // the whole message; {url} is the server's URL
	}{
		{
			name:    "404 with a short body",
			handler: answer(http.StatusNotFound, "no such check\n"),
			want:    "GET {url}/api/check answered 404 Not Found: no such check",
		},
		{
			name:    "500 with a long page, quoted on one line and cut",
			handler: answer(http.StatusInternalServerError, page),
			want: "GET {url}/api/check answered 500 Internal Server Error: " +
				cut("<html> <body> <h1>Internal error</h1> "+strings.Repeat("stack frame ", 40), snippetBytes),
		},
		{
			name:    "503 without a body",
			handler: answer(http.StatusServiceUnavailable, ""),
			want:    "GET {url}/api/check answered 503 Service Unavailable",
		},
		{
			name:    "redirect to a failing page",
			handler: redirectThenFail,
			want:    "GET {url}/api/check answered 502 Bad Gateway: upstream down",
		},
		{
			name:    "not JSON with a jsonPath",
			handler: answer(http.StatusOK, "healthy"),
			web:     rampv1alpha1.WebMetric{JSONPath: "{.ok}"},
			want:    "GET {url}/api/check: the answer is not JSON, so jsonPath {.ok} cannot be applied: invalid character 'h' looking for beginning of value",
		},
		{
			name:    "empty with a jsonPath",
			handler: answer(http.StatusNoContent, ""),
			web:     rampv1alpha1.WebMetric{JSONPath: "{.ok}"},
			want:    "GET {url}/api/check: the answer is empty, not JSON, so jsonPath {.ok} cannot be applied",
		},
		{
			name:    "jsonPath with a missing key",
			handler: answer(http.StatusOK, `{"data": {"ok": true}, "status": "success"}`),
			web:     rampv1alpha1.WebMetric{JSONPath: "{.data.healthy}"},
			want:    "GET {url}/api/check: jsonPath {.data.healthy} matched nothing in the answer (its top-level keys: data, status): healthy is not found",
		},
		{
			name:    "jsonPath past the end of a list",
			handler: answer(http.StatusOK, `{"items": [1, 2]}`),
			web:     rampv1alpha1.WebMetric{JSONPath: "{.items[5]}"},
			want:    "GET {url}/api/check: jsonPath {.items[5]} matched nothing in the answer (its top-level keys: items): array index out of bounds: index 5, length 2",
		},
		{
			name:    "jsonPath filter matching nothing",
			handler: answer(http.StatusOK, `{"items": [{"name": "a", "v": 1}]}`),
			web:     rampv1alpha1.WebMetric{JSONPath: `{.items[?(@.name=="b")].v}`},
			want:    `GET {url}/api/check: jsonPath {.items[?(@.name=="b")].v} matched nothing in the answer (its top-level keys: items)`,
		},
		{
			name:    "jsonPath into an empty list",
			handler: answer(http.StatusOK, `[]`),
			web:     rampv1alpha1.WebMetric{JSONPath: `{[*].v}`},
			want:    `GET {url}/api/check: jsonPath {[*].v} matched nothing in the answer`,
		},
		{
			name:    "jsonPath that does not parse",
			handler: answer(http.StatusOK, `{}`),
			web:     rampv1alpha1.WebMetric{JSONPath: "{.items[}"},
			want:    "GET {url}/api/check: jsonPath {.items[} is not valid: unterminated array",
		},
		{
			name:    "answer larger than 1 MiB",
			handler: answer(http.StatusOK, `"`+strings.Repeat("x", maxBodyBytes)+`"`),
			want:    "GET {url}/api/check: the answer is larger than 1048576 bytes (1 MiB), the most read",
		},
		{
			name:    "method not allowed",
			handler: answer(http.StatusOK, `{}`),
			web:     rampv1alpha1.WebMetric{Method: http.MethodDelete},
			want:    `web.method "DELETE" is not GET, POST or PUT`,
		},
		{
			name:    "URL that does not parse",
			handler: answer(http.StatusOK, `{}`),
			web:     rampv1alpha1.WebMetric{URL: "http://[::1/x"},
			want:    "web.url is not a valid URL: missing ']' in host",
		},
		{
			name:    "URL with another scheme",
			handler: answer(http.StatusOK, `{}`),
			web:     rampv1alpha1.WebMetric{URL: "ftp://files.example.com/x?user=a"},
			want:    "web.url ftp://files.example.com/x?… must start with http:// or https://",
		},
		{
			name:    "URL without a host",
			handler: answer(http.StatusOK, `{}`),
			web:     rampv1alpha1.WebMetric{URL: "http:///x"},
			want:    "web.url http:///x has no host",
		},
		{
			name:    "header from a missing Secret",
			handler: answer(http.StatusOK, `{}`),
			web: rampv1alpha1.WebMetric{Headers: []rampv1alpha1.WebMetricHeader{
				{Key: "X-Api-Key", ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: ref("api", "key")}},
			}},
			want: `GET {url}/api/check: header X-Api-Key: secret "api" not found`,
		},
		{
			name:    "token from a missing key",
			handler: answer(http.StatusOK, `{}`),
			web:     rampv1alpha1.WebMetric{Authentication: &rampv1alpha1.MetricAuthentication{BearerToken: ptr(ref("login", "token"))}},
			want:    `GET {url}/api/check: authentication.bearerToken: secret "login" has no key "token"`,
		},
	}
	secrets := analysistest.Secrets{"login": {"user": "alice"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			web := tt.web
			if web.URL == "" {
				web.URL = srv.URL + "/api/check"
			}
			got, err := measure(t, web, secrets)
			if err == nil {
				t.Fatalf("Measure = %+v, want an error", got)
			}
			want := strings.ReplaceAll(tt.want, "{url}", srv.URL)
			if err.Error() != want {
				t.Errorf("error:\n got %q\nwant %q", err, want)
			}
		})
	}
}

// redirectThenFail redirects /api/check to /down, which fails.
func redirectThenFail(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/check" {
		http.Redirect(w, r, "/down?token=abc", http.StatusFound)
		return
	}
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte("upstream down"))
}

func TestMeasureTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)

	start := time.Now()
	_, err := measure(t, rampv1alpha1.WebMetric{URL: srv.URL + "/slow?q=1", TimeoutSeconds: ptr(int32(1))}, nil)
	elapsed := time.Since(start)
	want := "GET " + srv.URL + "/slow?… did not answer within 1s"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if elapsed < time.Second || elapsed > 5*time.Second {
		t.Errorf("Measure took %s, want about 1s", elapsed)
	}
}

func TestMeasureSlowBody(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"items": [`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)

	_, err := measure(t, rampv1alpha1.WebMetric{URL: srv.URL + "/slow", TimeoutSeconds: ptr(int32(1))}, nil)
	want := "GET " + srv.URL + "/slow did not finish its answer within 1s"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestMeasureCanceled(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	metric := &rampv1alpha1.Metric{Name: "check", Provider: rampv1alpha1.MetricProvider{Web: &rampv1alpha1.WebMetric{URL: srv.URL}}}
	_, err := New().Measure(ctx, analysis.Request{Metric: metric, Secrets: analysistest.Secrets{}})
	if !errors.Is(err, context.Canceled) || err.Error() != "GET "+srv.URL+": context canceled" {
		t.Fatalf("error = %v, want %q wrapping context.Canceled", err, "GET "+srv.URL+": context canceled")
	}
}

func TestMeasureConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	_, err = measure(t, rampv1alpha1.WebMetric{URL: "http://" + addr + "/api/check?key=abc"}, nil)
	want := "GET http://" + addr + "/api/check?…: dial tcp " + addr + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestMeasureWithoutWeb(t *testing.T) {
	_, err := New().Measure(t.Context(), analysis.Request{Metric: &rampv1alpha1.Metric{Name: "check"}})
	if err == nil || err.Error() != "metric has no web provider" {
		t.Fatalf("error = %v, want %q", err, "metric has no web provider")
	}
}
