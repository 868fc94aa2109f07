package eventrec

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
)

func newTestRecorder(t *testing.T) (*Recorder, *fake.Clientset, *clocktesting.FakePassiveClock) {
	t.Helper()
	cs := fake.NewClientset()
	r := New(cs.EventsV1(), clientgoscheme.Scheme, "ramp-controller", "ramp-controller-host")
	r.remember = 50
	r.queue = make(chan work, 40)
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	r.clock = clk
	return r, cs, clk
}

func pod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team", UID: types.UID("uid-" + name), ResourceVersion: "1"}}
}

// flush makes the queued writes, in order, as the workers would.
func flush(r *Recorder) {
	for {
		select {
		case w := <-r.queue:
			r.write(context.Background(), w)
		default:
			return
		}
	}
}

func listEvents(t *testing.T, cs *fake.Clientset) []eventsv1.Event {
	t.Helper()
	list, err := cs.EventsV1().Events("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func TestEventWritten(t *testing.T) {
	r, cs, clk := newTestRecorder(t)
	r.Eventf(pod("web"), nil, corev1.EventTypeNormal, "StepCompleted", "Step", "Step %d of %d done", 2, 4)
	flush(r)
	got := listEvents(t, cs)
	if len(got) != 1 {
		t.Fatalf("want 1 Event, got %d", len(got))
	}
	ev := got[0]
	if ev.Namespace != "team" || ev.Regarding.Name != "web" || ev.Regarding.Kind != "Pod" || ev.Reason != "StepCompleted" ||
		ev.Action != "Step" || ev.Note != "Step 2 of 4 done" || ev.Type != corev1.EventTypeNormal ||
		ev.ReportingController != "ramp-controller" || ev.ReportingInstance != "ramp-controller-host" ||
		!ev.EventTime.Time.Equal(clk.Now()) || ev.Series != nil {
		t.Fatalf("unexpected Event: %+v", ev)
	}
	if !strings.HasPrefix(ev.Name, "web.") {
		t.Errorf("name %q does not start with the object's name", ev.Name)
	}
}

func TestRepeatsFormOneSeries(t *testing.T) {
	r, cs, clk := newTestRecorder(t)
	p := pod("web")
	r.Eventf(p, nil, corev1.EventTypeWarning, "TrafficDrift", "Route", "weight changed")
	flush(r)
	for i := range 3 {
		clk.SetTime(clk.Now().Add(time.Second))
		p.ResourceVersion = fmt.Sprint(i + 2) // a later version of the same object
		r.Eventf(p, nil, corev1.EventTypeWarning, "TrafficDrift", "Route", "weight changed")
	}
	if n := len(r.queue); n != 1 {
		t.Errorf("three repeats queued %d writes, want 1 series patch", n)
	}
	flush(r)
	got := listEvents(t, cs)
	if len(got) != 1 {
		t.Fatalf("want 1 Event, got %d", len(got))
	}
	if s := got[0].Series; s == nil || s.Count != 4 || !s.LastObservedTime.Time.Equal(clk.Now()) {
		t.Fatalf("series %+v, want count 4 at %v", s, clk.Now())
	}
}

func TestDifferentNotesAreDifferentEvents(t *testing.T) {
	r, cs, _ := newTestRecorder(t)
	p := pod("web")
	r.Eventf(p, nil, corev1.EventTypeNormal, "StepCompleted", "Step", "Step 1 of 4 done")
	r.Eventf(p, nil, corev1.EventTypeNormal, "StepCompleted", "Step", "Step 2 of 4 done")
	flush(r)
	got := listEvents(t, cs)
	if len(got) != 2 || got[0].Note == got[1].Note {
		t.Fatalf("want two Events with their own notes, got %+v", got)
	}
}

func TestRepeatAfterWindowIsNewEvent(t *testing.T) {
	r, cs, clk := newTestRecorder(t)
	p := pod("web")
	r.Eventf(p, nil, corev1.EventTypeNormal, "Paused", "Pause", "Paused")
	flush(r)
	clk.SetTime(clk.Now().Add(SeriesWindow + time.Second))
	r.Eventf(p, nil, corev1.EventTypeNormal, "Paused", "Pause", "Paused")
	flush(r)
	got := listEvents(t, cs)
	if len(got) != 2 || got[0].Series != nil || got[1].Series != nil {
		t.Fatalf("want two single Events, got %+v", got)
	}
	if len(r.entries) != 1 {
		t.Errorf("%d Events remembered, want 1 (the older one forgotten)", len(r.entries))
	}
}

func TestRepeatWhileCreatingStartsSeries(t *testing.T) {
	r, cs, _ := newTestRecorder(t)
	p := pod("web")
	r.Eventf(p, nil, corev1.EventTypeNormal, "Paused", "Pause", "Paused")
	r.Eventf(p, nil, corev1.EventTypeNormal, "Paused", "Pause", "Paused")
	flush(r)
	got := listEvents(t, cs)
	if len(got) != 1 || got[0].Series == nil || got[0].Series.Count != 2 {
		t.Fatalf("want one Event with a series of 2, got %+v", got)
	}
}

func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	r, cs, _ := newTestRecorder(t)
	before := testutil.ToFloat64(metricDropped)
	for i := range cap(r.queue) + 10 {
		r.Eventf(pod(fmt.Sprint("p", i)), nil, corev1.EventTypeNormal, "Scaled", "Scale", "Scaled")
	}
	if d := testutil.ToFloat64(metricDropped) - before; d != 10 {
		t.Errorf("dropped %v Events, want 10", d)
	}
	flush(r)
	if n := len(listEvents(t, cs)); n != cap(r.queue) {
		t.Errorf("%d Events written, want %d", n, cap(r.queue))
	}
}

func TestMemoryBounded(t *testing.T) {
	r, _, _ := newTestRecorder(t)
	for i := range r.remember + 25 {
		r.Eventf(pod(fmt.Sprint("p", i)), nil, corev1.EventTypeNormal, "Scaled", "Scale", "Scaled")
		if i%20 == 0 {
			flush(r)
		}
	}
	flush(r)
	if len(r.entries) != r.remember || r.lru.Len() != r.remember {
		t.Errorf("%d Events remembered (list %d), want %d", len(r.entries), r.lru.Len(), r.remember)
	}
	if _, ok := r.entries[key{regarding: "uid-p0", ref: "Pod/team/p0", eventType: corev1.EventTypeNormal, reason: "Scaled", action: "Scale", note: "Scaled"}]; ok {
		t.Error("the oldest Event is still remembered")
	}
}

func TestLongNoteTruncated(t *testing.T) {
	r, cs, _ := newTestRecorder(t)
	r.Eventf(pod("web"), nil, corev1.EventTypeWarning, "InvalidSpec", "Validate", "%s", strings.Repeat("x", 5000))
	flush(r)
	got := listEvents(t, cs)
	if len(got) != 1 || len(got[0].Note) != maxNote || !strings.HasSuffix(got[0].Note, "...") {
		t.Fatalf("note of %d bytes, want %d ending in ...", len(got[0].Note), maxNote)
	}
}

func TestStartWritesAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, cs, _ := newTestRecorder(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Start(ctx) }()
		r.Eventf(pod("web"), nil, corev1.EventTypeNormal, "Promoted", "Promote", "Promoted")
		synctest.Wait()
		if n := len(listEvents(t, cs)); n != 1 {
			t.Fatalf("%d Events written, want 1", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
