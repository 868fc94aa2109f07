package prometheus

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// requireHeader answers the scalar 1 when the request has header key with
// value, else 401 with a body that echoes what it got (as some proxies do).
func requireHeader(key, value string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get(key); got != value {
			answer(http.StatusUnauthorized, "unauthorized: got "+key+": "+got)(w, r)
			return
		}
		answer(http.StatusOK, scalarOne)(w, r)
	}
}

func secretRef(name, key string) rampv1alpha1.SecretKeyRef {
	return rampv1alpha1.SecretKeyRef{Name: name, Key: key}
}

func TestMeasureAuthentication(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(secretUser+":"+secretPass))
	tests := []struct {
		name    string
		server  http.HandlerFunc
		set     func(*rampv1alpha1.PrometheusMetric)
		wantErr string // empty: the query succeeds
	}{{
		name:   "bearer token from a Secret",
		server: requireHeader("Authorization", "Bearer "+secretToken),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Authentication = &rampv1alpha1.MetricAuthentication{BearerToken: ptr.To(secretRef("prom-token", "token"))}
		},
	}, {
		name:   "basic authentication from Secrets",
		server: requireHeader("Authorization", basic),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Authentication = &rampv1alpha1.MetricAuthentication{Basic: &rampv1alpha1.BasicAuth{
				Username: secretRef("prom-basic", "username"),
				Password: secretRef("prom-basic", "password"),
			}}
		},
	}, {
		name:   "header from a Secret",
		server: requireHeader("X-Scope-OrgID", secretHeader),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Headers = []rampv1alpha1.WebMetricHeader{{
				Key:       "X-Scope-OrgID",
				ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: secretRef("prom-header", "tenant")},
			}}
		},
	}, {
		name:   "header with a plain value",
		server: requireHeader("X-Scope-OrgID", "team-a"),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Headers = []rampv1alpha1.WebMetricHeader{{Key: "X-Scope-OrgID", Value: ptr.To("team-a")}}
		},
	}, {
		name:   "wrong token: the echoed token is scrubbed",
		server: requireHeader("Authorization", "Bearer another-token"),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Authentication = &rampv1alpha1.MetricAuthentication{BearerToken: ptr.To(secretRef("prom-token", "token"))}
		},
		wantErr: "prometheus at ADDR answered HTTP 401 Unauthorized: unauthorized: got Authorization: <redacted> (check authentication and headers)",
	}, {
		name: "Prometheus' own error echoing a header value is scrubbed",
		server: func(w http.ResponseWriter, r *http.Request) {
			answer(http.StatusInternalServerError, `{"status":"error","errorType":"internal","error":"bad tenant `+r.Header.Get("X-Scope-OrgID")+`"}`)(w, r)
		},
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Headers = []rampv1alpha1.WebMetricHeader{{
				Key:       "X-Scope-OrgID",
				ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: secretRef("prom-header", "tenant")},
			}}
		},
		wantErr: "prometheus query failed: internal: bad tenant <redacted> (HTTP 500 Internal Server Error)",
	}, {
		name:   "missing Secret for the bearer token",
		server: answer(http.StatusOK, scalarOne),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Authentication = &rampv1alpha1.MetricAuthentication{BearerToken: ptr.To(secretRef("prom-missing", "token"))}
		},
		wantErr: `prometheus authentication.bearerToken: secret "prom-missing" not found`,
	}, {
		name:   "missing key for the basic password",
		server: answer(http.StatusOK, scalarOne),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Authentication = &rampv1alpha1.MetricAuthentication{Basic: &rampv1alpha1.BasicAuth{
				Username: secretRef("prom-basic", "username"),
				Password: secretRef("prom-basic", "pass"),
			}}
		},
		wantErr: `prometheus authentication.basic.password: secret "prom-basic" has no key "pass"`,
	}, {
		name:   "missing Secret for a header",
		server: answer(http.StatusOK, scalarOne),
		set: func(pm *rampv1alpha1.PrometheusMetric) {
			pm.Headers = []rampv1alpha1.WebMetricHeader{{
				Key:       "X-Scope-OrgID",
				ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: secretRef("prom-tenant", "tenant")},
			}}
		},
		wantErr: `prometheus header X-Scope-OrgID: secret "prom-tenant" not found`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.server)
			res, err := measure(t, promMetric(srv.URL, tt.set), testSecrets(nil))
			if tt.wantErr == "" {
				if err != nil || res.Text != "1" {
					t.Fatalf("Measure = %+v, %v; want 1", res, err)
				}
				return
			}
			if want := strings.ReplaceAll(tt.wantErr, "ADDR", srv.URL); err == nil || err.Error() != want {
				t.Errorf("error = %v\nwant    %s", err, want)
			}
		})
	}
}

