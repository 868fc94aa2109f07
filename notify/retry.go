package notify

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date; -1 when absent or not understood.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // capped by MaxBackoff anyway
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0)
	}
	return -1
}

// backoff is the wait before the next attempt after attempts failed ones:
// retryAfter when the receiver asked for one (not negative), otherwise
// InitialBackoff doubled for each attempt after the first plus up to 20%
// jitter; either capped by MaxBackoff.
func (s *Sender) backoff(attempts int, retryAfter time.Duration) time.Duration {
	limit := s.opts.MaxBackoff
	if retryAfter >= 0 {
		return min(retryAfter, limit)
	}
	d := s.opts.InitialBackoff
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	d += time.Duration(rand.Int64N(int64(d)/5 + 1))
	return min(d, limit)
}

// schedule moves lanes whose retry is due to the ready queue until ctx
// ends.
func (s *Sender) schedule(ctx context.Context) {
	for {
		s.mu.Lock()
		now := s.clock.Now()
		for len(s.waiting) > 0 && !s.waiting[0].due.After(now) {
			l := heap.Pop(&s.waiting).(*lane)
			s.makeReady(l)
		}
		var wait time.Duration = -1
		if len(s.waiting) > 0 {
			wait = s.waiting[0].due.Sub(now)
		}
		s.mu.Unlock()

		if wait < 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.retryWake:
			}
			continue
		}
		t := s.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.retryWake:
		case <-t.C():
		}
		t.Stop()
	}
}

// laneHeap orders lanes waiting for a retry by due time.
type laneHeap []*lane

func (h laneHeap) Len() int { return len(h) }
func (h laneHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h laneHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *laneHeap) Push(x any)   { *h = append(*h, x.(*lane)) }
func (h *laneHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return l
}
