package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// sseMessage is one message of a stream: an event with data, or a comment.
type sseMessage struct {
	// event is the event's name; empty for a comment.
	event string
	// data is the event's data, or the comment's text.
	data string
}

// openStream opens the stream; the messages arrive on the channel, which
// is closed when the stream ends. close hangs up.
func (e *env) openStream(t *testing.T) (msgs <-chan sseMessage, hangUp func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/api/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseMessage, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.event != "" {
					out <- m
				}
				m = sseMessage{}
			case strings.HasPrefix(line, ":"):
				out <- sseMessage{data: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "event: "):
				m.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				m.data = line[len("data: "):]
			}
		}
	}()
	// The stream is subscribed once its first comment arrives.
	if m := next(t, out, time.Second); m.data != "connected" {
		t.Fatalf("first message %+v, want the connected comment", m)
	}
	t.Cleanup(cancel)
	return out, cancel
}

// next waits up to timeout for the next message that is not a keepalive.
func next(t *testing.T, msgs <-chan sseMessage, timeout time.Duration) sseMessage {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatal("the stream ended")
			}
			if m.data != "keepalive" {
				return m
			}
		case <-deadline:
			t.Fatalf("no message within %v", timeout)
		}
	}
}

// changed is the rollout a change event names, as "namespace/name".
func changed(t *testing.T, m sseMessage) string {
	t.Helper()
	if m.event != "change" {
		t.Fatalf("message %+v, want a change event", m)
	}
	var k rolloutKey
	if err := json.Unmarshal([]byte(m.data), &k); err != nil {
		t.Fatalf("change data %q: %v", m.data, err)
	}
	return k.Namespace + "/" + k.Name
}

// quiet checks that no change arrives for d.
func quiet(t *testing.T, msgs <-chan sseMessage, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-msgs:
			if ok && m.event != "" {
				t.Fatalf("unexpected change %s", m.data)
			}
		case <-deadline:
			return
		}
	}
}

// TestStreamDeliversChanges checks that a change to a rollout, its replica sets,
// pods and runs reaches the stream as a change to the rollout, and that
// unmanaged objects do not.
func TestStreamDeliversChanges(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	e.srv.coalesce = 0
	msgs, _ := e.openStream(t)
	web, api := webRollout(), apiRollout()
	rs := replicaSet(web, "ddd", 4, 1, "shop/web:4.0")
	unmanaged := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "plain",
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(web, rampv1alpha1.GroupVersion.WithKind("Rollout"))}}}
	foreign := pod(rs, "f")
	foreign.OwnerReferences[0].Name = "not-known"

	for _, tc := range []struct {
		name    string
		trigger func()
		want    string
	}{
		{"rollout updated", func() { e.fakeInformer(t, web).Update(web, web) }, "shop/web"},
		{"rollout deleted", func() { e.fakeInformer(t, api).Delete(api) }, "shop/api"},
		{"replica set added", func() { e.fakeInformer(t, rs).Add(rs) }, "shop/web"},
		{"unmanaged replica set, then a run", func() {
			e.fakeInformer(t, unmanaged).Add(unmanaged)
			e.fakeInformer(t, &corev1.Pod{}).Add(foreign)
			e.fakeInformer(t, &rampv1alpha1.AnalysisRun{}).Add(analysisRun(api, "api-1", epoch))
		}, "shop/api"},
		{"pod of a replica set seen", func() { e.fakeInformer(t, &corev1.Pod{}).Add(pod(rs, "p")) }, "shop/web"},
		{"pod of a replica set only in the cache", func() {
			e.fakeInformer(t, &corev1.Pod{}).Update(nil, pod(replicaSet(api, "ccc", 7, 2, ""), "z"))
		}, "shop/api"},
		{"pod deleted", func() { e.fakeInformer(t, &corev1.Pod{}).Delete(pod(rs, "p")) }, "shop/web"},
	} {
		tc.trigger()
		if got := changed(t, next(t, msgs, 2*time.Second)); got != tc.want {
			t.Errorf("%s: change to %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, ok := e.srv.owners.get(keyOf(rs)); !ok {
		t.Error("the replica set is not in the owner index")
	}
	e.fakeInformer(t, rs).Delete(rs)
	if got := changed(t, next(t, msgs, 2*time.Second)); got != "shop/web" {
		t.Errorf("replica set deleted: change to %s", got)
	}
	if _, ok := e.srv.owners.get(keyOf(rs)); ok {
		t.Error("a deleted replica set stays in the owner index")
	}
}

// keyOf is the namespaced name of an object.
func keyOf(obj metav1.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// TestEventHandlerUnwrapsTombstones checks the informer handler on each kind of
// notification.
func TestEventHandlerUnwrapsTombstones(t *testing.T) {
	var got []string
	h := eventHandler(func(obj metav1.Object, deleted bool) { got = append(got, fmt.Sprintf("%s %v", obj.GetName(), deleted)) })
	ro := webRollout()
	h.OnAdd(ro, false)
	h.OnUpdate(ro, ro)
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "shop/web", Obj: ro})
	h.OnDelete("not an object")
	if want := "[web false web false web true]"; fmt.Sprint(got) != want {
		t.Errorf("calls %v, want %s", got, want)
	}
}

