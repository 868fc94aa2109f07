package notify

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// sendOne delivers d with a Sender retrying at once over the real network
// (to httptest servers) and returns its result.
func sendOne(t *testing.T, d Delivery) Result {
	t.Helper()
	res := newCollector()
	o := Options{OnResult: res.onResult, MaxAttempts: 2}
	o.InitialBackoff, o.MaxBackoff, o.Timeout = time.Millisecond, time.Millisecond, 5*time.Second
	s := NewSender(o)
	stop := start(t, s)
	defer stop()
	if !s.Send(d) {
		t.Fatal("Send refused a delivery")
	}
	select {
	case r := <-res.ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result")
		return Result{}
	}
}

func TestRequest(t *testing.T) {
	key := []byte("signing-key")
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	d := Delivery{Message: testMessage(), Target: Target{
		Config: types.NamespacedName{Namespace: "shop", Name: "team"}, Receiver: "hook", Kind: KindWebhook,
		URL: srv.URL + "/hook?token=abc", Headers: map[string]string{"Authorization": "Bearer t0ken"}, SigningKey: key,
	}}
	r := sendOne(t, d)
	if r.Err != nil || r.Attempts != 1 {
		t.Fatalf("result after %d attempts: %v", r.Attempts, r.Err)
	}
	if got.Method != http.MethodPost || got.URL.RequestURI() != "/hook?token=abc" {
		t.Errorf("request %s %s", got.Method, got.URL.RequestURI())
	}
	for name, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "ramp-notify",
		"Authorization": "Bearer t0ken"} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	want, _ := body(KindWebhook, d.Message)
	if string(gotBody) != string(want) {
		t.Errorf("body %s, want %s", gotBody, want)
	}
	if err := Verify(key, got.Header.Get(HeaderTimestamp), got.Header.Get(HeaderSignature), gotBody, time.Now(), time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}

	d.Target.SigningKey = nil
	if r := sendOne(t, d); r.Err != nil || got.Header.Get(HeaderSignature) != "" || got.Header.Get(HeaderTimestamp) != "" {
		t.Errorf("unsigned delivery: %v, signature %q", r.Err, got.Header.Get(HeaderSignature))
	}
}

// TestSecretsScrubbed: neither the URL, its token, the header values nor
// the signing key appear in errors, even when the receiver echoes them.
func TestSecretsScrubbed(t *testing.T) {
	const token = "T0KEN-s3cr3t-value"
	secret := Target{Config: types.NamespacedName{Namespace: "shop", Name: "team-chat"}, Receiver: "chat", Kind: KindSlack,
		Headers: map[string]string{"X-Api-Key": "header-s3cret"}, SigningKey: []byte("key-s3cret")}
	secrets := []string{token, url.QueryEscape(token), "header-s3cret", "key-s3cret"}

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()

	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		// Everything the receiver knows, as some servers do in errors.
		_, _ = io.WriteString(w, "no route for POST http://"+r.Host+r.RequestURI+" path "+r.URL.Path+
			" query "+r.URL.RawQuery+" key "+r.Header.Get("X-Api-Key")+" "+r.URL.Query().Get("token")+"\n")
	}))
	defer echo.Close()

	for _, c := range []struct {
		name, url, want string
	}{
		{"refused", "http://" + closed + "/services/" + token + "?token=" + token, "post to receiver chat of shop/team-chat: connection refused"},
		{"echo", echo.URL + "/services/" + token + "?token=" + token, "post to receiver chat of shop/team-chat: receiver answered 500 Internal Server Error: no route for POST [redacted]"},
		{"unresolvable", "http://" + token + ".invalid/hook", "post to receiver chat of shop/team-chat: "},
		{"bad scheme", "ftp://example.com/" + token, "the receiver's URL is not http or https"},
		{"not a URL", "http://%zz/" + token, "the receiver's URL is not valid"},
	} {
		tg := secret
		tg.URL = c.url
		r := sendOne(t, Delivery{Target: tg, Message: testMessage()})
		if r.Err == nil {
			t.Fatalf("%s: delivered", c.name)
		}
		msg := r.Err.Error()
		t.Logf("%s: %s", c.name, msg)
		for _, s := range append(secrets, c.url) {
			if strings.Contains(msg, s) {
				t.Errorf("%s: error %q contains the secret %q", c.name, msg, s)
			}
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, msg, c.want)
		}
		var urlErr *url.Error
		if errors.As(r.Err, &urlErr) {
			t.Errorf("%s: error wraps a *url.Error, whose text has the URL", c.name)
		}
	}
}

func TestRedirects(t *testing.T) {
	var otherHits, sameHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/hook", http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusPermanentRedirect)
		case "/found":
			http.Redirect(w, r, "/here", http.StatusFound)
		case "/here":
			if b, _ := io.ReadAll(r.Body); r.Method == http.MethodPost && len(b) > 0 {
				sameHits.Add(1)
			}
		}
	}))
	defer srv.Close()

	tg := target("", KindWebhook)
	tg.URL = srv.URL + "/away"
	r := sendOne(t, Delivery{Target: tg, Message: testMessage()})
	var de *DeliveryError
	if !errors.As(r.Err, &de) || de.StatusCode != http.StatusTemporaryRedirect || r.Attempts != 1 || otherHits.Load() != 0 {
		t.Errorf("redirect to another host: %v after %d attempts, %d requests there", r.Err, r.Attempts, otherHits.Load())
	}

	tg.URL = srv.URL + "/found"
	if r := sendOne(t, Delivery{Target: tg, Message: testMessage()}); r.Err == nil || sameHits.Load() != 0 {
		t.Errorf("302 redirect: %v, want not followed (it would turn the POST into a GET)", r.Err)
	}

	tg.URL = srv.URL + "/moved"
	if r := sendOne(t, Delivery{Target: tg, Message: testMessage()}); r.Err != nil || sameHits.Load() != 1 {
		t.Errorf("308 redirect on the same host: %v, %d posts arrived", r.Err, sameHits.Load())
	}
}

func TestBackoff(t *testing.T) {
	s := NewSender(Options{})
	for i, base := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
		base *= time.Second
		for range 20 {
			d := s.backoff(i+1, -1)
			if d < base || d > min(base*6/5, 30*time.Second) {
				t.Fatalf("backoff after %d attempts: %s, want %s plus up to 20%%, at most 30s", i+1, d, base)
			}
		}
	}
	if d := s.backoff(1, 5*time.Second); d != 5*time.Second {
		t.Errorf("backoff with Retry-After 5s: %s", d)
	}
	if d := s.backoff(1, time.Hour); d != 30*time.Second {
		t.Errorf("backoff with Retry-After 1h: %s, want MaxBackoff", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              -1,
		"soon":                          -1,
		"-3":                            -1,
		"12":                            12 * time.Second,
		" 0 ":                           0,
		"Thu, 01 Jan 2026 12:00:40 GMT": 40 * time.Second,
		"Thu, 01 Jan 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestCleanSnippet(t *testing.T) {
	if got := cleanSnippet("  bad\r\n\trequest \x00 "); got != "bad request" {
		t.Errorf("cleanSnippet = %q", got)
	}
	long := cleanSnippet(strings.Repeat("é", 300))
	if len(long) > snippetMax+3 || !strings.HasSuffix(long, "...") || !strings.HasPrefix(long, "é") {
		t.Errorf("cleanSnippet of a long text: %d bytes %q", len(long), long)
	}
}
