package framework

import (
	"fmt"
	"slices"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// These helpers read Events of the events.k8s.io API, the one Ramp's
// controller records with.

// eventsAbout returns the Events of evs about obj: regarding its kind and
// name and, when obj has a UID, that UID (so that an object deleted and
// created again under its name does not inherit the old one's Events);
// with reason, only those of that reason.
func eventsAbout(k8s client.Client, evs []eventsv1.Event, obj client.Object, reason string) []eventsv1.Event {
	kind := kindOf(k8s, obj)
	var out []eventsv1.Event
	for _, e := range evs {
		r := e.Regarding
		if r.Kind == kind && r.Name == obj.GetName() && (obj.GetUID() == "" || r.UID == obj.GetUID()) &&
			(reason == "" || e.Reason == reason) {
			out = append(out, e)
		}
	}
	return out
}

// ListEvents lists the Events about obj now: those of obj's namespace
// regarding its kind and name and, when obj has a UID, that UID. With a
// reason, it returns only the Events of that reason.
func ListEvents(t testing.TB, k8s client.Client, obj client.Object, reason string) []eventsv1.Event {
	t.Helper()
	list := List(t, k8s, &eventsv1.EventList{}, client.InNamespace(obj.GetNamespace()))
	return eventsAbout(k8s, list.Items, obj, reason)
}

// WaitEvents waits until cond holds for the Events about obj (picked as
// ListEvents does; reason "" for every reason), listing them again at
// every change to the Events of the namespace, and returns the Events cond
// accepted. cond also describes what it saw, for the failure message.
func WaitEvents(t testing.TB, w client.WithWatch, obj client.Object, reason string, timeout time.Duration, what string,
	cond func([]eventsv1.Event) (bool, string)) []eventsv1.Event {
	t.Helper()
	list := WaitList(t, w, obj.GetNamespace(), timeout, what, func(l *eventsv1.EventList) (bool, string) {
		return cond(eventsAbout(w, l.Items, obj, reason))
	})
	return eventsAbout(w, list.Items, obj, reason)
}

// WaitEventReasons waits until Events of every one of reasons have been
// recorded about obj (picked as ListEvents does).
func WaitEventReasons(t testing.TB, w client.WithWatch, obj client.Object, timeout time.Duration, reasons ...string) {
	t.Helper()
	what := fmt.Sprintf("Events with reasons %v on %s %s", reasons, kindOf(w, obj), obj.GetName())
	WaitEvents(t, w, obj, "", timeout, what, func(evs []eventsv1.Event) (bool, string) {
		seen := map[string]bool{}
		for _, e := range evs {
			seen[e.Reason] = true
		}
		var missing []string
		for _, r := range reasons {
			if !seen[r] {
				missing = append(missing, r)
			}
		}
		recorded := make([]string, 0, len(seen))
		for r := range seen {
			recorded = append(recorded, r)
		}
		slices.Sort(recorded)
		return len(missing) == 0, fmt.Sprintf("no Event with reason %v; reasons recorded: %v", missing, recorded)
	})
}