// TestStreamCoalesces checks that changes within the coalesce interval arrive
// as one event per rollout, after the interval.
func TestStreamCoalesces(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	e.srv.coalesce = 300 * time.Millisecond
	msgs, _ := e.openStream(t)
	web, api := webRollout(), apiRollout()
	rollouts := e.fakeInformer(t, web)

	start := time.Now()
	rollouts.Update(web, web)
	if got := changed(t, next(t, msgs, time.Second)); got != "shop/web" {
		t.Fatalf("first change to %s", got)
	}
	for range 20 {
		rollouts.Update(web, web)
		rollouts.Update(api, api)
	}
	got := map[string]int{}
	for range 2 {
		got[changed(t, next(t, msgs, time.Second))]++
	}
	if elapsed := time.Since(start); elapsed < e.srv.coalesce {
		t.Errorf("the second batch came %v after the first change, before the coalesce interval %v", elapsed, e.srv.coalesce)
	}
	if got["shop/web"] != 1 || got["shop/api"] != 1 {
		t.Errorf("changes %v, want one for each rollout", got)
	}
	quiet(t, msgs, 2*e.srv.coalesce)
}

// TestStreamKeepalive checks the keepalive comment of an idle stream.
func TestStreamKeepalive(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.keepalive = 20 * time.Millisecond
	msgs, _ := e.openStream(t)
	select {
	case m := <-msgs:
		if m.data != "keepalive" || m.event != "" {
			t.Errorf("message %+v, want a keepalive comment", m)
		}
	case <-time.After(time.Second):
		t.Error("no keepalive")
	}
}

// TestStreamCleanedUpOnDisconnect checks that a stream is forgotten when its
// browser goes away.
func TestStreamCleanedUpOnDisconnect(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	_, hangUp1 := e.openStream(t)
	_, hangUp2 := e.openStream(t)
	if n := e.srv.hub.count(); n != 2 {
		t.Fatalf("%d streams, want 2", n)
	}
	hangUp1()
	hangUp2()
	waitFor(t, "the streams to be forgotten", func() string {
		// Changes published meanwhile must not block on the gone streams.
		e.srv.hub.publish(rolloutKey{Namespace: "shop", Name: "web"})
		if n := e.srv.hub.count(); n != 0 {
			return fmt.Sprintf("%d streams left", n)
		}
		return ""
	})
}

// TestStreamDisconnectsSlowClient checks that a stream that falls too far behind is
// ended rather than buffered without bound.
func TestStreamDisconnectsSlowClient(t *testing.T) {
	e := newEnv(t, nil, fixtures()...)
	e.srv.coalesce = 300 * time.Millisecond
	e.srv.hub.limit = 2
	msgs, _ := e.openStream(t)
	e.srv.hub.publish(rolloutKey{"shop", "a"})
	if got := changed(t, next(t, msgs, time.Second)); got != "shop/a" {
		t.Fatalf("first change to %s", got)
	}
	// Within the coalesce interval more rollouts change than the stream
	// may hold: it is ended rather than allowed to grow.
	for _, name := range []string{"b", "c", "d", "e"} {
		e.srv.hub.publish(rolloutKey{"shop", name})
	}
	deadline := time.After(2 * time.Second)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				waitFor(t, "the slow stream to be forgotten", func() string {
					if n := e.srv.hub.count(); n != 0 {
						return fmt.Sprintf("%d streams left", n)
					}
					return ""
				})
				return
			}
			if m.event != "" {
				t.Fatalf("a stream past its limit got %s", m.data)
			}
		case <-deadline:
			t.Fatal("the slow stream was not ended")
		}
	}
}

// TestHubNeverBlocks checks that publishing never waits for a stream that does
// not read.
func TestHubNeverBlocks(t *testing.T) {
	h := newHub(100)
	stuck := h.subscribe() // Never takes anything.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100000 {
			h.publish(rolloutKey{"ns", fmt.Sprint(i % 1000)})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publish blocked on a stream that does not read")
	}
	keys, overflow := stuck.take()
	if len(keys) != 100 || !overflow {
		t.Errorf("the stuck stream holds %d rollouts (overflow %v), want 100 and overflow", len(keys), overflow)
	}
}

// TestServeShutsDown checks that Serve returns when its context ends, even
// with a stream open.
func TestServeShutsDown(t *testing.T) {
	e := newEnv(t, nil)
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/api/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Scan() // The stream is open.

	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(shutdownGrace):
		t.Fatal("Serve did not return after its context ended, with a stream open")
	}
	for sc.Scan() {
	}
	probe, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(probe); err == nil {
		resp.Body.Close()
		t.Error("the server still answers after shutdown")
	}
}

// waitFor polls check until it returns "" or 5 s pass; it fails with
// what check said last.
func waitFor(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		last := check()
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %s", what, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
