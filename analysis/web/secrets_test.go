package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rampdev/ramp/analysis/analysistest"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Secret values of TestMeasureNeverShowsSecrets. The password holds
// characters that JSON encoders escape.
const (
	apiKey   = "key-8f2a91c4d7"
	token    = "tok-5be0c13f92aa"
	user     = "svc-ramp-user"
	password = `p<a&s>s"w0rd`
)

func TestMeasureNeverShowsSecrets(t *testing.T) {
	secrets := analysistest.Secrets{
		"api":   {"key": apiKey, "token": token},
		"login": {"user": user, "pass": password},
	}
	withKey := []rampv1alpha1.WebMetricHeader{{Key: "X-Api-Key", ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: ref("api", "key")}}}
	withPassword := []rampv1alpha1.WebMetricHeader{{Key: "X-Password", ValueFrom: &rampv1alpha1.HeaderValueFrom{SecretKeyRef: ref("login", "pass")}}}
	bearer := &rampv1alpha1.MetricAuthentication{BearerToken: ptr(ref("api", "token"))}
	basic := &rampv1alpha1.MetricAuthentication{Basic: &rampv1alpha1.BasicAuth{Username: ref("login", "user"), Password: ref("login", "pass")}}

	tests := []struct {
		name      string
		status    int
		body      func(r *http.Request) string // the answer; the headers as JSON if nil
		jsonPath  string
		headers   []rampv1alpha1.WebMetricHeader
		auth      *rampv1alpha1.MetricAuthentication
		wantError bool
	}{
		{name: "whole echoed answer with a bearer token", status: http.StatusOK, headers: withKey, auth: bearer},
		{name: "whole echoed answer with basic authentication", status: http.StatusOK, headers: withKey, auth: basic},
		{name: "jsonPath to the echoed key", status: http.StatusOK, jsonPath: "{.X-Api-Key}", headers: withKey, auth: bearer},
		{name: "jsonPath to the echoed authorization", status: http.StatusOK, jsonPath: "{.Authorization}", auth: basic},
		{name: "jsonPath that matches nothing", status: http.StatusOK, jsonPath: "{.missing}", headers: withKey, auth: bearer, wantError: true},
		{name: "401 echoing the headers", status: http.StatusUnauthorized, headers: withKey, auth: bearer, wantError: true},
		{name: "401 echoing basic authentication", status: http.StatusUnauthorized, auth: basic, wantError: true},
		// The server escapes <, & and > of the echoed password as \u003c…
		{name: "401 echoing a secret JSON escapes", status: http.StatusUnauthorized, headers: withPassword, wantError: true},
		{name: "whole echoed answer with a secret JSON escapes", status: http.StatusOK, headers: withPassword},
		// Cut before scrubbing, the quoted 200 bytes would end with key-8f2.
		{name: "secret at the edge of the quoted body", status: http.StatusForbidden, body: keyAt(190, ""), headers: withKey, wantError: true},
		// Cut before scrubbing, the 256 bytes of Text would end with key-8f2.
		{name: "secret at the edge of the text", status: http.StatusOK, body: keyAt(245, `"`), headers: withKey},
		{name: "not JSON with a jsonPath", status: http.StatusOK, body: keyAt(10, ""), jsonPath: "{.a}", headers: withKey, wantError: true},
		{name: "not JSON without a jsonPath", status: http.StatusOK, body: keyAt(10, ""), headers: withKey},
	}
	forbidden := []string{
		apiKey, token, user, password,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
		`p\u003ca\u0026s\u003es\"w0rd`, `p<a&s>s\"w0rd`,
		apiKey[:6], token[:6], "hunter2",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				echo := map[string]string{}
				for k := range r.Header {
					echo[k] = r.Header.Get(k)
				}
				body, _ := json.Marshal(echo)
				if tt.body != nil {
					body = []byte(tt.body(r))
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write(body)
			})
			web := rampv1alpha1.WebMetric{URL: srv.URL + "/echo", JSONPath: tt.jsonPath, Headers: tt.headers, Authentication: tt.auth}
			got, err := measure(t, web, secrets)
			if (err != nil) != tt.wantError {
				t.Fatalf("error = %v, want an error: %v", err, tt.wantError)
			}
			shown := map[string]string{"Text": got.Text, "Message": got.Message}
			if err != nil {
				shown["error"] = err.Error()
			}
			for _, v := range got.Metadata {
				shown["Metadata"] += v + " "
			}
			for where, text := range shown {
				for _, secret := range forbidden {
					if strings.Contains(text, secret) {
						t.Errorf("%s %q holds secret %q", where, text, secret)
					}
				}
			}
			if err == nil && !strings.Contains(got.Text, redacted[:6]) {
				t.Errorf("Text %q does not show %s where the secret was", got.Text, redacted)
			}
		})
	}
}

// keyAt answers the X-Api-Key header after n bytes of padding, quoted with q.
func keyAt(n int, q string) func(r *http.Request) string {
	return func(r *http.Request) string {
		return q + strings.Repeat("x", n) + r.Header.Get("X-Api-Key") + q
	}
}

func TestMeasureHidesURLSecrets(t *testing.T) {
	srv := serve(t, answer(http.StatusInternalServerError, "boom"))
	url := strings.Replace(srv.URL, "http://", "http://"+user+":hunter2@", 1) + "/query?api_key=" + apiKey
	_, err := measure(t, rampv1alpha1.WebMetric{URL: url}, nil)
	want := "GET " + srv.URL + "/query?… answered 500 Internal Server Error: boom"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}
