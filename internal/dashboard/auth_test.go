package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// tokenMode turns on sign-in with a token.
func tokenMode(o *Options) { o.Authenticate = AuthToken }

// promotePath is the path of promoting shop/web.
const promotePath = "/api/v1/namespaces/shop/rollouts/web/actions/promote"

// webPaused reports whether shop/web still waits at its pause step.
func (e *env) webPaused(t *testing.T) bool {
	t.Helper()
	ro := &rampv1alpha1.Rollout{}
	if err := e.cluster.Get(t.Context(), client.ObjectKey{Namespace: "shop", Name: "web"}, ro); err != nil {
		t.Fatal(err)
	}
	return len(ro.Status.PauseConditions) > 0
}

// TestSessionModes checks what GET /api/v1/session says in each mode, and that
// a browser keeps its CSRF token.
func TestSessionModes(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		change                   func(*Options)
		readOnly, signInRequired bool
	}{
		{"laptop", nil, false, false},
		{"laptop read-only", func(o *Options) { o.ReadOnly = true }, true, false},
		{"in-cluster with actions", tokenMode, false, true},
		{"in-cluster read-only", func(o *Options) { tokenMode(o); o.ReadOnly = true; o.ClientForToken = nil }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.change)
			resp := e.do(t, http.MethodGet, "/api/v1/session", "")
			var s Session
			resp.decode(t, &s)
			if s.ReadOnly != tc.readOnly || s.SignInRequired != tc.signInRequired || s.SignedIn || s.User != "" || !wellFormed(s.CSRFToken) {
				t.Errorf("session %+v", s)
			}
			if !strings.Contains(resp.header.Get("Set-Cookie"), "SameSite=Strict") {
				t.Errorf("CSRF cookie %q is not SameSite=Strict", resp.header.Get("Set-Cookie"))
			}
			// A browser that has a token keeps it.
			again := e.do(t, http.MethodGet, "/api/v1/session", "", "Cookie", csrfCookie+"="+s.CSRFToken)
			var s2 Session
			again.decode(t, &s2)
			if s2.CSRFToken != s.CSRFToken || again.header.Get("Set-Cookie") != "" {
				t.Errorf("the CSRF token changed: %q then %q", s.CSRFToken, s2.CSRFToken)
			}
		})
	}
}

// TestSignInAndOut checks sign-in with a token (a bad, an empty and a good
// one), the session cookie, and sign-out.
func TestSignInAndOut(t *testing.T) {
	e := newEnv(t, tokenMode, fixtures()...)
	b := e.newBrowser(t)

	resp := b.signIn(t, e, "not-a-token")
	if msg := resp.errorMessage(t); resp.status != http.StatusUnauthorized ||
		!strings.Contains(msg, "did not accept the token") || !strings.Contains(msg, "token expired") {
		t.Errorf("bad token: %d %s", resp.status, resp.body)
	}
	if resp := b.signIn(t, e, brokenToken); resp.status != http.StatusInternalServerError || !strings.Contains(resp.errorMessage(t), "webhook is down") {
		t.Errorf("review failing: %d %s", resp.status, resp.body)
	}
	if b.session != "" || e.srv.sessions.len() != 0 {
		t.Errorf("a failed sign-in started a session")
	}
	if resp := b.signIn(t, e, " "); resp.status != http.StatusBadRequest {
		t.Errorf("empty token: %d %s", resp.status, resp.body)
	}

	resp = b.signIn(t, e, aliceToken)
	var s Session
	resp.decode(t, &s)
	if resp.status != http.StatusOK || !s.SignedIn || s.User != "alice" || s.CSRFToken != b.csrf {
		t.Fatalf("sign-in: %d %s", resp.status, resp.body)
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(strings.Join(resp.header.Values("Set-Cookie"), "\n"), attr) {
			t.Errorf("session cookie lacks %s: %v", attr, resp.header.Values("Set-Cookie"))
		}
	}
	e.do(t, http.MethodGet, "/api/v1/session", "", "Cookie", sessionCookie+"="+b.session).decode(t, &s)
	if !s.SignedIn || s.User != "alice" {
		t.Errorf("after sign-in the session is %+v", s)
	}

	resp = b.send(t, e, http.MethodDelete, "/api/v1/session", "")
	resp.decode(t, &s)
	if resp.status != http.StatusOK || s.SignedIn || e.srv.sessions.len() != 0 {
		t.Errorf("sign-out: %d %s, %d sessions left", resp.status, resp.body, e.srv.sessions.len())
	}
	e.do(t, http.MethodGet, "/api/v1/session", "", "Cookie", sessionCookie+"="+b.session).decode(t, &s)
	if s.SignedIn {
		t.Errorf("still signed in after sign-out")
	}
}

