package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// streamWriteTimeout bounds each write to a stream: a browser that reads
// nothing for this long is disconnected.
const streamWriteTimeout = 10 * time.Second

// stream serves GET /api/v1/stream: Server-Sent Events, one `change`
// event with {"namespace","name"} for each Rollout that changed (itself,
// or one of its ReplicaSets, pods or AnalysisRuns), at most one batch per
// coalesce interval, and a comment line as keepalive when idle. It ends
// when the browser goes away, when the server shuts down, or when the
// browser reads too slowly; the browser's EventSource then reconnects.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	sub := s.hub.subscribe()
	defer s.hub.unsubscribe(sub)
	out := &eventWriter{w: w, rc: http.NewResponseController(w)}
	if err := out.send([]byte("retry: 3000\n: connected\n\n")); err != nil {
		return
	}

	keepalive := time.NewTicker(s.keepalive)
	defer keepalive.Stop()
	var (
		last  time.Time
		delay *time.Timer
		due   <-chan time.Time
	)
	defer func() {
		if delay != nil {
			delay.Stop()
		}
	}()
	flush := func() bool {
		due = nil
		sent, err := s.sendChanges(out, sub)
		if sent {
			last = time.Now()
		}
		return err == nil
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-keepalive.C:
			if out.send([]byte(": keepalive\n\n")) != nil {
				return
			}
		case <-sub.wake:
			if due != nil {
				continue // A batch is already planned.
			}
			if wait := s.coalesce - time.Since(last); wait > 0 {
				delay = time.NewTimer(wait)
				due = delay.C
				continue
			}
			if !flush() {
				return
			}
		case <-due:
			if !flush() {
				return
			}
		}
	}
}

// errTooSlow ends a stream that fell too far behind.
var errTooSlow = errors.New("the browser reads the stream too slowly")

// sendChanges sends a change event for each rollout sub holds; sent is
// false when it held none.
func (s *Server) sendChanges(out *eventWriter, sub *subscriber) (sent bool, err error) {
	keys, overflow := sub.take()
	if overflow {
		s.log.V(1).Info("Disconnecting a slow dashboard stream")
		return false, errTooSlow
	}
	if len(keys) == 0 {
		return false, nil
	}
	var b bytes.Buffer
	for _, k := range keys {
		data, err := json.Marshal(k)
		if err != nil {
			return false, fmt.Errorf("encode a change: %w", err)
		}
		b.WriteString("event: change\ndata: ")
		b.Write(data)
		b.WriteString("\n\n")
	}
	return true, out.send(b.Bytes())
}

// eventWriter writes to a stream, each write bounded in time and flushed
// at once.
type eventWriter struct {
	// w is the response.
	w http.ResponseWriter
	// rc sets write deadlines and flushes w.
	rc *http.ResponseController
}

// send writes p and flushes it to the browser.
func (e *eventWriter) send(p []byte) error {
	if err := e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("set the stream's write deadline: %w", err)
	}
	if _, err := e.w.Write(p); err != nil {
		return fmt.Errorf("write to the stream: %w", err)
	}
	if err := e.rc.Flush(); err != nil {
		return fmt.Errorf("flush the stream: %w", err)
	}
	return nil
}
