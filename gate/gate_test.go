package gate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestAnswers(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		decision rampv1alpha1.GateDecision
		text     string
	}{
		{"allow", 200, `{"allow": true}`, rampv1alpha1.GateAllowed, "allowed"},
		{"allow with a message", 200, `{"allow": true, "message": "CHG-42 approved"}`, rampv1alpha1.GateAllowed, "allowed: CHG-42 approved"},
		{"deny", 200, `{"allow": false, "message": "load test failed: p99 900ms"}`, rampv1alpha1.GateDenied, "denied: load test failed: p99 900ms"},
		{"not decided yet", 202, `{"message": "waiting for CHG-42"}`, rampv1alpha1.GateWaiting, "HTTP 202: waiting for CHG-42"},
		{"server error", 500, "<html>\n  oops\n</html>", rampv1alpha1.GateWaiting, "HTTP 500: <html> oops </html>"},
		{"no JSON", 200, "ok", rampv1alpha1.GateWaiting, "HTTP 200 without a JSON answer: ok"},
		{"no allow field", 200, `{"approved": true}`, rampv1alpha1.GateWaiting, `HTTP 200 without "allow" in the answer: {"approved": true}`},
		{"deny said with 403", 403, `{"allow": false, "message": "no"}`, rampv1alpha1.GateWaiting, "HTTP 403: no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			a := Ask(context.Background(), srv.Client(), srv.URL, nil, Request{Gate: "step 2"})
			if a.Decision != tt.decision || a.Text != tt.text {
				t.Errorf("answer %q %q; want %q %q", a.Decision, a.Text, tt.decision, tt.text)
			}
		})
	}
}

// TestRequest checks what the service receives: a JSON POST with the
// update's details and the configured headers.
func TestRequest(t *testing.T) {
	var got Request
	var header http.Header
	var method string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, header = r.Method, r.Header.Clone()
		_ = json.NewDecoder(r.Body).Decode(&got)
		_, _ = w.Write([]byte(`{"allow": true}`))
	}))
	defer srv.Close()
	step, weight := int32(3), int32(40)
	started := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	req := Request{Gate: "step 3", Namespace: "shop", Rollout: "web", Revision: 4, PodTemplateHash: "5d8f7c",
		Images: []string{"web=registry.example/web:v2"}, Step: &step, Steps: 5, Weight: &weight, StartedAt: started, Attempt: 2}
	if a := Ask(context.Background(), srv.Client(), srv.URL, map[string]string{"Authorization": "Bearer t0ken"}, req); a.Decision != rampv1alpha1.GateAllowed {
		t.Fatalf("answer %+v", a)
	}
	if method != http.MethodPost || header.Get("Content-Type") != "application/json" || header.Get("Authorization") != "Bearer t0ken" {
		t.Errorf("request %s with headers %v", method, header)
	}
	if got.Gate != "step 3" || got.Rollout != "web" || got.Namespace != "shop" || got.Revision != 4 || got.PodTemplateHash != "5d8f7c" ||
		len(got.Images) != 1 || *got.Step != 3 || got.Steps != 5 || *got.Weight != 40 || !got.StartedAt.Equal(started) || got.Attempt != 2 {
		t.Errorf("the service received %+v", got)
	}
}

// TestNoSecretInAnswer: the URL's token and header values never reach the
// answer's text, whether the call fails or the service echoes them.
func TestNoSecretInAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("bad request to " + r.URL.String() + " with " + r.Header.Get("X-Api-Key")))
	}))
	defer srv.Close()
	headers := map[string]string{"X-Api-Key": "k3y-s3cret"}
	a := Ask(context.Background(), srv.Client(), srv.URL+"/approve?token=t0k3n-s3cret", headers, Request{})
	if strings.Contains(a.Text, "s3cret") || a.Decision != rampv1alpha1.GateWaiting {
		t.Errorf("answer %q %q leaks a secret or decided", a.Decision, a.Text)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	addr := dead.URL
	dead.Close()
	a = Ask(context.Background(), http.DefaultClient, addr+"/approve?token=t0k3n-s3cret", headers, Request{})
	if strings.Contains(a.Text, "s3cret") || strings.Contains(a.Text, addr) || !strings.HasPrefix(a.Text, "no answer: ") {
		t.Errorf("answer of a dead service %q leaks the URL or does not say it did not answer", a.Text)
	}
}

// TestTimeout: a service that does not answer within the client's timeout
// is no decision, and says it timed out.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	a := Ask(ctx, srv.Client(), srv.URL, nil, Request{})
	if a.Decision != rampv1alpha1.GateWaiting || a.Text != "no answer: timed out" {
		t.Errorf("answer %q %q; want Waiting, no answer: timed out", a.Decision, a.Text)
	}
}
