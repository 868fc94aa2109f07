package notify

import (
	"container/heap"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Defaults of Options.
const (
	// DefaultWorkers is the default of Options.Workers.
	DefaultWorkers = 4
	// DefaultQueueSize is the default of Options.QueueSize.
	DefaultQueueSize = 1024
	// DefaultMaxAttempts is the default of Options.MaxAttempts.
	DefaultMaxAttempts = 5
	// DefaultInitialBackoff is the default of Options.InitialBackoff.
	DefaultInitialBackoff = time.Second
	// DefaultMaxBackoff is the default of Options.MaxBackoff.
	DefaultMaxBackoff = 30 * time.Second
	// DefaultTimeout is the default of Options.Timeout.
	DefaultTimeout = 10 * time.Second
)

var (
	metricSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_notifications_sent_total",
		Help: "Notifications by result: sent, failed (after their retries, or not retryable) " +
			"or dropped (queue full, or still queued when the sender stopped).",
	}, []string{"result"})
	metricAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_notification_attempts_total",
		Help: "Attempts to post a notification by result: ok, retry (failed, will be retried) " +
			"or error (failed, not retried).",
	}, []string{"result"})
)

func init() {
	metrics.Registry.MustRegister(metricSent, metricAttempts)
}

// ErrStopped is the error of deliveries still held when their Sender
// stopped, and of those sent to a stopped Sender.
var ErrStopped = errors.New("sender stopped before delivery")

// Target is one receiver, resolved: secrets already read by the caller.
type Target struct {
	// Config is the NotificationConfig naming the receiver.
	Config types.NamespacedName
	// Receiver is the receiver's name.
	Receiver string
	// Kind is the format: KindWebhook, KindSlack, KindMSTeams or
	// KindGoogleChat.
	Kind string
	// URL to post to. It is a secret: never logged, never in errors.
	URL string
	// Headers are sent with each request. Their values may be secret:
	// never logged, never in errors.
	Headers map[string]string
	// SigningKey, when set, signs each request (see Sign): the sender sets
	// HeaderTimestamp and HeaderSignature.
	SigningKey []byte
}

// Delivery is a message for a target.
type Delivery struct {
	// Target is where the message goes.
	Target Target
	// Message is what is sent.
	Message Message
}

// Result is the outcome of a delivery.
type Result struct {
	// Delivery is the delivery.
	Delivery Delivery
	// Attempts is the number of requests made.
	Attempts int
	// Err is nil when the message was delivered. Its text never contains
	// the target's URL, header values or signing key.
	Err error
}

// Options configure a Sender. Zero fields take their defaults.
type Options struct {
	// Workers post messages concurrently; default 4.
	Workers int
	// QueueSize bounds the deliveries the Sender holds: queued, being
	// posted or waiting to be retried; default 1024.
	QueueSize int
	// MaxPerTarget bounds the deliveries held for one target, so that a
	// dead receiver cannot take the whole queue; default a quarter of
	// QueueSize (at least 1).
	MaxPerTarget int
	// MaxAttempts is the most requests made for one delivery; default 5.
	MaxAttempts int
	// InitialBackoff is the wait before the first retry, doubled for each
	// later one, plus up to 20% jitter; default 1s.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait before a retry, also one asked for by a
	// receiver's Retry-After; default 30s.
	MaxBackoff time.Duration
	// Timeout bounds one request; default 10s.
	Timeout time.Duration
	// Client posts the requests. Default: a client with Timeout that
	// follows only 307 and 308 redirects, and only to the same scheme and
	// host.
	Client *http.Client
	// Clock times retries; default the real clock.
	Clock clock.WithTicker
	// OnResult, when set, is called once per delivery accepted by Send,
	// after its last attempt (delivered or not), or with ErrStopped when
	// the Sender stops first. It may be called from several goroutines at
	// once and should return quickly.
	OnResult func(Result)
}

// Sender delivers messages to their targets from background workers.
//
// Deliveries to one target (the same Config, Receiver and URL) are made
// one at a time, in the order given to Send: a delivery is attempted only
// after the one before it to that target was delivered or failed for good.
// A delivery waiting to be retried holds no worker, so a slow or dead
// receiver delays only its own deliveries; it never holds more than one
// worker. Different targets take turns at the workers.
type Sender struct {
	opts   Options
	client *http.Client
	clock  clock.WithTicker

	wake      chan struct{} // a lane became ready; buffered, one token a worker
	retryWake chan struct{} // the earliest retry changed; buffered

	mu      sync.Mutex
	started bool
	stopped bool
	held    int // deliveries held, all lanes together
	lanes   map[laneKey]*lane
	ready   []*lane  // lanes whose first delivery may be attempted, in turn
	waiting laneHeap // lanes whose first delivery waits for a retry
	seq     uint64   // of waiting lanes, to order equal due times
}

// laneKey identifies a target.
type laneKey struct {
	config   types.NamespacedName
	receiver string
	url      string
}

// lane holds the deliveries to one target, in order.
type lane struct {
	key  laneKey
	jobs []*job    // the first is ready, being posted or waiting to be retried
	due  time.Time // of the retry, while waiting
	seq  uint64    // of the retry, while waiting
}

// job is a delivery in progress.
type job struct {
	d        Delivery
	body     []byte
	attempts int
}

