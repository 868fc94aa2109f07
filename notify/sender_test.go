package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestRetryThenDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &scripted{statuses: []int{503, 503}}
		res := newCollector()
		s := NewSender(Options{Client: &http.Client{Transport: handlerTransport{"chat": h}}, OnResult: res.onResult})
		before := readCounters()
		stop := start(t, s)
		defer stop()
		s.Send(delivery("chat", "web"))
		r := <-res.ch
		if r.Err != nil || r.Attempts != 3 {
			t.Fatalf("result after %d attempts: %v, want delivered after 3", r.Attempts, r.Err)
		}
		// Waits of 1s and 2s, each with up to 20% jitter.
		if d := h.times[1].Sub(h.times[0]); d < time.Second || d > 1200*time.Millisecond {
			t.Errorf("first retry after %s, want 1s to 1.2s", d)
		}
		if d := h.times[2].Sub(h.times[1]); d < 2*time.Second || d > 2400*time.Millisecond {
			t.Errorf("second retry after %s, want 2s to 2.4s", d)
		}
		before.expect(t, map[[2]string]float64{{"sent", "sent"}: 1, {"attempts", "retry"}: 2, {"attempts", "ok"}: 1})
	})
}

func TestClientErrorNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &scripted{statuses: []int{400}}
		res := newCollector()
		s := NewSender(Options{Client: &http.Client{Transport: handlerTransport{"chat": h}}, OnResult: res.onResult})
		before := readCounters()
		stop := start(t, s)
		defer stop()
		s.Send(delivery("chat", "web"))
		r := <-res.ch
		var de *DeliveryError
		if r.Attempts != 1 || !errors.As(r.Err, &de) || de.StatusCode != http.StatusBadRequest {
			t.Fatalf("result after %d attempts: %v, want status 400 after 1", r.Attempts, r.Err)
		}
		before.expect(t, map[[2]string]float64{{"sent", "failed"}: 1, {"attempts", "error"}: 1})
	})
}

func TestMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &scripted{statuses: []int{500, 500, 500, 500}}
		res := newCollector()
		s := NewSender(Options{MaxAttempts: 3, Client: &http.Client{Transport: handlerTransport{"chat": h}},
			OnResult: res.onResult})
		before := readCounters()
		stop := start(t, s)
		defer stop()
		s.Send(delivery("chat", "web"))
		r := <-res.ch
		if r.Err == nil || r.Attempts != 3 || len(h.times) != 3 {
			t.Fatalf("result after %d attempts (%d requests): %v, want failed after 3", r.Attempts, len(h.times), r.Err)
		}
		before.expect(t, map[[2]string]float64{{"sent", "failed"}: 1, {"attempts", "retry"}: 2, {"attempts", "error"}: 1})
	})
}

func TestRetryAfter(t *testing.T) {
	for _, c := range []struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		{429, "7", 7 * time.Second},
		{503, "3600", 30 * time.Second}, // capped by MaxBackoff
		{503, "0", 0},
	} {
		synctest.Test(t, func(t *testing.T) {
			h := &scripted{statuses: []int{c.status}, header: http.Header{"Retry-After": {c.retryAfter}}}
			res := newCollector()
			s := NewSender(Options{Client: &http.Client{Transport: handlerTransport{"chat": h}}, OnResult: res.onResult})
			stop := start(t, s)
			defer stop()
			s.Send(delivery("chat", "web"))
			if r := <-res.ch; r.Err != nil || r.Attempts != 2 {
				t.Fatalf("result after %d attempts: %v", r.Attempts, r.Err)
			}
			if d := h.times[1].Sub(h.times[0]); d != c.want {
				t.Errorf("%d with Retry-After %s: retried after %s, want %s", c.status, c.retryAfter, d, c.want)
			}
		})
	}
}

// TestDeadEndpointDoesNotDelayOthers: deliveries to a receiver that never
// answers take one worker at most, and a healthy receiver's delivery is
// made at once.
func TestDeadEndpointDoesNotDelayOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		healthy := &scripted{}
		res := newCollector()
		s := NewSender(Options{Workers: 2, Client: &http.Client{Transport: handlerTransport{"dead": hang, "ok": healthy}},
			OnResult: res.onResult})
		began := time.Now()
		for i := range 10 {
			s.Send(delivery("dead", "web-"+string(rune('a'+i))))
		}
		s.Send(delivery("ok", "healthy"))
		stop := start(t, s)
		r := <-res.ch
		if r.Delivery.Target.Receiver != "ok" || r.Err != nil {
			t.Fatalf("first result for %s: %v, want the healthy one delivered", r.Delivery.Target.Receiver, r.Err)
		}
		if d := time.Since(began); d != 0 {
			t.Errorf("healthy delivery after %s, want at once", d)
		}
		stop()
	})
}

// TestRetriesHoldNoWorker: with one worker, deliveries to a receiver that
// keeps failing wait for their retries without the worker.
func TestRetriesHoldNoWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failing := &scripted{statuses: make([]int, 100)}
		for i := range failing.statuses {
			failing.statuses[i] = 503
		}
		healthy := &scripted{}
		res := newCollector()
		s := NewSender(Options{Workers: 1, MaxBackoff: time.Minute, InitialBackoff: 20 * time.Second,
			Client:   &http.Client{Transport: handlerTransport{"failing": failing, "ok": healthy}},
			OnResult: res.onResult})
		stop := start(t, s)
		defer stop()
		began := time.Now()
		for range 5 {
			s.Send(delivery("failing", "web"))
		}
		s.Send(delivery("ok", "healthy"))
		r := <-res.ch
		if r.Delivery.Target.Receiver != "ok" || time.Since(began) != 0 {
			t.Fatalf("first result for %s after %s, want the healthy one at once", r.Delivery.Target.Receiver, time.Since(began))
		}
		failing.mu.Lock()
		defer failing.mu.Unlock()
		if n := len(failing.times); n != 1 {
			t.Errorf("%d requests to the failing receiver, want 1: its others wait behind its first", n)
		}
	})
}

func TestOrderPerTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &scripted{statuses: []int{503}}
		res := newCollector()
		s := NewSender(Options{Client: &http.Client{Transport: handlerTransport{"chat": h}}, OnResult: res.onResult})
		for _, name := range []string{"one", "two", "three"} {
			s.Send(delivery("chat", name))
		}
		stop := start(t, s)
		defer stop()
		for range 3 {
			if r := <-res.ch; r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		if got := h.rollouts; len(got) != 4 || got[0] != "one" || got[1] != "one" || got[2] != "two" || got[3] != "three" {
			t.Errorf("requests for %q, want one, one (retried), two, three", got)
		}
	})
}

func TestFullQueueDrops(t *testing.T) {
	before := readCounters()
	s := NewSender(Options{QueueSize: 2})
	if !s.Send(delivery("a", "one")) || !s.Send(delivery("b", "two")) {
		t.Fatal("Send refused a delivery with room in the queue")
	}
	if s.Send(delivery("c", "three")) {
		t.Error("Send accepted a delivery into a full queue")
	}
	before.expect(t, map[[2]string]float64{{"sent", "dropped"}: 1})
}

func TestFullTargetDrops(t *testing.T) {
	before := readCounters()
	s := NewSender(Options{QueueSize: 10, MaxPerTarget: 2})
	if !s.Send(delivery("a", "one")) || !s.Send(delivery("a", "two")) {
		t.Fatal("Send refused a delivery with room in the queue")
	}
	if s.Send(delivery("a", "three")) {
		t.Error("Send accepted a third delivery for a target with room for two")
	}
	if !s.Send(delivery("b", "four")) {
		t.Error("Send refused a delivery for another target")
	}
	before.expect(t, map[[2]string]float64{{"sent", "dropped"}: 1})
}

// TestOnResultOncePerDelivery: every accepted delivery is reported once,
// whatever its outcome.
func TestOnResultOncePerDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res := newCollector()
		s := NewSender(Options{Workers: 3, MaxAttempts: 3, OnResult: res.onResult, Client: &http.Client{Transport: handlerTransport{
			"ok":    &scripted{},
			"flaky": &scripted{statuses: []int{500, 429, 500, 502}},
			"bad":   &scripted{statuses: []int{404, 404, 404}},
			"down":  &scripted{statuses: []int{503, 503, 503, 503, 503, 503}},
			"dead":  hang,
		}}})
		stop := start(t, s)
		sent := map[string]int{}
		for i, host := range []string{"ok", "flaky", "bad", "down", "ok", "flaky", "bad", "down", "nowhere", "dead"} {
			d := delivery(host, "web-"+string(rune('a'+i)))
			if i == 4 {
				d.Target.Kind = "pager" // cannot be formatted
			}
			if !s.Send(d) {
				t.Fatal("Send refused a delivery")
			}
			sent[d.Message.Rollout]++
		}
		time.Sleep(time.Hour) // long enough for every retry and timeout
		synctest.Wait()
		stop()
		for _, r := range res.all() {
			sent[r.Delivery.Message.Rollout]--
			if r.Delivery.Target.Receiver == "dead" && (r.Err == nil || r.Attempts != 3 ||
				!strings.HasSuffix(r.Err.Error(), "timed out after 10s")) {
				t.Errorf("hanging delivery after %d attempts: %v, want timed out after 3", r.Attempts, r.Err)
			}
		}
		for name, n := range sent {
			if n != 0 {
				t.Errorf("delivery %s reported %d times, want once", name, 1-n)
			}
		}
	})
}

func TestStopReportsHeldAndRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res := newCollector()
		s := NewSender(Options{Workers: 1, Client: &http.Client{Transport: handlerTransport{"dead": hang}}, OnResult: res.onResult})
		stop := start(t, s)
		for range 3 {
			s.Send(delivery("dead", "web"))
		}
		synctest.Wait()
		stop()
		if n := len(res.all()); n != 3 {
			t.Fatalf("%d results, want 3", n)
		}
		for _, r := range res.all() {
			if !errors.Is(r.Err, ErrStopped) {
				t.Errorf("result %v, want ErrStopped", r.Err)
			}
		}
		if s.Send(delivery("dead", "late")) {
			t.Error("a stopped Sender accepted a delivery")
		}
		if err := s.Start(context.Background()); err == nil {
			t.Error("a Sender started twice")
		}
	})
}

// TestWebhookDelivery: a webhook gets the Message with its title.
func TestWebhookDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got map[string]any
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewDecoder(r.Body).Decode(&got)
		})
		res := newCollector()
		s := NewSender(Options{Client: &http.Client{Transport: handlerTransport{"hook": h}}, OnResult: res.onResult})
		stop := start(t, s)
		defer stop()
		d := delivery("hook", "web")
		d.Message.Trigger = rampv1alpha1.TriggerPaused
		s.Send(d)
		<-res.ch
		if got["title"] != "shop/web: paused, waiting for a person" || got["trigger"] != "Paused" {
			t.Errorf("body %v", got)
		}
	})
}