// TestSignInNotNeeded checks that sign-in is refused when no action needs it.
func TestSignInNotNeeded(t *testing.T) {
	e := newEnv(t, nil)
	b := e.newBrowser(t)
	if resp := b.signIn(t, e, aliceToken); resp.status != http.StatusConflict {
		t.Errorf("sign-in without AuthToken: %d %s", resp.status, resp.body)
	}
}

// TestSessionExpiresWhenIdle checks that a session lives while used and ends
// after 8 h idle.
func TestSessionExpiresWhenIdle(t *testing.T) {
	e := newEnv(t, tokenMode, fixtures()...)
	b := e.newBrowser(t)
	b.signIn(t, e, aliceToken)
	signedIn := func() bool {
		var s Session
		e.do(t, http.MethodGet, "/api/v1/session", "", "Cookie", sessionCookie+"="+b.session).decode(t, &s)
		return s.SignedIn
	}
	e.clock.Step(7 * time.Hour)
	if !signedIn() {
		t.Fatal("the session expired after 7 h")
	}
	e.clock.Step(7 * time.Hour) // 14 h after sign-in, 7 h after last use.
	if !signedIn() {
		t.Fatal("a session in use expired")
	}
	e.clock.Step(8*time.Hour + time.Minute)
	if signedIn() {
		t.Fatal("the session outlived 8 h idle")
	}
	if resp := b.send(t, e, http.MethodPost, promotePath, ""); resp.status != http.StatusUnauthorized {
		t.Errorf("action with an expired session: %d %s", resp.status, resp.body)
	}
}

// TestActionAllowed checks an action a signed-in person may take: it is reviewed
// with their token and carried out with it.
func TestActionAllowed(t *testing.T) {
	e := newEnv(t, tokenMode, fixtures()...)
	b := e.newBrowser(t)
	b.signIn(t, e, aliceToken)
	resp := b.send(t, e, http.MethodPost, promotePath, "")
	var res ActionResult
	resp.decode(t, &res)
	if resp.status != http.StatusOK || res.Message != `rollout "web" promoted` {
		t.Fatalf("promote: %d %s", resp.status, resp.body)
	}
	if e.webPaused(t) {
		t.Error("web still waits after the promotion")
	}
	if !slices.Equal(e.tokensUsed, []string{aliceToken}) {
		t.Errorf("the action used tokens %v, want alice's", e.tokensUsed)
	}
	if len(e.reviews) != 1 {
		t.Fatalf("%d access reviews, want 1", len(e.reviews))
	}
	r := e.reviews[0]
	ra := r.spec.ResourceAttributes
	if r.token != aliceToken || ra == nil || ra.Namespace != "shop" || ra.Name != "web" ||
		ra.Verb != "patch" || ra.Group != "ramp.dev" || ra.Version != "v1alpha1" || ra.Resource != "rollouts" || ra.Subresource != "status" {
		t.Errorf("access review with token %q: %+v", r.token, ra)
	}
}

// TestActionDenied checks that an action RBAC does not allow answers 403 naming
// the verb and the resource, and is not carried out.
func TestActionDenied(t *testing.T) {
	e := newEnv(t, tokenMode, fixtures()...)
	b := e.newBrowser(t)
	b.signIn(t, e, bobToken)
	resp := b.send(t, e, http.MethodPost, promotePath, "")
	msg := resp.errorMessage(t)
	if resp.status != http.StatusForbidden || !strings.Contains(msg, "patch") || !strings.Contains(msg, "rollouts/status") || !strings.Contains(msg, `"bob"`) {
		t.Errorf("denied promote: %d %s", resp.status, msg)
	}
	if !e.webPaused(t) || len(e.tokensUsed) != 0 {
		t.Errorf("a denied action was carried out (tokens used %v)", e.tokensUsed)
	}
	if len(e.reviews) != 1 || e.reviews[0].token != bobToken {
		t.Errorf("access reviews %+v, want one with bob's token", e.reviews)
	}
}