// NewSender returns a Sender configured by o. Start it to deliver;
// deliveries sent before then wait in its queue.
func NewSender(o Options) *Sender {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxPerTarget <= 0 {
		o.MaxPerTarget = max(1, o.QueueSize/4)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = DefaultInitialBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.InitialBackoff)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	s := &Sender{
		opts:      o,
		client:    o.Client,
		clock:     o.Clock,
		wake:      make(chan struct{}, o.Workers),
		retryWake: make(chan struct{}, 1),
		lanes:     map[laneKey]*lane{},
	}
	if s.client == nil {
		s.client = defaultClient(o.Timeout)
	}
	if s.clock == nil {
		s.clock = clock.RealClock{}
	}
	return s
}

// Send queues d and returns at once: true when queued, false (counted as
// dropped) when the queue or the target's share of it is full, or the
// Sender has stopped. The Sender keeps d's Message: do not change its
// slices or pointers afterwards.
func (s *Sender) Send(d Delivery) bool {
	k := laneKey{config: d.Target.Config, receiver: d.Target.Receiver, url: d.Target.URL}
	s.mu.Lock()
	l := s.lanes[k]
	if s.stopped || s.held >= s.opts.QueueSize || (l != nil && len(l.jobs) >= s.opts.MaxPerTarget) {
		s.mu.Unlock()
		metricSent.WithLabelValues("dropped").Inc()
		return false
	}
	if l == nil {
		l = &lane{key: k}
		s.lanes[k] = l
	}
	l.jobs = append(l.jobs, &job{d: d})
	s.held++
	if len(l.jobs) == 1 {
		// A lane with deliveries is always in exactly one place: the ready
		// queue, a worker or the retry heap. A new one starts ready.
		s.makeReady(l)
	}
	s.mu.Unlock()
	return true
}

// makeReady queues l for a worker. Call with mu held.
func (s *Sender) makeReady(l *lane) {
	s.ready = append(s.ready, l)
	select {
	case s.wake <- struct{}{}:
	default: // every worker already has a token: they look again before waiting
	}
}

// Start delivers messages until ctx ends, then reports the deliveries
// still held with ErrStopped and returns. It is a controller-runtime
// Runnable; a Sender starts only once.
func (s *Sender) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("sender already started")
	}
	s.started = true
	s.mu.Unlock()

	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() { s.work(ctx) })
	}
	wg.Go(func() { s.schedule(ctx) })
	<-ctx.Done()
	wg.Wait()
	s.stop()
	return nil
}

// stop reports every delivery still held as stopped.
func (s *Sender) stop() {
	s.mu.Lock()
	s.stopped = true
	var left []*job
	for _, l := range s.lanes {
		left = append(left, l.jobs...)
	}
	s.lanes = map[laneKey]*lane{}
	s.ready = nil
	s.waiting = nil
	s.held = 0
	s.mu.Unlock()
	for _, j := range left {
		metricSent.WithLabelValues("dropped").Inc()
		s.report(Result{Delivery: j.d, Attempts: j.attempts, Err: errorf(j.d.Target, "%w", ErrStopped)})
	}
}

// work posts the first delivery of ready lanes until ctx ends.
func (s *Sender) work(ctx context.Context) {
	for {
		s.mu.Lock()
		var l *lane
		if len(s.ready) > 0 && ctx.Err() == nil {
			l = s.ready[0]
			s.ready[0] = nil
			s.ready = s.ready[1:]
		}
		s.mu.Unlock()
		if l == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		s.process(ctx, l)
	}
}

// process makes one attempt at l's first delivery, then finishes it or
// schedules its retry.
func (s *Sender) process(ctx context.Context, l *lane) {
	s.mu.Lock()
	j := l.jobs[0] // only this worker touches the lane's first job now
	s.mu.Unlock()
	out := s.attempt(ctx, j)
	if out.err != nil && ctx.Err() != nil {
		return // interrupted by the end of ctx: left for stop to report
	}
	retry := out.err != nil && out.retryable && j.attempts < s.opts.MaxAttempts
	switch {
	case out.err == nil:
		metricAttempts.WithLabelValues("ok").Inc()
	case retry:
		metricAttempts.WithLabelValues("retry").Inc()
	case j.attempts > 0:
		metricAttempts.WithLabelValues("error").Inc()
	}
	if retry {
		delay := s.backoff(j.attempts, out.retryAfter)
		logRetry(ctx, j, delay, out.err)
		s.mu.Lock()
		l.due = s.clock.Now().Add(delay)
		s.seq++
		l.seq = s.seq
		first := len(s.waiting) == 0 || l.due.Before(s.waiting[0].due)
		heap.Push(&s.waiting, l)
		s.mu.Unlock()
		if first {
			select {
			case s.retryWake <- struct{}{}:
			default:
			}
		}
		return
	}

	s.mu.Lock()
	l.jobs[0] = nil
	l.jobs = l.jobs[1:]
	s.held--
	if len(l.jobs) > 0 {
		s.makeReady(l)
	} else {
		delete(s.lanes, l.key)
	}
	s.mu.Unlock()

	if out.err == nil {
		metricSent.WithLabelValues("sent").Inc()
	} else {
		metricSent.WithLabelValues("failed").Inc()
	}
	s.report(Result{Delivery: j.d, Attempts: j.attempts, Err: out.err})
}

func (s *Sender) report(r Result) {
	if s.opts.OnResult != nil {
		s.opts.OnResult(r)
	}
}

// CountFailed counts a notification that failed before it could be given
// to a Sender (its receiver's Secret could not be read, say).
func CountFailed() {
	metricSent.WithLabelValues("failed").Inc()
}

// CountDropped counts a notification dropped before it reached a Sender
// (a full queue in front of it).
func CountDropped() {
	metricSent.WithLabelValues("dropped").Inc()
}
