package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// testScheme has the Kubernetes kinds and Ramp's.
func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := rampv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeUI stands in for the UI's embedded files.
var fakeUI = fstest.MapFS{
	"index.html": {Data: []byte("<!doctype html><title>Ramp</title><script src=app.js></script>")},
	"app.js":     {Data: []byte("console.log('ramp')")},
	"app.css":    {Data: []byte("body{}")},
	"img/x.svg":  {Data: []byte("<svg/>")},
}

// epoch is the time the tests start at.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Tokens the fake API server accepts (their users are alice and bob), one
// it answers a review of with an error of its own, and the users of the
// accepted ones.
const (
	aliceToken  = "alice-token"
	bobToken    = "bob-token"
	brokenToken = "broken-token"
)

// users are the users the fake API server says the tokens belong to.
var users = map[string]authenticationv1.UserInfo{
	aliceToken: {Username: "alice", UID: "a-1", Groups: []string{"devs"}},
	bobToken:   {Username: "bob"},
}

// accessReview is a SelfSubjectAccessReview created, with the token of
// the client that created it.
type accessReview struct {
	// token is the bearer token of the client.
	token string
	// spec is the review's spec.
	spec authorizationv1.SelfSubjectAccessReviewSpec
}

// env is a Server on a fake cluster, served by httptest.
type env struct {
	// srv is the Server under test.
	srv *Server
	// http serves srv.Handler().
	http *httptest.Server
	// cluster is the fake cluster: the reader and the writer, and what the
	// clients of ClientForToken reach besides the reviews.
	cluster client.WithWatch
	// informers fire the stream's event handlers.
	informers *informertest.FakeInformers
	// clock is the Server's clock.
	clock *clocktesting.FakeClock

	// mu guards tokensUsed, reviews and revoked.
	mu sync.Mutex
	// tokensUsed are the tokens whose clients reached the cluster for
	// something other than a review (each once, in order): the tokens
	// actions were carried out with.
	tokensUsed []string
	// reviews are the SelfSubjectAccessReviews created.
	reviews []accessReview
	// revoked are tokens the fake API server no longer accepts.
	revoked map[string]bool
}

