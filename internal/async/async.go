// Package async runs a controller's slow calls (measurements, gate
// checks) in goroutines of their own, so that a call that waits for its
// timeout holds no reconcile worker and one endpoint that hangs never
// delays the other objects. When a call returns, its object is queued
// again through Events (a source.Channel) and the next reconcile takes the
// result. Calls live in memory only: a restarted controller makes the
// call again.
package async

import (
	"context"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// Calls are the calls under way, or returned and not yet taken, by key.
type Calls[K comparable, R any] struct {
	mu     sync.Mutex
	byKey  map[K]*entry[R]
	events chan event.GenericEvent
	object func(K) client.Object
}

// Call is a call under way (Done false) or returned with Out.
type Call[R any] struct {
	// Started is when the call was asked for.
	Started time.Time
	// Done is true once the call returned.
	Done bool
	// Out is what the call returned.
	Out R
	// Took is how long the call took.
	Took time.Duration
}

type entry[R any] struct {
	Call[R]
	cancel context.CancelFunc
}

// New returns Calls whose returns queue object(key) for a reconcile.
func New[K comparable, R any](object func(K) client.Object) *Calls[K, R] {
	return &Calls[K, R]{byKey: map[K]*entry[R]{}, events: make(chan event.GenericEvent, 1024), object: object}
}

// Events carries an object to reconcile each time a call returns; give it
// to source.Channel.
func (c *Calls[K, R]) Events() chan event.GenericEvent {
	return c.events
}

// Take returns the call of k: a returned one is removed (the caller
// records it), one under way is left.
func (c *Calls[K, R]) Take(k K) (Call[R], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[k]
	if !ok {
		return Call[R]{}, false
	}
	if e.Done {
		delete(c.byKey, k)
	}
	return e.Call, true
}

// Start runs call in a goroutine, bounded by timeout, and queues k's
// object when it returns.
func (c *Calls[K, R]) Start(k K, started time.Time, timeout time.Duration, call func(context.Context) R) Call[R] {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	e := &entry[R]{Call: Call[R]{Started: started}, cancel: cancel}
	c.mu.Lock()
	if old, ok := c.byKey[k]; ok {
		old.cancel()
	}
	c.byKey[k] = e
	c.mu.Unlock()
	go func() {
		defer cancel()
		began := time.Now()
		out := call(ctx)
		c.mu.Lock()
		e.Out, e.Took, e.Done = out, time.Since(began), true
		c.mu.Unlock()
		select {
		case c.events <- event.GenericEvent{Object: c.object(k)}:
		case <-time.After(timeout):
			// The controller is not reading (stopping): the object's own
			// wake-up picks the result up.
		}
	}()
	return e.Call
}

// Stop cancels and forgets the calls whose key matches.
func (c *Calls[K, R]) Stop(match func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.byKey {
		if match(k) {
			e.cancel()
			delete(c.byKey, k)
		}
	}
}
