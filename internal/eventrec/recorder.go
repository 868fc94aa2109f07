// Package eventrec records the Events of Ramp's controllers
// (events.k8s.io/v1) with bounded memory and without ever delaying a
// reconcile.
//
// Each Event is queued and written by a few background workers. An Event
// equal to one written in the last few minutes (same object, type, reason,
// action, note and related object) becomes a series on the first: its
// count and last time are patched, once for any number of repeats queued
// meanwhile. Only the keys of recent Events are remembered, at most
// MaxRemembered of them, and a full queue drops Events (counted in
// ramp_events_dropped_total) rather than block.
package eventrec

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	eventsclient "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/tools/reference"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

const (
	// SeriesWindow is how long an Event is remembered: a repeat within it
	// adds to its series, a later one is a new Event.
	SeriesWindow = 5 * time.Minute
	// MaxRemembered bounds the Events remembered for series; the least
	// recently seen are forgotten first.
	MaxRemembered = 4096
	// QueueSize is how many Events may wait to be written.
	QueueSize = 2048
	// maxNote is the API server's limit on an Event's note.
	maxNote = 1024
	// writeTimeout bounds one write to the API server.
	writeTimeout = 10 * time.Second
)

var (
	metricWritten = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_events_written_total",
		Help: "Events written to the API server, by result (created, series, failed).",
	}, []string{"result"})
	metricDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ramp_events_dropped_total",
		Help: "Events dropped because the queue of Events to write was full.",
	})
)

func init() {
	metrics.Registry.MustRegister(metricWritten, metricDropped)
}

// key tells Events apart: equal keys within SeriesWindow form a series.
type key struct {
	regarding types.UID
	ref       string // kind/namespace/name, for objects without a UID
	related   types.UID
	eventType string
	reason    string
	action    string
	note      string
}

// entry is a remembered Event: its name and series.
type entry struct {
	key       key
	namespace string
	name      string
	count     int32
	last      time.Time
	pending   bool // a series patch is queued
	created   bool // the Event exists on the server
	elem      *list.Element
}

// work is one queued write: a new Event, or the series of a remembered one.
type work struct {
	event *eventsv1.Event // set for a new Event
	entry *entry
}

// Recorder writes Events. It implements controller-runtime's
// recorder.EventRecorder. Start it with Start (or add it to a manager as a
// Runnable); Events recorded before then wait in the queue.
type Recorder struct {
	client     eventsclient.EventsGetter
	scheme     *runtime.Scheme
	controller string
	instance   string
	clock      clock.PassiveClock
	workers    int
	remember   int // most Events remembered

	queue chan work

	mu       sync.Mutex
	entries  map[key]*entry
	lru      *list.List // of *entry, least recently seen first
	lastNano int64      // of the last Event's name, kept increasing
}

// New returns a Recorder writing through client as controller; instance
// tells this process apart (such as the host name).
func New(client eventsclient.EventsGetter, scheme *runtime.Scheme, controller, instance string) *Recorder {
	return &Recorder{
		client:     client,
		scheme:     scheme,
		controller: controller,
		instance:   instance,
		clock:      clock.RealClock{},
		workers:    2,
		remember:   MaxRemembered,
		queue:      make(chan work, QueueSize),
		entries:    map[key]*entry{},
		lru:        list.New(),
	}
}

// Eventf records an Event about regarding.
func (r *Recorder) Eventf(regarding, related runtime.Object, eventType, reason, action, note string, args ...any) {
	r.AnnotatedEventf(regarding, related, nil, eventType, reason, action, note, args...)
}

