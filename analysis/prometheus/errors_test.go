package prometheus

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestMeasureErrors(t *testing.T) {
	// ADDR in wantErr stands for the test server's address.
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		timeout  *int32
		wantErr  string
		wantType promv1.ErrorType // Prometheus' error type, when it sent one
	}{{
		name:     "query does not parse (400 bad_data)",
		handler:  answer(http.StatusBadRequest, `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected character: '@'"}`),
		wantErr:  "prometheus query failed: bad_data: 1:5: parse error: unexpected character: '@'",
		wantType: promv1.ErrBadData,
	}, {
		name:     "query fails (422 execution)",
		handler:  answer(http.StatusUnprocessableEntity, `{"status":"error","errorType":"execution","error":"found duplicate series for the match group"}`),
		wantErr:  "prometheus query failed: execution: found duplicate series for the match group",
		wantType: promv1.ErrExec,
	}, {
		name:     "internal error (500 with Prometheus' JSON)",
		handler:  answer(http.StatusInternalServerError, `{"status":"error","errorType":"internal","error":"expanding series: out of memory"}`),
		wantErr:  "prometheus query failed: internal: expanding series: out of memory (HTTP 500 Internal Server Error)",
		wantType: "internal",
	}, {
		name:     "query timeout in Prometheus (503 with Prometheus' JSON)",
		handler:  answer(http.StatusServiceUnavailable, `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`),
		wantErr:  "prometheus query failed: timeout: query timed out in expression evaluation (HTTP 503 Service Unavailable)",
		wantType: promv1.ErrTimeout,
	}, {
		name:    "503 without a JSON body",
		handler: answer(http.StatusServiceUnavailable, "no healthy upstream\n"),
		wantErr: "prometheus at ADDR answered HTTP 503 Service Unavailable: no healthy upstream",
	}, {
		name:    "503 with an empty body",
		handler: answer(http.StatusServiceUnavailable, ""),
		wantErr: "prometheus at ADDR answered HTTP 503 Service Unavailable",
	}, {
		name:    "502 with an HTML page",
		handler: answer(http.StatusBadGateway, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
		wantErr: "prometheus at ADDR answered HTTP 502 Bad Gateway",
	}, {
		name:    "401 names what to check",
		handler: answer(http.StatusUnauthorized, "Unauthorized\n"),
		wantErr: "prometheus at ADDR answered HTTP 401 Unauthorized: Unauthorized (check authentication and headers)",
	}, {
		name:    "404 names the address",
		handler: answer(http.StatusNotFound, "404 page not found\n"),
		wantErr: "prometheus at ADDR answered HTTP 404 Not Found: 404 page not found (check the address: it is the server's root, such as http://prometheus:9090)",
	}, {
		name:    "200 that is not the API (such as a web page)",
		handler: answer(http.StatusOK, "<html>Grafana</html>"),
		wantErr: "prometheus at ADDR answered HTTP 200 OK with something other than the Prometheus API's JSON; check the address",
	}, {
		name: "slower than the timeout",
		handler: func(w http.ResponseWriter, r *http.Request) {
			// Read the request first, so the server notices when the client
			// gives up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			answer(http.StatusOK, scalarOne)(w, r)
		},
		timeout: ptr.To[int32](1),
		wantErr: "prometheus at ADDR did not answer within 1s",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			m := promMetric(srv.URL, func(pm *rampv1alpha1.PrometheusMetric) { pm.Timeout = tt.timeout })
			start := time.Now()
			res, err := measure(t, m, testSecrets(nil))
			if err == nil {
				t.Fatalf("Measure = %+v, want error", res)
			}
			if want := strings.ReplaceAll(tt.wantErr, "ADDR", srv.URL); err.Error() != want {
				t.Errorf("error = %q\nwant    %q", err, want)
			}
			var promErr *promv1.Error
			if tt.wantType != "" && (!errors.As(err, &promErr) || promErr.Type != tt.wantType) {
				t.Errorf("error %v does not wrap a Prometheus error of type %s", err, tt.wantType)
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("Measure took %s, want it bounded by the timeout", elapsed)
			}
		})
	}
}

func TestMeasureUnreachable(t *testing.T) {
	srv := httptest.NewServer(answer(http.StatusOK, scalarOne))
	address := srv.URL
	srv.Close()
	_, err := measure(t, promMetric(address), testSecrets(nil))
	want := "could not reach prometheus at " + address + ": dial tcp " + strings.TrimPrefix(address, "http://") + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestMeasureBadAddress(t *testing.T) {
	tests := []struct {
		address string
		wantErr string
	}{
		{"ftp://prometheus:21", "prometheus address must start with http:// or https://"},
		{"http://", "prometheus address has no host"},
		{"http://prometheus:port", `prometheus address is not a valid URL: invalid port ":port" after host`},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			_, err := measure(t, promMetric(tt.address), testSecrets(nil))
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %s", err, tt.wantErr)
			}
		})
	}
}

func TestMeasureAddressUserInfoNotShown(t *testing.T) {
	srv := httptest.NewServer(answer(http.StatusOK, scalarOne))
	srv.Close()
	address := strings.Replace(srv.URL, "http://", "http://admin:"+secretPass+"@", 1)
	_, err := measure(t, promMetric(address), testSecrets(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "could not reach prometheus at "+srv.URL+":") {
		t.Errorf("error = %v, want it to name %s without user information", err, srv.URL)
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct{ body, want string }{
		{"", ""},
		{"  \n", ""},
		{"<!DOCTYPE html><html></html>", ""},
		{"line one\n  line two\n", "line one line two"},
		{long, strings.Repeat("x", 200) + "…"},
	}
	for _, tt := range tests {
		if got := snippet(tt.body); got != tt.want {
			t.Errorf("snippet(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// An answer larger than the cap is cut off, not read whole into memory.
func TestMeasureAnswerTooLarge(t *testing.T) {
	chunk := strings.Repeat(" ", 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1,"1"]},"padding":"`))
		for range 50 {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	_, err := measure(t, promMetric(srv.URL), testSecrets(nil))
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("a 50 MB answer: error = %v, want it refused as larger than 16 MiB", err)
	}
}