// TestActionTokenRevoked checks that an action of a person whose token the
// cluster no longer accepts answers 401 asking them to sign in again, and is
// not carried out.
func TestActionTokenRevoked(t *testing.T) {
	e := newEnv(t, tokenMode, fixtures()...)
	b := e.newBrowser(t)
	if resp := b.signIn(t, e, aliceToken); resp.status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.status, resp.body)
	}
	e.revoke(aliceToken)
	resp := b.send(t, e, http.MethodPost, promotePath, "")
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.errorMessage(t), "sign in again") {
		t.Errorf("promote with a revoked token: %d %s", resp.status, resp.body)
	}
	if !e.webPaused(t) || len(e.tokensUsed) != 0 {
		t.Errorf("an action with a revoked token was carried out (tokens used %v)", e.tokensUsed)
	}
}

// TestActionWithoutSignIn checks that an action without a (real) session answers
// 401.
func TestActionWithoutSignIn(t *testing.T) {
	e := newEnv(t, tokenMode, fixtures()...)
	b := e.newBrowser(t)
	resp := b.send(t, e, http.MethodPost, promotePath, "")
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.errorMessage(t), "sign in") {
		t.Errorf("promote without sign-in: %d %s", resp.status, resp.body)
	}
	b.session = "forged-session-id"
	if resp := b.send(t, e, http.MethodPost, promotePath, ""); resp.status != http.StatusUnauthorized {
		t.Errorf("promote with a forged session: %d %s", resp.status, resp.body)
	}
	if !e.webPaused(t) {
		t.Error("web was promoted without a sign-in")
	}
}

// TestActionReadOnly checks that a read-only dashboard refuses actions.
func TestActionReadOnly(t *testing.T) {
	for name, change := range map[string]func(*Options){
		"laptop":     func(o *Options) { o.ReadOnly = true },
		"in-cluster": func(o *Options) { tokenMode(o); o.ReadOnly = true },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, change, fixtures()...)
			b := e.newBrowser(t)
			resp := b.send(t, e, http.MethodPost, promotePath, "")
			if resp.status != http.StatusForbidden || !strings.HasPrefix(resp.errorMessage(t), "the dashboard is read-only: ") {
				t.Errorf("promote when read-only: %d %s", resp.status, resp.body)
			}
			if !e.webPaused(t) {
				t.Error("web was promoted by a read-only dashboard")
			}
		})
	}
}

// TestActionOrigin checks the same-origin check of state-changing requests.
func TestActionOrigin(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	b := e.newBrowser(t)
	cookie := csrfCookie + "=" + b.csrf
	for _, tc := range []struct {
		name    string
		headers []string
		want    int
	}{
		{"other origin", []string{"Origin", "http://evil.example.net"}, http.StatusForbidden},
		{"other port", []string{"Origin", "http://127.0.0.1:1"}, http.StatusForbidden},
		{"null origin", []string{"Origin", "null"}, http.StatusForbidden},
		{"no origin nor referer", nil, http.StatusForbidden},
		{"other referer", []string{"Referer", "http://evil.example.net/page"}, http.StatusForbidden},
		{"same-origin referer", []string{"Referer", e.http.URL + "/namespaces/shop/rollouts/web"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			headers := append([]string{"Cookie", cookie, csrfHeader, b.csrf}, tc.headers...)
			resp := e.do(t, http.MethodPost, promotePath, "", headers...)
			if resp.status != tc.want {
				t.Errorf("status %d, want %d: %s", resp.status, tc.want, resp.body)
			}
		})
	}
}

