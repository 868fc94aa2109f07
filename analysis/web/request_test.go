package web

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// seen is what the server saw of a request.
type seen struct {
	method string
	path   string
	body   string
	header http.Header
	user   string
	pass   string
	basic  bool
}

// recorder serves {"ok": true} and remembers the last request.
type recorder struct {
	mu   sync.Mutex
	last seen
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	user, pass, basic := req.BasicAuth()
	r.mu.Lock()
	r.last = seen{method: req.Method, path: req.URL.Path, body: string(body), header: req.Header.Clone(), user: user, pass: pass, basic: basic}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok": true}`))
}

func (r *recorder) seen() seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func TestMeasureRequest(t *testing.T) {
	secrets := analysistest.Secrets{
		"api":   {"key": "k-123", "token": "t-456"},
		"login": {"user": "alice", "pass": "wonderland"},
	}
	tests := []struct {
		name        string
		web         rampv1alpha1.WebMetric
		wantMethod  string
		wantBody    string
		wantHeaders map[string]string // "" means the header must be absent
		wantBasic   []string
	}{
		{
			name:        "GET by default, without the body",
			web:         rampv1alpha1.WebMetric{Body: `{"ignored": true}`},
			wantMethod:  http.MethodGet,
			wantHeaders: map[string]string{"Accept": "application/json", "Content-Type": "", "Authorization": ""},
		},
		{
			name:        "POST sends the body as JSON",
			web:         rampv1alpha1.WebMetric{Method: http.MethodPost, Body: `{"query": "up"}`},
			wantMethod:  http.MethodPost,
			wantBody:    `{"query": "up"}`,
			wantHeaders: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "a header sets another Content-Type",
			web: rampv1alpha1.WebMetric{Method: http.MethodPost, Body: "q=up", Headers: []rampv1alpha1.WebMetricHeader{
				{Key: "Content-Type", Value: ptr("application/x-www-form-urlencoded")},
			}},
			wantMethod:  http.MethodPost,
			wantBody:    "q=up",
			wantHeaders: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		},
		{
			name:        "PUT sends the body",
			web:         rampv1alpha1.WebMetric{Method: http.MethodPut, Body: `[1]`},
			wantMethod:  http.MethodPut,
			wantBody:    `[1]`,
			wantHeaders: map[string]string{"Content-Type": "application/json"},
		},
		{
			name:        "POST without a body",
			web:         rampv1alpha1.WebMetric{Method: http.MethodPost},
			wantMethod:  http.MethodPost,
			wantHeaders: map[string]string{"Content-Type": ""},
		},
		{
			name: "headers from a value and from a Secret",
			web: rampv1alpha1.WebMetric{Headers: []rampv1alpha1.WebMetricHeader{
				{Key: "X-Team", Value: ptr("payments")},
				{Key: "X-Api-Key", ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: ref("api", "key")}},
				{Key: "Accept", Value: ptr("application/vnd.api+json")},
			}},
			wantMethod:  http.MethodGet,
			wantHeaders: map[string]string{"X-Team": "payments", "X-Api-Key": "k-123", "Accept": "application/vnd.api+json"},
		},
		{
			name:        "bearer token from a Secret",
			web:         rampv1alpha1.WebMetric{Authentication: &rampv1alpha1.MetricAuthentication{BearerToken: ptr(ref("api", "token"))}},
			wantMethod:  http.MethodGet,
			wantHeaders: map[string]string{"Authorization": "Bearer t-456"},
		},
		{
			name: "basic authentication from a Secret",
			web: rampv1alpha1.WebMetric{Authentication: &rampv1alpha1.MetricAuthentication{Basic: &rampv1alpha1.BasicAuth{
				Username: ref("login", "user"), Password: ref("login", "pass"),
			}}},
			wantMethod: http.MethodGet,
			wantBasic:  []string{"alice", "wonderland"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			web := tt.web
			web.URL = srv.URL + "/api/check?window=5m"
			web.JSONPath = "{.ok}"
			got, err := measure(t, web, secrets)
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if got.Value != true {
				t.Errorf("Value = %#v, want true", got.Value)
			}
			s := rec.seen()
			if s.method != tt.wantMethod || s.path != "/api/check" || s.body != tt.wantBody {
				t.Errorf("server saw %s %s with body %q, want %s /api/check with body %q", s.method, s.path, s.body, tt.wantMethod, tt.wantBody)
			}
			for key, want := range tt.wantHeaders {
				if got := s.header.Get(key); got != want {
					t.Errorf("header %s = %q, want %q", key, got, want)
				}
			}
			if tt.wantBasic != nil && (!s.basic || s.user != tt.wantBasic[0] || s.pass != tt.wantBasic[1]) {
				t.Errorf("basic authentication = %v %q:%q, want %q:%q", s.basic, s.user, s.pass, tt.wantBasic[0], tt.wantBasic[1])
			}
		})
	}
}

func TestMeasureTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(&recorder{})
	// Refused handshakes are expected here; keep them out of the test log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	secrets := analysistest.Secrets{"tls": {"ca.crt": ca, "junk": "not a certificate"}}

	tests := []struct {
		name    string
		tls     *rampv1alpha1.TLSConfig
		wantErr string
	}{
		{name: "CA from a Secret", tls: &rampv1alpha1.TLSConfig{CASecretRef: ptr(ref("tls", "ca.crt"))}},
		{name: "insecureSkipVerify", tls: &rampv1alpha1.TLSConfig{InsecureSkipVerify: true}},
		// The test server's certificate is for example.com and 127.0.0.1.
		{name: "serverName in the certificate", tls: &rampv1alpha1.TLSConfig{CASecretRef: ptr(ref("tls", "ca.crt")), ServerName: "example.com"}},
		{
			name:    "unknown authority",
			wantErr: "x509: certificate signed by unknown authority (trust its authority with tls.caSecretRef, or set tls.insecureSkipVerify)",
		},
		{
			name:    "serverName not in the certificate",
			tls:     &rampv1alpha1.TLSConfig{CASecretRef: ptr(ref("tls", "ca.crt")), ServerName: "other.test"},
			wantErr: "not other.test (set tls.serverName to the name in the certificate)",
		},
		{
			name:    "Secret without a certificate",
			tls:     &rampv1alpha1.TLSConfig{CASecretRef: ptr(ref("tls", "junk"))},
			wantErr: `GET ` + srv.URL + `/api/check: tls.caSecretRef: key "junk" of Secret "tls" holds no PEM certificate`,
		},
		{
			name:    "missing Secret",
			tls:     &rampv1alpha1.TLSConfig{CASecretRef: ptr(ref("other", "ca.crt"))},
			wantErr: `GET ` + srv.URL + `/api/check: tls.caSecretRef: secret "other" not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := measure(t, rampv1alpha1.WebMetric{URL: srv.URL + "/api/check", JSONPath: "{.ok}", TLS: tt.tls}, secrets)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if got.Value != true {
				t.Errorf("Value = %#v, want true", got.Value)
			}
		})
	}
}
