package dashboard

import (
	"context"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// EventsDirect returns a Reader for Options.Reader that reads Events with
// direct (from the API server: one list per rollout page opened) and
// everything else with cached (the informer cache): a cache of every
// Event of the cluster would cost far more memory than it saves requests.
func EventsDirect(cached, direct client.Reader) client.Reader {
	return listDirect{Reader: cached, direct: direct, kinds: []client.ObjectList{&eventsv1.EventList{}}}
}

// EventsAndRunsDirect is EventsDirect that also reads AnalysisRuns
// directly: for the controller's cache, which keeps finished runs without
// their measurements (see internal/manager.CacheOptions), while the
// rollout page shows them whole.
func EventsAndRunsDirect(cached, direct client.Reader) client.Reader {
	return listDirect{Reader: cached, direct: direct, kinds: []client.ObjectList{&eventsv1.EventList{}, &rampv1alpha1.AnalysisRunList{}}}
}

// listDirect lists kinds with direct, the rest with the embedded Reader.
type listDirect struct {
	client.Reader
	direct client.Reader
	kinds  []client.ObjectList
}

// List lists the direct kinds directly, the rest from the cache.
func (r listDirect) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	for _, k := range r.kinds {
		if reflect.TypeOf(k) == reflect.TypeOf(list) {
			return r.direct.List(ctx, list, opts...)
		}
	}
	return r.Reader.List(ctx, list, opts...)
}

// CacheByObject limits an informer cache for the dashboard to Ramp's
// ReplicaSets and pods (those with the pod template hash label): a
// dashboard on a laptop would otherwise hold every pod of the cluster.
func CacheByObject() (map[client.Object]cache.ByObject, error) {
	managed, err := labels.Parse(rampv1alpha1.LabelPodTemplateHash)
	if err != nil {
		return nil, fmt.Errorf("selector of Ramp's pods: %w", err)
	}
	return map[client.Object]cache.ByObject{
		&appsv1.ReplicaSet{}: {Label: managed},
		&corev1.Pod{}:        {Label: managed},
	}, nil
}
