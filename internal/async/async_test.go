package async

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func newCalls() *Calls[string, int] {
	return New[string, int](func(k string) client.Object {
		return &corev1.ConfigMap{}
	})
}

// TestCallReturns: a call under way is left in place; once it returns its
// object is queued, and the result is taken once.
func TestCallReturns(t *testing.T) {
	c := newCalls()
	release := make(chan struct{})
	started := time.Now()
	if got := c.Start("a", started, time.Minute, func(context.Context) int { <-release; return 7 }); got.Done || !got.Started.Equal(started) {
		t.Fatalf("Start returned %+v", got)
	}
	if got, ok := c.Take("a"); !ok || got.Done {
		t.Fatalf("Take of a call under way: %+v, %v", got, ok)
	}
	close(release)
	<-c.Events()
	if got, ok := c.Take("a"); !ok || !got.Done || got.Out != 7 {
		t.Fatalf("Take of a returned call: %+v, %v", got, ok)
	}
	if _, ok := c.Take("a"); ok {
		t.Error("a taken result was still there")
	}
}

// TestStop cancels the matching calls and forgets them.
func TestStop(t *testing.T) {
	c := newCalls()
	canceled := make(chan struct{})
	c.Start("a", time.Now(), time.Minute, func(ctx context.Context) int { <-ctx.Done(); close(canceled); return 0 })
	c.Start("b", time.Now(), time.Minute, func(ctx context.Context) int { <-ctx.Done(); return 0 })
	c.Stop(func(k string) bool { return k == "a" })
	<-canceled
	if _, ok := c.Take("a"); ok {
		t.Error("a stopped call was still there")
	}
	if got, ok := c.Take("b"); !ok || got.Done {
		t.Errorf("the other call: %+v, %v", got, ok)
	}
	c.Stop(func(string) bool { return true })
}
