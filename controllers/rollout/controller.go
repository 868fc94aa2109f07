// Package rollout holds the Rollout reconciler: it manages the ReplicaSets,
// Services, traffic routes and AnalysisRuns of each Rollout and reports its
// state in status.
//
// Reconcile reads everything from the informer cache, builds a scope,
// runs the phase functions in order, and writes status once at the end, as a
// merge patch and only when it changed. The decisions (replica counts, the
// next step, the phase and conditions) are pure functions in replicas.go,
// steps.go and status.go; the phases only apply them.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/gate"
	"github.com/rampdev/ramp/internal/async"
	"github.com/rampdev/ramp/trafficrouting"
)

// Reconciler reconciles Rollouts.
type Reconciler struct {
	// Client reads from the informer cache and writes to the API server.
	Client client.Client
	// Recorder records Events on Rollouts.
	Recorder recorder.EventRecorder
	// Clock tells the time; tests replace it.
	Clock clock.PassiveClock
	// Routers are the kinds of traffic router a Rollout's trafficRouting
	// may ask for (trafficrouting/routers.All in ramp-controller).
	Routers []trafficrouting.Plugin
	// MaxConcurrent is the number of rollouts reconciled at once (never
	// the same one twice at a time); 0 means 10.
	MaxConcurrent int
	// Namespace, when set, is the one namespace this controller watches
	// (--namespace). It then reads nothing cluster-scoped, so a Role in
	// that namespace is all the RBAC it needs: ClusterAnalysisTemplates
	// are neither watched nor read, and a Rollout naming one stalls.
	Namespace string

	// restartDeletions remembers the pods deleted for restarts that the
	// cache may not show as deleted yet.
	restartDeletions restartDeletions
	// written remembers the Rollout versions this controller wrote, so it
	// never acts on an older one from the cache.
	written writtenVersions
	// routes remembers the routes and Services this controller wrote until
	// the cache has them (see routeClient).
	routes writtenRoutes

	// APIReader reads Secrets (gates' header values) from the API server.
	APIReader client.Reader
	// Notifier, when set, sends the notifications of Rollouts' transitions.
	Notifier Notifier

	// gates are the calls to gates' services under way (see gateCalls).
	gatesOnce sync.Once
	gates     *async.Calls[gateKey, gate.Answer]
}

// +kubebuilder:rbac:groups=ramp.dev,resources=rollouts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ramp.dev,resources=rollouts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ramp.dev,resources=rollouts/finalizers,verbs=update
// +kubebuilder:rbac:groups=ramp.dev,resources=rolloutprofiles;clusterrolloutprofiles,verbs=get;list;watch
// +kubebuilder:rbac:groups=ramp.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=ramp.dev,resources=analysisruns,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// scope is everything one reconcile of one Rollout works with. Fields are
// set by newScope unless their comment says otherwise.
type scope struct {
	// rollout is the Rollout; phases change its status in place.
	rollout *rampv1alpha1.Rollout
	// now is the time of this reconcile.
	now time.Time
	// template is the pod template of the current version (spec.template,
	// or the referenced workload's). Set by resolveSpec.
	template *corev1.PodTemplateSpec
	// selector selects the rollout's pods. Set by resolveSpec.
	selector labels.Selector
	// workload is the Deployment of spec.workloadRef, if any. Set by resolveSpec.
	workload *appsv1.Deployment
	// hash is the pod template hash of the current version. Set by resolveSpec.
	hash string
	// replicas is spec.replicas with its default.
	replicas int32
	// surge and unavailable are maxSurge and maxUnavailable as counts.
	// Set by resolveSpec.
	surge, unavailable int32
	// replicaSets are the rollout's ReplicaSets, newest revision first.
	// Set by loadReplicaSets.
	replicaSets []*appsv1.ReplicaSet
	// newRS is the ReplicaSet of the current version, once it exists.
	// Set by loadReplicaSets and reconcileNewReplicaSet.
	newRS *appsv1.ReplicaSet
	// baselines are the rollout's baseline ReplicaSets (see
	// reconcileBaseline), kept out of replicaSets. Set by loadReplicaSets.
	baselines []*appsv1.ReplicaSet
	// stableRS is the ReplicaSet of the stable version, nil before the
	// first revision is stable. Set by loadReplicaSets.
	stableRS *appsv1.ReplicaSet
	// requeueAfter is the earliest timed wake-up asked for by a phase
	// (pause durations, deadlines); zero for none.
	requeueAfter time.Duration
	// events are recorded once status is written.
	events []event
	// stalled, when set, says why the spec cannot be carried out.
	stalled *stallReason
	// inline is spec.strategy as the Rollout writes it, when a profile
	// made rollout.Spec.Strategy the effective strategy. Set by
	// resolveProfile; finishStatus writes status against it.
	inline *rampv1alpha1.RolloutStrategy
	// denied, when set, is the API server's refusal of a request this
	// reconcile made: the controller's RBAC lacks a permission. Set by
	// finishStatus.
	denied string
	// loaded is true once loadReplicaSets ran, so pod counts are known.
	loaded bool
	// runs are the rollout's AnalysisRuns, newest first. Set by loadRuns.
	runs []*rampv1alpha1.AnalysisRun
	// routers move the canary's traffic; empty without trafficRouting. Set
	// by reconcileStrategy.
	routers []trafficrouting.Router
	// routeConfig is what the routers were built with. Set with routers.
	routeConfig trafficrouting.Config
}

