package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Event is an Event about a Rollout, as the detail page lists it.
type Event struct {
	// Type is Normal or Warning.
	Type string `json:"type"`
	// Reason is the Event's reason, such as StepCompleted.
	Reason string `json:"reason"`
	// Message is the Event's note.
	Message string `json:"message"`
	// Time is when the Event last happened.
	Time metav1.Time `json:"time"`
}

// maxEvents is how many Events the detail carries.
const maxEvents = 50

// eventsTimeout bounds the read of Events: the page is still served,
// without them, when they cannot be read.
const eventsTimeout = 5 * time.Second

// rolloutEvents reads the events.k8s.io/v1 Events regarding ro, newest
// first, at most maxEvents. When they cannot be read it logs why and
// returns none: the rest of the page matters more.
func (s *Server) rolloutEvents(ctx context.Context, ro *rampv1alpha1.Rollout) []Event {
	ctx, cancel := context.WithTimeout(ctx, eventsTimeout)
	defer cancel()
	list, err := s.listEvents(ctx, ro)
	if err != nil {
		s.log.Error(err, "Cannot read the events of a rollout", "namespace", ro.Namespace, "rollout", ro.Name)
		return []Event{}
	}
	out := []Event{}
	for i := range list.Items {
		e := &list.Items[i]
		if !regards(e, ro) {
			continue
		}
		out = append(out, Event{Type: e.Type, Reason: e.Reason, Message: e.Note, Time: eventTime(e)})
	}
	slices.SortStableFunc(out, func(a, b Event) int {
		return cmp.Or(b.Time.Compare(a.Time.Time), strings.Compare(a.Reason, b.Reason))
	})
	return out[:min(len(out), maxEvents)]
}

// listEvents lists the Events of ro's namespace that may regard it. It
// asks for those regarding its name only, which the API server (and a
// cache with an index on regarding.name) can answer; a reader that cannot
// select on that field gets asked for the whole namespace.
func (s *Server) listEvents(ctx context.Context, ro *rampv1alpha1.Rollout) (*eventsv1.EventList, error) {
	inNS := []client.ListOption{client.InNamespace(ro.Namespace), client.UnsafeDisableDeepCopy}
	list := &eventsv1.EventList{}
	if err := s.opts.Reader.List(ctx, list, append(inNS, client.MatchingFields{"regarding.name": ro.Name})...); err == nil {
		return list, nil
	}
	list = &eventsv1.EventList{}
	if err := s.opts.Reader.List(ctx, list, inNS...); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return list, nil
}

// regards reports whether e is about ro (and not about an earlier Rollout
// of the same name).
func regards(e *eventsv1.Event, ro *rampv1alpha1.Rollout) bool {
	ref := e.Regarding
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && gv.Group == rampv1alpha1.GroupVersion.Group &&
		ref.Kind == "Rollout" && ref.Name == ro.Name &&
		(ref.UID == "" || ref.UID == ro.UID)
}

// eventTime is when e last happened: the last time of its series, its
// event time, or the older timestamps of core/v1 Events.
func eventTime(e *eventsv1.Event) metav1.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return metav1.NewTime(e.Series.LastObservedTime.Time)
	case !e.EventTime.IsZero():
		return metav1.NewTime(e.EventTime.Time)
	case !e.DeprecatedLastTimestamp.IsZero():
		return e.DeprecatedLastTimestamp
	case !e.DeprecatedFirstTimestamp.IsZero():
		return e.DeprecatedFirstTimestamp
	}
	return e.CreationTimestamp
}