// AnnotatedEventf records an Event about regarding with annotations.
func (r *Recorder) AnnotatedEventf(regarding, related runtime.Object, annotations map[string]string, eventType, reason, action, note string, args ...any) {
	if len(args) > 0 {
		note = fmt.Sprintf(note, args...)
	}
	if len(note) > maxNote {
		note = strings.ToValidUTF8(note[:maxNote-3], "") + "..."
	}
	ref, err := reference.GetReference(r.scheme, regarding)
	if err != nil {
		ctrl.Log.WithName("events").Error(err, "cannot record Event", "reason", reason, "note", note)
		return
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		if relatedRef, err = reference.GetReference(r.scheme, related); err != nil {
			relatedRef = nil
		}
	}
	k := key{regarding: ref.UID, ref: ref.Kind + "/" + ref.Namespace + "/" + ref.Name,
		eventType: eventType, reason: reason, action: action, note: note}
	if relatedRef != nil {
		k.related = relatedRef.UID
	}
	now := r.clock.Now()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgetOld(now)
	if e, ok := r.entries[k]; ok {
		e.count++
		e.last = now
		r.lru.MoveToBack(e.elem)
		if e.pending {
			return // the queued patch will carry this repeat
		}
		e.pending = true
		r.enqueue(work{entry: e})
		return
	}
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	// Names are the object's name and a time, increasing so that two
	// Events in the same nanosecond do not share one.
	r.lastNano = max(now.UnixNano(), r.lastNano+1)
	e := &entry{key: k, namespace: namespace, name: fmt.Sprintf("%s.%x", ref.Name, r.lastNano), count: 1, last: now}
	ev := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: e.name, Namespace: namespace, Annotations: annotations},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             relatedRef,
		Note:                note,
		Type:                eventType,
	}
	if !r.enqueue(work{event: ev, entry: e}) {
		return
	}
	e.elem = r.lru.PushBack(e)
	r.entries[k] = e
}

// enqueue queues w without blocking; a full queue drops it.
func (r *Recorder) enqueue(w work) bool {
	select {
	case r.queue <- w:
		return true
	default:
		metricDropped.Inc()
		if w.event == nil {
			w.entry.pending = false
		}
		return false
	}
}

// forgetOld forgets Events last seen before the window, and the least
// recently seen to make room for one more. Called with r.mu held.
func (r *Recorder) forgetOld(now time.Time) {
	for front := r.lru.Front(); front != nil; front = r.lru.Front() {
		e := front.Value.(*entry)
		if r.lru.Len() < r.remember && now.Sub(e.last) < SeriesWindow {
			return
		}
		r.lru.Remove(front)
		delete(r.entries, e.key)
	}
}

// Start writes queued Events until ctx ends, then writes what is queued
// for at most a few seconds more.
func (r *Recorder) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range r.workers {
		wg.Go(func() {
			for {
				select {
				case w := <-r.queue:
					r.write(context.WithoutCancel(ctx), w)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	r.drain(3 * time.Second)
	return nil
}

// drain writes what is left in the queue, for at most d.
func (r *Recorder) drain(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		select {
		case w := <-r.queue:
			r.write(ctx, w)
		default:
			return
		}
	}
}

// NeedLeaderElection lets the Recorder write Events on every replica: a
// replica that is not the leader records none.
func (r *Recorder) NeedLeaderElection() bool { return false }

// write makes one queued write.
func (r *Recorder) write(ctx context.Context, w work) {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if w.event != nil {
		r.create(ctx, w.event, w.entry)
		return
	}
	r.mu.Lock()
	e := w.entry
	e.pending = false
	count, last, created := e.count, e.last, e.created
	r.mu.Unlock()
	if !created {
		// The first write failed or is not made yet: nothing to add a
		// series to. The next repeat after it is made will be patched.
		return
	}
	patch, _ := json.Marshal(map[string]any{"series": eventsv1.EventSeries{
		Count: count, LastObservedTime: metav1.NewMicroTime(last),
	}})
	_, err := r.client.Events(e.namespace).Patch(ctx, e.name, types.MergePatchType, patch, metav1.PatchOptions{})
	switch {
	case err == nil:
		metricWritten.WithLabelValues("series").Inc()
	case apierrors.IsNotFound(err):
		// The Event expired on the server: forget it; the next repeat
		// starts a new one.
		r.mu.Lock()
		if cur, ok := r.entries[e.key]; ok && cur == e {
			r.lru.Remove(e.elem)
			delete(r.entries, e.key)
		}
		r.mu.Unlock()
		metricWritten.WithLabelValues("failed").Inc()
	default:
		r.logFailure(err, e.namespace, e.name)
	}
}

// create writes a new Event.
func (r *Recorder) create(ctx context.Context, ev *eventsv1.Event, e *entry) {
	_, err := r.client.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		r.logFailure(err, ev.Namespace, ev.Name)
		return
	}
	metricWritten.WithLabelValues("created").Inc()
	r.mu.Lock()
	defer r.mu.Unlock()
	e.created = true
	// Repeats recorded while it was being created start its series now.
	if e.count > 1 && !e.pending {
		e.pending = true
		r.enqueue(work{entry: e})
	}
}

func (r *Recorder) logFailure(err error, namespace, name string) {
	metricWritten.WithLabelValues("failed").Inc()
	ctrl.Log.WithName("events").Info("cannot write Event", "namespace", namespace, "name", name, "error", err.Error())
}