// TestActionCSRF checks that a missing or wrong CSRF token is refused.
func TestActionCSRF(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	b := e.newBrowser(t)
	other := e.newBrowser(t)
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"no header", []string{"Cookie", csrfCookie + "=" + b.csrf}},
		{"no cookie", []string{csrfHeader, b.csrf}},
		{"wrong header", []string{"Cookie", csrfCookie + "=" + b.csrf, csrfHeader, other.csrf}},
		{"malformed cookie", []string{"Cookie", csrfCookie + "=x", csrfHeader, "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, http.MethodPost, promotePath, "", append([]string{"Origin", e.http.URL}, tc.headers...)...)
			if resp.status != http.StatusForbidden || !strings.Contains(resp.errorMessage(t), "CSRF") {
				t.Errorf("status %d: %s", resp.status, resp.body)
			}
		})
	}
	// Sign-in and sign-out are checked as well.
	resp := e.do(t, http.MethodDelete, "/api/v1/session", "", "Origin", e.http.URL)
	if resp.status != http.StatusForbidden {
		t.Errorf("sign-out without CSRF token: %d", resp.status)
	}
	if !e.webPaused(t) {
		t.Error("web was promoted by a forged request")
	}
}

// TestActionsWithOwnCredentials checks actions without sign-in, and the statuses of
// their failures.
func TestActionsWithOwnCredentials(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	b := e.newBrowser(t)
	for _, tc := range []struct {
		path, body string
		status     int
		contains   string
	}{
		{promotePath, "", http.StatusOK, `rollout "web" promoted`},
		{"/api/v1/namespaces/shop/rollouts/api/actions/promote", "{}", http.StatusConflict, `cannot promote rollout "api"`},
		{"/api/v1/namespaces/shop/rollouts/nope/actions/abort", "", http.StatusNotFound, `rollout "nope" not found`},
		{"/api/v1/namespaces/shop/rollouts/web/actions/explode", "", http.StatusNotFound, `unknown action "explode"`},
		{"/api/v1/namespaces/shop/rollouts/web/actions/undo", "[1]", http.StatusBadRequest, "revision"},
		{"/api/v1/namespaces/shop/rollouts/web/actions/undo", `{"revision":-1}`, http.StatusBadRequest, "revision -1"},
	} {
		resp := b.send(t, e, http.MethodPost, tc.path, tc.body)
		var msg string
		if resp.status == http.StatusOK {
			var res ActionResult
			resp.decode(t, &res)
			msg = res.Message
		} else {
			msg = resp.errorMessage(t)
		}
		if resp.status != tc.status || !strings.Contains(msg, tc.contains) {
			t.Errorf("POST %s %s: %d %q, want %d with %q", tc.path, tc.body, resp.status, msg, tc.status, tc.contains)
		}
	}
}

// TestActionForbiddenByAPIServer checks that a write the API server forbids answers
// 403 naming the verb and the resource.
func TestActionForbiddenByAPIServer(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Writer = fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(webRollout()).
			WithStatusSubresource(&rampv1alpha1.Rollout{}).
			WithInterceptorFuncs(interceptor.Funcs{
				SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
					return apierrors.NewForbidden(schema.GroupResource{Group: "ramp.dev", Resource: "rollouts/status"}, "web", nil)
				},
			}).Build()
	}, fixtures()...)
	b := e.newBrowser(t)
	resp := b.send(t, e, http.MethodPost, promotePath, "")
	msg := resp.errorMessage(t)
	if resp.status != http.StatusForbidden || !strings.Contains(msg, "patch") || !strings.Contains(msg, "rollouts/status") {
		t.Errorf("forbidden promote: %d %s", resp.status, msg)
	}
}

// TestNewChecksOptions checks that New refuses options missing what their mode
// needs.
func TestNewChecksOptions(t *testing.T) {
	e := newEnv(t, nil)
	base := Options{Reader: e.cluster, Informers: e.informers, UI: fakeUI, Writer: e.cluster}
	for name, change := range map[string]func(*Options){
		"no reader":                 func(o *Options) { o.Reader = nil },
		"no informers":              func(o *Options) { o.Informers = nil },
		"no UI":                     func(o *Options) { o.UI = nil },
		"no writer":                 func(o *Options) { o.Writer = nil },
		"unknown mode":              func(o *Options) { o.Authenticate = 7 },
		"token without client func": func(o *Options) { o.Authenticate = AuthToken },
	} {
		opts := base
		change(&opts)
		if _, err := New(opts); err == nil {
			t.Errorf("%s: New accepted the options", name)
		}
	}
	base.Writer, base.ReadOnly = nil, true
	if _, err := New(base); err != nil {
		t.Errorf("read-only without writer: %v", err)
	}
}
