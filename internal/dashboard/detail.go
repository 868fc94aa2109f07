package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// RolloutDetail is the body of GET /api/v1/namespaces/{ns}/rollouts/{name}.
type RolloutDetail struct {
	// Rollout is the Rollout object, without managed fields.
	Rollout *rampv1alpha1.Rollout `json:"rollout"`
	// Summary sums the Rollout up as the list does.
	Summary RolloutSummary `json:"summary"`
	// Steps are the canary steps as a timeline; empty for blue-green.
	Steps []Step `json:"steps"`
	// Revisions are the Rollout's ReplicaSets with their pods, newest
	// revision first.
	Revisions []Revision `json:"revisions"`
	// AnalysisRuns are the Rollout's AnalysisRuns, newest first, whole:
	// a judge metric's result carries its latest verdict
	// (status.metricResults[].verdict), which the rollout page explains.
	AnalysisRuns []rampv1alpha1.AnalysisRun `json:"analysisRuns"`
	// Events are the Events about the Rollout, newest first, at most 50.
	Events []Event `json:"events"`
}

// Revision is one revision of a Rollout: its ReplicaSet and pods.
type Revision struct {
	// Revision is the revision number (the ramp.dev/revision annotation);
	// 0 when unknown.
	Revision int64 `json:"revision"`
	// Hash is the revision's pod template hash.
	Hash string `json:"hash"`
	// Role is stable, canary, active, preview or old.
	Role string `json:"role"`
	// ReplicaSet is the revision's ReplicaSet, without managed fields.
	ReplicaSet *appsv1.ReplicaSet `json:"replicaSet"`
	// Pods are the ReplicaSet's pods, by name.
	Pods []corev1.Pod `json:"pods"`
}

// Kinds set on the objects the detail carries, so that each reads as
// kubectl get -o json prints it.
var (
	kindRollout     = rampv1alpha1.GroupVersion.WithKind("Rollout")
	kindAnalysisRun = rampv1alpha1.GroupVersion.WithKind("AnalysisRun")
	kindReplicaSet  = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	kindPod         = corev1.SchemeGroupVersion.WithKind("Pod")
)

// getRollout serves GET /api/v1/namespaces/{namespace}/rollouts/{name}.
func (s *Server) getRollout(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	ro := &rampv1alpha1.Rollout{}
	err := s.opts.Reader.Get(r.Context(), client.ObjectKey{Namespace: ns, Name: name}, ro)
	if apierrors.IsNotFound(err) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("rollout %q not found in namespace %q", name, ns))
		return
	}
	if err != nil {
		s.serverError(w, fmt.Errorf("read rollout %q: %w", name, err))
		return
	}
	detail, err := s.detailOf(r.Context(), ro)
	if err != nil {
		s.serverError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, detail)
}

// detailOf reads what the detail page shows with ro.
func (s *Server) detailOf(ctx context.Context, ro *rampv1alpha1.Rollout) (*RolloutDetail, error) {
	// Lists are not copied by the cache; only what is kept is copied.
	inNS := []client.ListOption{client.InNamespace(ro.Namespace), client.UnsafeDisableDeepCopy}
	all, err := s.listReplicaSets(ctx, inNS...)
	if err != nil {
		return nil, err
	}
	own := groupByRollout(all)[ro.UID]
	for i, rs := range own {
		own[i] = rs.DeepCopy()
	}
	var pods corev1.PodList
	if err := s.opts.Reader.List(ctx, &pods, append(inNS, client.MatchingLabelsSelector{Selector: managedSelector()})...); err != nil {
		return nil, fmt.Errorf("read pods: %w", err)
	}
	var runs rampv1alpha1.AnalysisRunList
	if err := s.opts.Reader.List(ctx, &runs, append(inNS, client.MatchingLabels{rampv1alpha1.LabelRollout: ro.Name})...); err != nil {
		return nil, fmt.Errorf("read analysis runs: %w", err)
	}
	setKind(ro, kindRollout)
	return &RolloutDetail{
		Rollout:      ro,
		Summary:      summarize(ro, own),
		Steps:        stepsOf(ro),
		Revisions:    revisionsOf(ro, own, pods.Items),
		AnalysisRuns: runsOf(ro, runs.Items),
		Events:       s.rolloutEvents(ctx, ro),
	}, nil
}

// revisionsOf pairs ro's ReplicaSets (newest first) with their pods.
func revisionsOf(ro *rampv1alpha1.Rollout, own []*appsv1.ReplicaSet, pods []corev1.Pod) []Revision {
	byRS := map[types.UID][]corev1.Pod{}
	for i := range pods {
		if ref := metav1.GetControllerOf(&pods[i]); ref != nil && ref.Kind == "ReplicaSet" {
			byRS[ref.UID] = append(byRS[ref.UID], pods[i])
		}
	}
	revs := make([]Revision, 0, len(own))
	for _, rs := range own {
		rsPods := make([]corev1.Pod, 0, len(byRS[rs.UID]))
		for i := range byRS[rs.UID] {
			pod := byRS[rs.UID][i].DeepCopy()
			setKind(pod, kindPod)
			rsPods = append(rsPods, *pod)
		}
		slices.SortFunc(rsPods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
		setKind(rs, kindReplicaSet)
		hash := hashOf(rs)
		revs = append(revs, Revision{Revision: revisionOf(rs), Hash: hash, Role: roleOf(ro, hash), ReplicaSet: rs, Pods: rsPods})
	}
	return revs
}

// runsOf picks ro's AnalysisRuns from runs labeled with its name (those
// another Rollout of the same name controlled are left out), newest
// first.
func runsOf(ro *rampv1alpha1.Rollout, runs []rampv1alpha1.AnalysisRun) []rampv1alpha1.AnalysisRun {
	out := []rampv1alpha1.AnalysisRun{}
	for i := range runs {
		if ref := metav1.GetControllerOf(&runs[i]); ref != nil && ref.UID != ro.UID {
			continue
		}
		run := runs[i].DeepCopy()
		setKind(run, kindAnalysisRun)
		out = append(out, *run)
	}
	slices.SortFunc(out, func(a, b rampv1alpha1.AnalysisRun) int {
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), strings.Compare(b.Name, a.Name))
	})
	return out
}

// setKind sets obj's apiVersion and kind, and drops its managed fields,
// which say nothing to people.
func setKind(obj client.Object, gvk schema.GroupVersionKind) {
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	obj.SetManagedFields(nil)
}
