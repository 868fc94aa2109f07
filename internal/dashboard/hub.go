package dashboard

import (
	"sync"
)

// rolloutKey names a Rollout.
type rolloutKey struct {
	// Namespace of the Rollout.
	Namespace string `json:"namespace"`
	// Name of the Rollout.
	Name string `json:"name"`
}

// hub fans the changes the informers see out to the open streams. Each
// stream has its own set of changed rollouts not yet sent: a change to a
// rollout already in the set merges into it, so a slow browser gets fewer,
// coalesced events rather than a growing queue. Publishing never waits for
// a stream; a stream whose set grows past the bound is told to disconnect.
type hub struct {
	// limit bounds each stream's set of unsent rollouts.
	limit int

	// mu guards subs.
	mu sync.Mutex
	// subs are the open streams.
	subs map[*subscriber]struct{}
}

// subscriber is one open stream's share of the hub.
type subscriber struct {
	// wake is signaled (without blocking) when pending gains a rollout
	// or overflows.
	wake chan struct{}

	// mu guards pending, order and overflow.
	mu sync.Mutex
	// pending are the rollouts changed and not yet sent.
	pending map[rolloutKey]struct{}
	// order is pending in the order the rollouts first changed.
	order []rolloutKey
	// overflow is set when pending would have grown past the hub's limit.
	overflow bool
}

// newHub returns a hub whose streams hold at most limit unsent rollouts.
func newHub(limit int) *hub {
	return &hub{limit: limit, subs: map[*subscriber]struct{}{}}
}

// subscribe opens a stream's share of the hub; call unsubscribe when the
// stream ends.
func (h *hub) subscribe() *subscriber {
	sub := &subscriber{wake: make(chan struct{}, 1), pending: map[rolloutKey]struct{}{}}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[sub] = struct{}{}
	return sub
}

// unsubscribe forgets a stream.
func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
}

// count is the number of open streams.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// publish records a change to the Rollout k for every open stream. It
// never blocks on a stream.
func (h *hub) publish(k rolloutKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		sub.add(k, h.limit)
	}
}

// add records a change to k, or the overflow when the set is full, and
// wakes the stream.
func (sub *subscriber) add(k rolloutKey, limit int) {
	sub.mu.Lock()
	if _, seen := sub.pending[k]; !seen {
		if len(sub.pending) >= limit {
			sub.overflow = true
		} else {
			sub.pending[k] = struct{}{}
			sub.order = append(sub.order, k)
		}
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// take empties the set and returns what it held, in order; overflow
// reports that changes were lost, so the stream must end (the browser
// reconnects and reloads).
func (sub *subscriber) take() (keys []rolloutKey, overflow bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	keys, overflow = sub.order, sub.overflow
	sub.order, sub.pending = nil, map[rolloutKey]struct{}{}
	return keys, overflow
}
