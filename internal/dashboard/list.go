package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// RolloutList is the body of GET /api/v1/rollouts.
type RolloutList struct {
	// Items are the Rollouts that pass the filters, sorted by namespace
	// then name.
	Items []RolloutSummary `json:"items"`
}

// listRollouts serves GET /api/v1/rollouts?namespace=NS&q=TEXT&phase=PHASE:
// the Rollouts of one namespace (or all), whose name, namespace or an
// image contains TEXT (ignoring case), in phase PHASE.
func (s *Server) listRollouts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ns, text, phase := q.Get("namespace"), strings.ToLower(strings.TrimSpace(q.Get("q"))), strings.TrimSpace(q.Get("phase"))
	// The objects are only read, so the cache need not copy them.
	opts := []client.ListOption{client.UnsafeDisableDeepCopy}
	if ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	var rollouts rampv1alpha1.RolloutList
	if err := s.opts.Reader.List(r.Context(), &rollouts, opts...); err != nil {
		s.serverError(w, fmt.Errorf("read rollouts: %w", err))
		return
	}
	replicaSets, err := s.listReplicaSets(r.Context(), opts...)
	if err != nil {
		s.serverError(w, err)
		return
	}
	owned := groupByRollout(replicaSets)
	items := []RolloutSummary{}
	for i := range rollouts.Items {
		ro := &rollouts.Items[i]
		if phase != "" && !strings.EqualFold(phase, string(ro.Status.Phase)) {
			continue
		}
		sum := summarize(ro, owned[ro.UID])
		if text != "" && !matches(ro, sum, text) {
			continue
		}
		items = append(items, sum)
	}
	slices.SortFunc(items, func(a, b RolloutSummary) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	writeJSON(w, http.StatusOK, RolloutList{Items: items})
}

// matches reports whether the name, the namespace or an image of a
// Rollout contains text, which is in lower case.
func matches(ro *rampv1alpha1.Rollout, sum RolloutSummary, text string) bool {
	has := func(s string) bool { return strings.Contains(strings.ToLower(s), text) }
	if has(ro.Name) || has(ro.Namespace) {
		return true
	}
	if slices.ContainsFunc(sum.Images, func(img Image) bool { return has(img.Image) }) {
		return true
	}
	if t := ro.Spec.Template; t != nil {
		for _, c := range t.Spec.Containers {
			if has(c.Image) {
				return true
			}
		}
	}
	return false
}

// listReplicaSets reads the ReplicaSets Ramp manages: those with its pod
// template hash label.
func (s *Server) listReplicaSets(ctx context.Context, opts ...client.ListOption) ([]appsv1.ReplicaSet, error) {
	var list appsv1.ReplicaSetList
	opts = append(opts, client.MatchingLabelsSelector{Selector: managedSelector()})
	if err := s.opts.Reader.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("read replica sets: %w", err)
	}
	return list.Items, nil
}

// managedSelector selects the ReplicaSets and pods Ramp manages: those
// with its pod template hash label.
func managedSelector() labels.Selector {
	req, err := labels.NewRequirement(rampv1alpha1.LabelPodTemplateHash, selection.Exists, nil)
	if err != nil {
		// The label key is a valid constant: this cannot happen.
		return labels.Nothing()
	}
	return labels.NewSelector().Add(*req)
}

// groupByRollout groups ReplicaSets by the UID of the Rollout that
// controls them, newest revision first.
func groupByRollout(all []appsv1.ReplicaSet) map[types.UID][]*appsv1.ReplicaSet {
	owned := map[types.UID][]*appsv1.ReplicaSet{}
	for i := range all {
		ref := metav1.GetControllerOf(&all[i])
		if !isRolloutRef(ref) || ref.UID == "" {
			continue
		}
		owned[ref.UID] = append(owned[ref.UID], &all[i])
	}
	for _, rss := range owned {
		sortNewestFirst(rss)
	}
	return owned
}