// newEnv starts a Server over objs; change adjusts its options.
func newEnv(t *testing.T, change func(*Options), objs ...client.Object) *env {
	t.Helper()
	scheme := testScheme(t)
	e := &env{
		informers: &informertest.FakeInformers{Scheme: scheme},
		clock:     clocktesting.NewFakeClock(epoch),
		revoked:   map[string]bool{},
	}
	e.cluster = fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&rampv1alpha1.Rollout{}).Build()
	opts := Options{
		Reader:         e.cluster,
		Informers:      e.informers,
		UI:             fakeUI,
		Writer:         e.cluster,
		ClientForToken: func(token string) (client.Client, error) { return e.clientFor(token), nil },
		Clock:          e.clock,
	}
	if change != nil {
		change(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = srv
	e.http = httptest.NewServer(srv.Handler())
	t.Cleanup(e.http.Close)
	return e
}

// clientFor is a client with token, as ClientForToken builds it: its
// Create plays the API server's SelfSubjectReview and
// SelfSubjectAccessReview (alice's and bob's tokens are valid; only alice
// may patch rollouts), and every other call reaches e.cluster once the
// token is accepted.
func (e *env) clientFor(token string) client.Client {
	return interceptor.NewClient(e.cluster, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			switch r := obj.(type) {
			case *authenticationv1.SelfSubjectReview:
				return e.selfReview(token, r)
			case *authorizationv1.SelfSubjectAccessReview:
				return e.accessReview(token, r)
			}
			if err := e.use(token); err != nil {
				return err
			}
			return c.Create(ctx, obj, opts...)
		},
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.List(ctx, list, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := e.use(token); err != nil {
				return err
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}

// accepts is the error the fake API server answers a request with token
// with: nil for alice's and bob's (unless revoked), 401 for the rest.
func (e *env) accepts(token string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := users[token]; !ok || e.revoked[token] {
		return apierrors.NewUnauthorized("token expired")
	}
	return nil
}

// use checks token for a call that reaches the cluster and records it in
// tokensUsed.
func (e *env) use(token string) error {
	if err := e.accepts(token); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.tokensUsed, token) {
		e.tokensUsed = append(e.tokensUsed, token)
	}
	return nil
}

// revoke makes the fake API server stop accepting token.
func (e *env) revoke(token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.revoked[token] = true
}

// selfReview plays a SelfSubjectReview created with token.
func (e *env) selfReview(token string, r *authenticationv1.SelfSubjectReview) error {
	if token == brokenToken {
		return apierrors.NewServiceUnavailable("the authentication webhook is down")
	}
	if err := e.accepts(token); err != nil {
		return err
	}
	r.Status.UserInfo = users[token]
	return nil
}

// accessReview plays a SelfSubjectAccessReview created with token, and
// records it: only alice may patch rollouts.
func (e *env) accessReview(token string, r *authorizationv1.SelfSubjectAccessReview) error {
	if err := e.accepts(token); err != nil {
		return err
	}
	e.mu.Lock()
	e.reviews = append(e.reviews, accessReview{token: token, spec: r.Spec})
	e.mu.Unlock()
	ra := r.Spec.ResourceAttributes
	r.Status.Allowed = token == aliceToken && ra != nil && ra.Verb == "patch" &&
		ra.Group == "ramp.dev" && ra.Resource == "rollouts"
	return nil
}

// response is a response read whole.
type response struct {
	// status is the HTTP status.
	status int
	// header are the response headers.
	header http.Header
	// body is the body.
	body string
}

// decode decodes the body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// errorMessage is the message of an error body.
func (r response) errorMessage(t *testing.T) string {
	t.Helper()
	var b errorBody
	r.decode(t, &b)
	return b.Error
}

// do sends a request to the env's server; headers are name, value pairs.
func (e *env) do(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// browser is what a browser sends back: its cookies.
type browser struct {
	// csrf is the CSRF token (cookie and header).
	csrf string
	// session is the session cookie's value, or empty.
	session string
}

// newBrowser gets a CSRF token as the UI does, with GET /api/v1/session.
func (e *env) newBrowser(t *testing.T) *browser {
	t.Helper()
	resp := e.do(t, http.MethodGet, "/api/v1/session", "")
	var s Session
	resp.decode(t, &s)
	if s.CSRFToken == "" || cookieOf(resp, csrfCookie) != s.CSRFToken {
		t.Fatalf("session gave CSRF token %q and cookie %q", s.CSRFToken, cookieOf(resp, csrfCookie))
	}
	return &browser{csrf: s.CSRFToken}
}

// send sends a state-changing request as the dashboard's page does: same
// origin, CSRF cookie and header, session cookie.
func (b *browser) send(t *testing.T, e *env, method, path, body string) response {
	t.Helper()
	cookies := csrfCookie + "=" + b.csrf
	if b.session != "" {
		cookies += "; " + sessionCookie + "=" + b.session
	}
	return e.do(t, method, path, body, "Origin", e.http.URL, "Cookie", cookies, csrfHeader, b.csrf)
}

// signIn signs b in with token.
func (b *browser) signIn(t *testing.T, e *env, token string) response {
	t.Helper()
	resp := b.send(t, e, http.MethodPost, "/api/v1/session", `{"token":"`+token+`"}`)
	if v := cookieOf(resp, sessionCookie); v != "" {
		b.session = v
	}
	return resp
}

// cookieOf is the value of the cookie name the response sets.
func cookieOf(r response, name string) string {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Fixtures: namespace shop holds web, a canary paused at its second step
// (stable revision 2 "aaa", canary revision 3 "bbb", old revision 1
// "zzz"), and api, a healthy blue-green; namespace other holds db, a
// degraded canary.

// webRollout is the canary mid-update.
func webRollout() *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "web-uid", CreationTimestamp: metav1.NewTime(epoch.Add(-time.Hour))},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](4),
			Template: &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "shop/web:3.0"}}}},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{Steps: []rampv1alpha1.CanaryStep{
				{SetWeight: ptr.To[int32](20)},
				{Pause: &rampv1alpha1.RolloutPause{}},
				{SetWeight: ptr.To[int32](50)},
				{Pause: &rampv1alpha1.RolloutPause{Duration: ptr.To(intstr.FromInt32(30))}},
				{Analysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}},
			}}},
		},
		Status: rampv1alpha1.RolloutStatus{
			Phase: rampv1alpha1.RolloutPhasePaused, Message: "waiting at step 2 for a promotion",
			StableRS: "aaa", CurrentPodHash: "bbb", CurrentStepIndex: ptr.To[int32](1),
			PauseConditions: []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(epoch.Add(-5 * time.Minute))}},
			Canary:          rampv1alpha1.CanaryStatus{Weights: &rampv1alpha1.TrafficWeights{Canary: rampv1alpha1.WeightDestination{Weight: 20}}},
			ReadyReplicas:   4,
		},
	}
}

