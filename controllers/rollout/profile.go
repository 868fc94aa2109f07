package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/profile"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// indexProfile indexes Rollouts by the profile their spec names, as
// "<kind>/<name>", so that a profile created or edited reconciles the
// Rollouts that name it.
const indexProfile = "ramp.dev/profile"

// profileIndex is the indexer function of indexProfile.
func profileIndex(obj client.Object) []string {
	ro, ok := obj.(*rampv1alpha1.Rollout)
	if !ok || ro.Spec.Strategy.ProfileRef == nil {
		return nil
	}
	return []string{profileKey(profileKind(ro.Spec.Strategy.ProfileRef), ro.Spec.Strategy.ProfileRef.Name)}
}

func profileKey(kind rampv1alpha1.ProfileKind, name string) string {
	return string(kind) + "/" + name
}

// profileKind is the kind a reference names, with its default.
func profileKind(ref *rampv1alpha1.ProfileReference) rampv1alpha1.ProfileKind {
	if ref.Kind == "" {
		return rampv1alpha1.ProfileKindNamespaced
	}
	return ref.Kind
}

// resolveProfile makes the rollout's strategy the effective one: its
// spec.strategy laid over the strategy of its profile (named in
// spec.strategy.profileRef, or the namespace default). The profile is read
// when a revision starts and recorded in status.profile for that revision,
// which is used until the next one starts, so editing or deleting the
// profile never changes a revision in flight. Problems stall the rollout;
// nothing else runs, so the stable version keeps running.
func (r *Reconciler) resolveProfile(ctx context.Context, s *scope) error {
	ro := s.rollout
	ref, isDefault, err := r.profileRefOf(ctx, s)
	if err != nil || ref == nil {
		if ref == nil && err == nil {
			ro.Status.Profile = nil
		}
		return err
	}
	kind := profileKind(ref)
	rec := ro.Status.Profile
	if rec == nil || rec.Strategy == nil || rec.PodTemplateHash != s.hash || rec.Kind != kind || rec.Name != ref.Name {
		if rec, err = r.readProfile(ctx, s, kind, ref.Name, isDefault); err != nil {
			return err
		}
	}
	eff, err := profile.Effective(ro.Spec.Strategy, rec.Strategy)
	var clash *profile.ClashError
	if errors.As(err, &clash) {
		return stall(s, "%s: %s %q %s", refField(isDefault), kind, ref.Name, clash.Message)
	}
	if err != nil {
		return err
	}
	s.inline = ro.Spec.Strategy.DeepCopy()
	ro.Spec.Strategy = eff
	ro.Status.Profile = rec
	return nil
}

// refField names where a profile came from, for messages.
func refField(isDefault bool) string {
	if isDefault {
		return "the namespace's default profile"
	}
	return "spec.strategy.profileRef"
}

// readProfile reads the profile kind/name for the revision s.hash and
// returns its record; a profile that is missing or out of reach stalls.
func (r *Reconciler) readProfile(ctx context.Context, s *scope, kind rampv1alpha1.ProfileKind, name string, isDefault bool) (*rampv1alpha1.ProfileStatus, error) {
	ro := s.rollout
	var (
		spec *rampv1alpha1.RolloutProfileSpec
		gen  int64
		err  error
	)
	switch kind {
	case rampv1alpha1.ProfileKindCluster:
		if r.Namespace != "" {
			return nil, stallWith(s, rampv1alpha1.ReasonProfileNotFound, "spec.strategy.profileRef: ClusterRolloutProfile %q cannot be used: "+
				"this controller watches only namespace %q (--namespace) and reads nothing cluster-scoped; use a RolloutProfile in %q",
				name, r.Namespace, ro.Namespace)
		}
		p := &rampv1alpha1.ClusterRolloutProfile{}
		err = r.Client.Get(ctx, client.ObjectKey{Name: name}, p)
		spec, gen = &p.Spec.RolloutProfileSpec, p.Generation
	default:
		p := &rampv1alpha1.RolloutProfile{}
		err = r.Client.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: name}, p)
		spec, gen = &p.Spec, p.Generation
	}
	if apierrors.IsNotFound(err) {
		where := fmt.Sprintf(" in namespace %q", ro.Namespace)
		if kind == rampv1alpha1.ProfileKindCluster {
			where = ""
		}
		return nil, stallWith(s, rampv1alpha1.ReasonProfileNotFound, "%s: %s %q not found%s; create it or fix the name (the stable version keeps running)",
			refField(isDefault), kind, name, where)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", kind, name, err)
	}
	return &rampv1alpha1.ProfileStatus{
		Kind: kind, Name: name, Generation: gen, Default: isDefault, PodTemplateHash: s.hash,
		Strategy: spec.Strategy.DeepCopy(), Args: slices.Clone(spec.Args),
	}, nil
}