func TestMeasureWithoutSecretReader(t *testing.T) {
	srv := serve(t, answer(http.StatusOK, scalarOne))
	m := promMetric(srv.URL, func(pm *rampv1alpha1.PrometheusMetric) {
		pm.Authentication = &rampv1alpha1.MetricAuthentication{BearerToken: ptr.To(secretRef("prom-token", "token"))}
	})
	_, err := measure(t, m, nil)
	want := `prometheus authentication.bearerToken: cannot read key "token" of Secret "prom-token": no Secret reader is available`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestMeasureTLS(t *testing.T) {
	srv := httptest.NewTLSServer(requireHeader("Authorization", "Bearer "+secretToken))
	t.Cleanup(srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	secrets := testSecrets(analysistest.Secrets{"prom-ca": {"ca.crt": caPEM, "junk": "not a certificate"}})
	auth := &rampv1alpha1.MetricAuthentication{BearerToken: ptr.To(secretRef("prom-token", "token"))}

	tests := []struct {
		name    string
		tls     *rampv1alpha1.TLSConfig
		wantErr string // empty: the query succeeds
	}{{
		name: "CA read from a Secret",
		tls:  &rampv1alpha1.TLSConfig{CASecretRef: ptr.To(secretRef("prom-ca", "ca.crt"))},
	}, {
		name: "CA and server name",
		// httptest's certificate is for example.com and 127.0.0.1.
		tls: &rampv1alpha1.TLSConfig{CASecretRef: ptr.To(secretRef("prom-ca", "ca.crt")), ServerName: "example.com"},
	}, {
		name: "insecureSkipVerify",
		tls:  &rampv1alpha1.TLSConfig{InsecureSkipVerify: true},
	}, {
		name:    "unknown authority says which setting fixes it",
		wantErr: "could not reach prometheus at ADDR: tls: failed to verify certificate: x509: certificate signed by unknown authority (trust its certificate authority with tls.caSecretRef, or set tls.insecureSkipVerify)",
	}, {
		name:    "wrong server name says which setting fixes it",
		tls:     &rampv1alpha1.TLSConfig{CASecretRef: ptr.To(secretRef("prom-ca", "ca.crt")), ServerName: "prometheus.monitoring"},
		wantErr: "could not reach prometheus at ADDR: tls: failed to verify certificate: x509: certificate is valid for example.com, *.example.com, not prometheus.monitoring (set tls.serverName to a name in the certificate)",
	}, {
		name:    "CA Secret without a certificate",
		tls:     &rampv1alpha1.TLSConfig{CASecretRef: ptr.To(secretRef("prom-ca", "junk"))},
		wantErr: `prometheus tls.caSecretRef: key "junk" of Secret "prom-ca" holds no PEM certificate`,
	}, {
		name:    "missing CA Secret",
		tls:     &rampv1alpha1.TLSConfig{CASecretRef: ptr.To(secretRef("prom-ca-missing", "ca.crt"))},
		wantErr: `prometheus tls.caSecretRef: secret "prom-ca-missing" not found`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := promMetric(srv.URL, func(pm *rampv1alpha1.PrometheusMetric) {
				pm.TLS = tt.tls
				pm.Authentication = auth
			})
			res, err := measure(t, m, secrets)
			if tt.wantErr == "" {
				if err != nil || res.Text != "1" {
					t.Fatalf("Measure = %+v, %v; want 1", res, err)
				}
				return
			}
			if want := strings.ReplaceAll(tt.wantErr, "ADDR", srv.URL); err == nil || err.Error() != want {
				t.Errorf("error = %v\nwant    %s", err, want)
			}
		})
	}
}