// stallReason is why a rollout is Stalled.
type stallReason struct {
	reason, message string
}

// requeueAt asks for a reconcile at t, keeping the earliest ask.
func (s *scope) requeueAt(t time.Time) {
	d := t.Sub(s.now)
	if d <= 0 {
		d = time.Second
	}
	if s.requeueAfter == 0 || d < s.requeueAfter {
		s.requeueAfter = d
	}
}

// staleRetry is when a reconcile that found a route changed since the
// cache had it runs again, if the route's watch event has not made it run
// already.
const staleRetry = time.Second

// errStalled ends a reconcile when the spec cannot be carried out until a
// person changes it; status already says why.
var errStalled = errors.New("stalled")

// phase is one step of a reconcile.
type phase func(ctx context.Context, s *scope) error

// Reconcile brings one Rollout towards its spec and records what it saw in
// status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	ro := &rampv1alpha1.Rollout{}
	if err := r.Client.Get(ctx, req.NamespacedName, ro); err != nil {
		if apierrors.IsNotFound(err) {
			forgetMetrics(req.NamespacedName)
			r.written.forget(req.NamespacedName)
			r.stopGates(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get rollout: %w", err)
	}
	if !ro.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	if r.written.stale(req.NamespacedName, ro.ResourceVersion) {
		// The cache has not caught up with this controller's last write;
		// its watch event reconciles again (the requeue is a safety net).
		return ctrl.Result{RequeueAfter: staleRetry}, nil
	}
	before := ro.DeepCopy()
	s := &scope{rollout: ro, now: r.now()}

	defer func() {
		if err := r.finishStatus(ctx, s, before, retErr); err != nil {
			retErr = errors.Join(retErr, err)
		}
		recordMetrics(ro)
		if errors.Is(retErr, trafficrouting.ErrStale) {
			// A route changed since the cache had it (often by this
			// controller's last write): its watch event reconciles
			// again; the requeue is a safety net.
			retErr = nil
			result = ctrl.Result{RequeueAfter: staleRetry}
			return
		}
		if retErr != nil && !errors.Is(retErr, errStalled) {
			countError(req.NamespacedName)
		}
		if errors.Is(retErr, errStalled) {
			retErr = nil
			result = ctrl.Result{}
			return
		}
		if retErr == nil && s.requeueAfter > 0 {
			result = ctrl.Result{RequeueAfter: s.requeueAfter}
		}
	}()

	for _, p := range []phase{
		r.resolveSpec,
		r.loadReplicaSets,
		r.loadRuns,
		r.syncRevision,
		r.reconcileNewReplicaSet,
		r.reconcileStrategy,
		r.reconcileBaseline,
		r.reconcileAnalysisRuns,
		r.reconcileServices,
		r.reconcilePodMetadata,
		r.reconcileRestart,
		r.reconcileWorkloadScaleDown,
		r.cleanupReplicaSets,
	} {
		if err := p(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

func (r *Reconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

// finishStatus computes the status fields derived from the observed state,
// writes status if it changed, and records the events of this reconcile.
func (r *Reconciler) finishStatus(ctx context.Context, s *scope, before *rampv1alpha1.Rollout, reconcileErr error) error {
	ro := s.rollout
	switch {
	case errors.Is(reconcileErr, trafficrouting.ErrStale):
		ctrl.LoggerFrom(ctx).V(1).Info("A route changed since it was read; reconciling again", "reason", reconcileErr.Error())
	case reconcileErr != nil && !errors.Is(reconcileErr, errStalled):
		// Keep what was decided, but do not claim the generation was
		// handled: the next try will.
		ctrl.LoggerFrom(ctx).Error(reconcileErr, "Reconcile failed")
		if msg, ok := permissionDenied(reconcileErr); ok {
			s.denied = msg
			s.event(eventWarning, reasonPermissionDenied, "Reconcile", "%s", msg)
		}
	default:
		ro.Status.ObservedGeneration = ro.Generation
	}
	computeStatus(s, &before.Status)
	if !equality.Semantic.DeepEqual(before.Status, ro.Status) {
		patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
		if err := r.patchStatus(ctx, s, patch); err != nil {
			if msg, ok := permissionDenied(err); ok {
				s.event(eventWarning, reasonPermissionDenied, "Reconcile", "%s", msg)
			}
			r.emit(s, true)
			if apierrors.IsConflict(err) {
				// The rollout changed under us; its new version is queued.
				return nil
			}
			return fmt.Errorf("patch rollout status: %w", err)
		}
		r.written.record(client.ObjectKeyFromObject(ro), ro.ResourceVersion)
	}
	r.recordEvents(s, &before.Status)
	return nil
}

// patchStatus writes the rollout's status with patch. The patch is made
// against spec.strategy as the Rollout writes it, so that the effective
// strategy a profile gave (see resolveProfile) stays in memory.
func (r *Reconciler) patchStatus(ctx context.Context, s *scope, patch client.Patch) error {
	ro := s.rollout
	if s.inline != nil {
		effective := ro.Spec.Strategy
		ro.Spec.Strategy = *s.inline
		defer func() { ro.Spec.Strategy = effective }()
	}
	return r.Client.Status().Patch(ctx, ro, patch)
}

// permissionDenied tells whether err is, or wraps, the API server's
// Forbidden answer, and if so says so in words that name the request the
// controller's RBAC does not allow (the API server's message names the
// verb, the resource and the namespace) and what to do about it.
func permissionDenied(err error) (string, bool) {
	var status apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &status) {
		return "", false
	}
	return fmt.Sprintf("The controller is not allowed to do its work: %s. Grant this permission to the controller's "+
		"ServiceAccount (the ClusterRole or Role of the ramp chart has it); the controller retries with back-off",
		status.Status().Message), true
}

// stall marks the rollout Stalled (reason InvalidSpec) with a message naming
// the field, and ends the reconcile without a retry: the next change to the
// spec, or to what it refers to, reconciles again.
func stall(s *scope, format string, args ...any) error {
	return stallWith(s, rampv1alpha1.ReasonInvalidSpec, format, args...)
}

// stallWith is stall with another reason, such as RouteError.
func stallWith(s *scope, reason, format string, args ...any) error {
	s.stalled = &stallReason{reason: reason, message: fmt.Sprintf(format, args...)}
	return fmt.Errorf("%w: %s", errStalled, s.stalled.message)
}

var _ reconcile.Reconciler = &Reconciler{}