// profileRefOf is the profile the rollout's strategy comes from: the one
// spec.strategy.profileRef names, or else the ClusterRolloutProfile whose
// namespaceSelector selects the rollout's namespace and whose kind fits
// the inline strategy (isDefault), or none. Two default profiles for one
// rollout stall it.
func (r *Reconciler) profileRefOf(ctx context.Context, s *scope) (ref *rampv1alpha1.ProfileReference, isDefault bool, err error) {
	ro := s.rollout
	if ro.Spec.Strategy.ProfileRef != nil {
		return ro.Spec.Strategy.ProfileRef, false, nil
	}
	if r.Namespace != "" {
		return nil, false, nil
	}
	if rec := ro.Status.Profile; rec != nil && rec.Default && rec.PodTemplateHash == s.hash && rec.Strategy != nil {
		// The revision started with this default: keep it.
		return &rampv1alpha1.ProfileReference{Kind: rec.Kind, Name: rec.Name}, true, nil
	}
	if ro.Status.CurrentPodHash != "" && ro.Status.CurrentPodHash == s.hash {
		// The revision started without a default profile; one created or
		// widened since applies from the next revision.
		return nil, false, nil
	}
	var list rampv1alpha1.ClusterRolloutProfileList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil, false, fmt.Errorf("list cluster rollout profiles: %w", err)
	}
	candidates := profile.DefaultCandidates(ro.Spec.Strategy, list.Items)
	if len(candidates) == 0 {
		return nil, false, nil
	}
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Client.Get(ctx, client.ObjectKey{Name: ro.Namespace}, ns); err != nil {
		return nil, false, fmt.Errorf("get namespace %s: %w", ro.Namespace, err)
	}
	switch defaults := profile.Defaults(candidates, ns.Labels); len(defaults) {
	case 0:
		return nil, false, nil
	case 1:
		return &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindCluster, Name: defaults[0].Name}, true, nil
	default:
		return nil, false, stallWith(s, rampv1alpha1.ReasonInvalidSpec, "spec.strategy.profileRef: namespace %q is selected by the "+
			"default ClusterRolloutProfiles %s; name one in spec.strategy.profileRef, or narrow their namespaceSelectors",
			ro.Namespace, profile.Names(defaults))
	}
}

// rolloutsUsingProfile maps a RolloutProfile to the Rollouts of its
// namespace that name it.
func (r *Reconciler) rolloutsUsingProfile(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.listRollouts(ctx, client.InNamespace(obj.GetNamespace()),
		client.MatchingFields{indexProfile: profileKey(rampv1alpha1.ProfileKindNamespaced, obj.GetName())})
}

// rolloutsUsingClusterProfile maps a ClusterRolloutProfile to the Rollouts
// that name it, and, when it is a namespace default, to the Rollouts that
// name none.
func (r *Reconciler) rolloutsUsingClusterProfile(ctx context.Context, obj client.Object) []reconcile.Request {
	reqs := r.listRollouts(ctx, client.MatchingFields{indexProfile: profileKey(rampv1alpha1.ProfileKindCluster, obj.GetName())})
	if p, ok := obj.(*rampv1alpha1.ClusterRolloutProfile); ok && p.Spec.NamespaceSelector != nil {
		for _, req := range r.listRollouts(ctx) {
			ro := &rampv1alpha1.Rollout{}
			if err := r.Client.Get(ctx, req.NamespacedName, ro); err == nil && ro.Spec.Strategy.ProfileRef == nil {
				reqs = append(reqs, req)
			}
		}
	}
	return reqs
}
