package notify

import (
	"net/http"
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"
)

// TestFakeClock: retries wait on Options.Clock.
func TestFakeClock(t *testing.T) {
	clk := testclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := &scripted{statuses: []int{503}}
	res := newCollector()
	s := NewSender(Options{Clock: clk, Client: &http.Client{Transport: handlerTransport{"chat": h}}, OnResult: res.onResult})
	stop := start(t, s)
	defer stop()
	s.Send(delivery("chat", "web"))

	deadline := time.Now().Add(10 * time.Second)
	for !clk.HasWaiters() { // the retry's timer
		if time.Now().After(deadline) {
			t.Fatal("no retry waits on the clock")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case r := <-res.ch:
		t.Fatalf("result before the clock moved: %v", r.Err)
	default:
	}
	clk.Step(1200 * time.Millisecond) // the longest first backoff
	select {
	case r := <-res.ch:
		if r.Err != nil || r.Attempts != 2 {
			t.Errorf("result after %d attempts: %v", r.Attempts, r.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no retry after the clock moved")
	}
}