// apiRollout is the healthy blue-green.
func apiRollout() *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api", UID: "api-uid", CreationTimestamp: metav1.NewTime(epoch.Add(-2 * time.Hour))},
		Spec: rampv1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](2),
			Template: &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "shop/api:1.4"}}}},
			Strategy: rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{ActiveService: "api"}},
		},
		Status: rampv1alpha1.RolloutStatus{Phase: rampv1alpha1.RolloutPhaseHealthy, StableRS: "ccc", CurrentPodHash: "ccc",
			BlueGreen: rampv1alpha1.BlueGreenStatus{ActiveSelector: "ccc"}, ReadyReplicas: 2},
	}
}

// dbRollout is the degraded canary in another namespace.
func dbRollout() *rampv1alpha1.Rollout {
	return &rampv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "db", UID: "db-uid"},
		Spec: rampv1alpha1.RolloutSpec{
			Template: &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "postgres:17"}}}},
			Strategy: rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{}},
		},
		Status: rampv1alpha1.RolloutStatus{Phase: rampv1alpha1.RolloutPhaseDegraded, Message: "analysis failed"},
	}
}

// replicaSet is a ReplicaSet of a rollout with a revision and an image.
func replicaSet(ro *rampv1alpha1.Rollout, hash string, revision, replicas int32, image string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: ro.Name + "-" + hash, UID: types.UID(ro.Name + "-" + hash + "-uid"),
			Labels:          map[string]string{rampv1alpha1.LabelPodTemplateHash: hash},
			Annotations:     map[string]string{rampv1alpha1.AnnotationRevision: strconv.Itoa(int(revision))},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, rampv1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}},
		},
	}
}

// pod is a pod of a ReplicaSet.
func pod(rs *appsv1.ReplicaSet, suffix string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: rs.Namespace, Name: rs.Name + "-" + suffix,
		Labels:          map[string]string{rampv1alpha1.LabelPodTemplateHash: rs.Labels[rampv1alpha1.LabelPodTemplateHash]},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))},
	}}
}

// analysisRun is a run of a rollout, created at created.
func analysisRun(ro *rampv1alpha1.Rollout, name string, created time.Time) *rampv1alpha1.AnalysisRun {
	return &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: name, CreationTimestamp: metav1.NewTime(created),
			Labels:          map[string]string{rampv1alpha1.LabelRollout: ro.Name},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, rampv1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: rampv1alpha1.AnalysisRunSpec{Metrics: []rampv1alpha1.Metric{{Name: "error-rate"}}},
	}
}

// event is an events.k8s.io/v1 Event about a rollout.
func event(ro *rampv1alpha1.Rollout, name, reason string, at time.Time) *eventsv1.Event {
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name},
		EventTime:  metav1.NewMicroTime(at),
		Type:       corev1.EventTypeNormal, Reason: reason, Note: reason + " note", Action: "Update",
		ReportingController: "ramp-controller", ReportingInstance: "ramp-controller-1",
		Regarding: corev1.ObjectReference{APIVersion: "ramp.dev/v1alpha1", Kind: "Rollout", Namespace: ro.Namespace, Name: ro.Name, UID: ro.UID},
	}
}

// fixtures are the objects of the fixture cluster.
func fixtures() []client.Object {
	web, api, db := webRollout(), apiRollout(), dbRollout()
	stable := replicaSet(web, "aaa", 2, 2, "shop/web:2.0")
	canary := replicaSet(web, "bbb", 3, 2, "shop/web:3.0")
	old := replicaSet(web, "zzz", 1, 0, "shop/web:1.0")
	active := replicaSet(api, "ccc", 7, 2, "shop/api:1.4")
	otherWeb := webRollout()
	otherWeb.UID = "an-earlier-web"
	return []client.Object{
		web, api, db, stable, canary, old, active,
		pod(stable, "b"), pod(stable, "a"), pod(canary, "x"), pod(active, "y"),
		analysisRun(web, "web-bbb-3", epoch.Add(-3*time.Minute)),
		analysisRun(web, "web-aaa-2", epoch.Add(-50*time.Minute)),
		analysisRun(otherWeb, "web-old-1", epoch.Add(-90*time.Minute)),
		event(web, "e1", "RolloutUpdated", epoch.Add(-10*time.Minute)),
		event(web, "e2", "Paused", epoch.Add(-5*time.Minute)),
		event(otherWeb, "e3", "FromAnEarlierWeb", epoch.Add(-time.Minute)),
		event(api, "e4", "RolloutCompleted", epoch.Add(-time.Minute)),
	}
}

// fakeInformer is the env's informer of obj's kind.
func (e *env) fakeInformer(t *testing.T, obj client.Object) *controllertest.FakeInformer {
	t.Helper()
	i, err := e.informers.FakeInformerFor(t.Context(), obj)
	if err != nil {
		t.Fatal(err)
	}
	return i
}
