package rollout

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Labels on the AnalysisRuns a Rollout creates.
const (
	// labelAnalysisKind is step or background.
	labelAnalysisKind = "ramp.dev/analysis-kind"
	// labelAnalysisStep is the index of the step of a step run.
	labelAnalysisStep = "ramp.dev/analysis-step"

	kindStep       = "step"
	kindBackground = "background"
	// kindPrePromotion and kindPostPromotion are a blue-green update's
	// analyses before and after the active Service switches.
	kindPrePromotion  = "prePromotion"
	kindPostPromotion = "postPromotion"
)

// indexRunOwner indexes AnalysisRuns by the name of the Rollout that
// controls them.
const indexRunOwner = "ramp.dev/run-owner"

// runOwnerIndex is the indexer function of indexRunOwner.
func runOwnerIndex(obj client.Object) []string {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != "Rollout" || ref.APIVersion != rampv1alpha1.GroupVersion.String() {
		return nil
	}
	return []string{ref.Name}
}

// loadRuns reads the rollout's AnalysisRuns, newest first.
func (r *Reconciler) loadRuns(ctx context.Context, s *scope) error {
	var list rampv1alpha1.AnalysisRunList
	if err := r.Client.List(ctx, &list, client.InNamespace(s.rollout.Namespace),
		client.MatchingFields{indexRunOwner: s.rollout.Name}); err != nil {
		return fmt.Errorf("list analysis runs: %w", err)
	}
	s.runs = s.runs[:0]
	for i := range list.Items {
		run := &list.Items[i]
		if ref := metav1.GetControllerOf(run); ref != nil && ref.UID == s.rollout.UID {
			s.runs = append(s.runs, run)
		}
	}
	sort.SliceStable(s.runs, func(i, j int) bool { return newerRun(s, s.runs[i], s.runs[j]) })
	return nil
}

// newerRun orders runs newest first: by creation time, and within the same
// second (the precision of creation timestamps) by the revision of their
// version, then by step.
func newerRun(s *scope, a, b *rampv1alpha1.AnalysisRun) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	revision := func(run *rampv1alpha1.AnalysisRun) int64 {
		for _, rs := range s.replicaSets {
			if hashOf(rs) == run.Labels[rampv1alpha1.LabelPodTemplateHash] {
				return revisionOf(rs)
			}
		}
		return 0
	}
	if ra, rb := revision(a), revision(b); ra != rb {
		return ra > rb
	}
	step := func(run *rampv1alpha1.AnalysisRun) int {
		n, err := strconv.Atoi(run.Labels[labelAnalysisStep])
		if err != nil {
			return -1
		}
		return n
	}
	if sa, sb := step(a), step(b); sa != sb {
		return sa > sb
	}
	return a.Name > b.Name
}

// runNamed returns the rollout's run of that name, or nil.
func (s *scope) runNamed(name string) *rampv1alpha1.AnalysisRun {
	if name == "" {
		return nil
	}
	for _, run := range s.runs {
		if run.Name == name {
			return run
		}
	}
	return nil
}

// runFits reports whether run is the analysis of kind (and step) for the
// current version.
func runFits(run *rampv1alpha1.AnalysisRun, hash, kind string, index int32) bool {
	if run == nil || run.Labels[rampv1alpha1.LabelPodTemplateHash] != hash || run.Labels[labelAnalysisKind] != kind {
		return false
	}
	return kind != kindStep || run.Labels[labelAnalysisStep] == strconv.Itoa(int(index))
}

// adoptable reports whether a run found without a record in status can be
// taken up rather than started again: one created just before a crash, or
// whose status write was lost. Runs of earlier attempts are never taken up:
// every run that stops being current is marked terminated (see
// reconcileAnalysisRuns), whatever its phase.
func adoptable(run *rampv1alpha1.AnalysisRun) bool {
	return !run.Spec.Terminate
}

// ensureRun returns the run of kind (and step index) for the current
// version, named in *current, creating it from a when there is none.
func (r *Reconciler) ensureRun(ctx context.Context, s *scope, current *string, kind string, index int32,
	a *rampv1alpha1.RolloutAnalysis, field string) (*rampv1alpha1.AnalysisRun, error) {
	if run := s.runNamed(*current); runFits(run, s.hash, kind, index) {
		return run, nil
	}
	for _, run := range s.runs {
		if runFits(run, s.hash, kind, index) && adoptable(run) {
			*current = run.Name
			return run, nil
		}
	}
	run, err := r.buildRun(ctx, s, kind, index, a, field)
	if err != nil {
		return nil, err
	}
	if err := r.Client.Create(ctx, run); err != nil {
		return nil, fmt.Errorf("create analysis run %s: %w", run.Name, err)
	}
	s.runs = append([]*rampv1alpha1.AnalysisRun{run}, s.runs...)
	*current = run.Name
	what := "background analysis"
	switch kind {
	case kindStep:
		what = fmt.Sprintf("the analysis of step %d", index+1)
	case kindPrePromotion:
		what = "the pre-promotion analysis"
	case kindPostPromotion:
		what = "the post-promotion analysis"
	}
	s.event(eventNormal, reasonAnalysisStarted, "Analyze", "Started AnalysisRun %s for %s of revision %s", run.Name, what, s.hash)
	return run, nil
}

// runName picks a free name: <rollout>-<hash>-<step> (or -background), with
// -2, -3… for later attempts at the same step.
func runName(s *scope, kind string, index int32) string {
	base := fmt.Sprintf("%s-%s-%d", s.rollout.Name, s.hash, index)
	switch kind {
	case kindBackground:
		base = fmt.Sprintf("%s-%s-background", s.rollout.Name, s.hash)
	case kindPrePromotion:
		base = fmt.Sprintf("%s-%s-pre", s.rollout.Name, s.hash)
	case kindPostPromotion:
		base = fmt.Sprintf("%s-%s-post", s.rollout.Name, s.hash)
	}
	name := base
	for n := 2; s.runNamed(name) != nil; n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	return name
}

// analysisAbortPrefix starts status.abortedBy when an analysis aborted the
// update.
const analysisAbortPrefix = "analysis run "

// abortForRun aborts the update because of a run that failed, with the
// run's own explanation.
func abortForRun(s *scope, run *rampv1alpha1.AnalysisRun) {
	if s.rollout.Status.Abort {
		return
	}
	s.events = append(s.events, event{trigger: rampv1alpha1.TriggerAnalysisFailed,
		note: fmt.Sprintf("Analysis run %s ended %s: %s", run.Name, run.Status.Phase, run.Status.Message)})
	abortUpdate(s, fmt.Sprintf("%s%s (%s): %s", analysisAbortPrefix, run.Name, run.Status.Phase, run.Status.Message))
}

// stepAnalysis starts or reads the analysis of a step. A failed or errored
// run aborts the update.
func (r *Reconciler) stepAnalysis(ctx context.Context, s *scope, index int32, a *rampv1alpha1.RolloutAnalysis) (rampv1alpha1.AnalysisPhase, error) {
	st := &s.rollout.Status
	field := fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", index)
	run, err := r.ensureRun(ctx, s, &st.Canary.CurrentStepAnalysisRun, kindStep, index, a, field)
	if err != nil {
		return "", err
	}
	switch run.Status.Phase {
	case rampv1alpha1.AnalysisPhaseFailed, rampv1alpha1.AnalysisPhaseError:
		abortForRun(s, run)
	}
	return run.Status.Phase, nil
}

// backgroundAnalysis runs strategy.canary.analysis from its starting step
// while the update is in flight. A failed or errored run aborts the update;
// an inconclusive one pauses it until a person promotes, after which a new
// background run starts.
func (r *Reconciler) backgroundAnalysis(ctx context.Context, s *scope, out *stepOutcome) error {
	bg := s.rollout.Spec.Strategy.Canary.Analysis
	st := &s.rollout.Status
	if bg == nil || st.Abort || ptr.Deref(st.CurrentStepIndex, 0) < ptr.Deref(bg.StartingStep, 0) {
		return nil
	}
	run, err := r.ensureRun(ctx, s, &st.Canary.CurrentBackgroundAnalysisRun, kindBackground, 0, &bg.RolloutAnalysis,
		"spec.strategy.canary.analysis")
	if err != nil {
		return err
	}
	switch run.Status.Phase {
	case rampv1alpha1.AnalysisPhaseFailed, rampv1alpha1.AnalysisPhaseError:
		abortForRun(s, run)
	case rampv1alpha1.AnalysisPhaseInconclusive:
		if inconclusivePause(st, ptr.Deref(st.CurrentStepIndex, 0), out) {
			// Promoted past it: measure again with a new run.
			st.Canary.CurrentBackgroundAnalysisRun = ""
		}
	}
	return nil
}

// reconcileAnalysisRuns stops the runs that are no longer wanted (the
// update was promoted, aborted or superseded, or the step moved on) and
// deletes finished runs beyond the history limits. A finished run is marked
// terminated too, so it is never taken for the current attempt's.
func (r *Reconciler) reconcileAnalysisRuns(ctx context.Context, s *scope) error {
	st := &s.rollout.Status
	inFlight := st.StableRS != s.hash && !st.Abort
	current := map[string]bool{}
	if inFlight {
		current[st.Canary.CurrentStepAnalysisRun] = true
		current[st.Canary.CurrentBackgroundAnalysisRun] = true
		current[st.BlueGreen.PrePromotionAnalysisRun] = true
		current[st.BlueGreen.PostPromotionAnalysisRun] = true
	}
	for _, run := range s.runs {
		if run.Spec.Terminate || current[run.Name] {
			continue
		}
		patch := []byte(`{"spec":{"terminate":true}}`)
		if err := r.Client.Patch(ctx, run, client.RawPatch(types.MergePatchType, patch)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("stop analysis run %s: %w", run.Name, err)
		}
	}
	return r.pruneRuns(ctx, s, current)
}

// pruneRuns deletes finished runs beyond successfulRunHistoryLimit and
// unsuccessfulRunHistoryLimit, oldest first.
func (r *Reconciler) pruneRuns(ctx context.Context, s *scope, current map[string]bool) error {
	okLimit, badLimit := rampv1alpha1.DefaultRunHistoryLimit, rampv1alpha1.DefaultRunHistoryLimit
	if h := s.rollout.Spec.Analysis; h != nil {
		okLimit = ptr.Deref(h.SuccessfulRunHistoryLimit, okLimit)
		badLimit = ptr.Deref(h.UnsuccessfulRunHistoryLimit, badLimit)
	}
	var ok, bad int32
	for _, run := range s.runs { // newest first
		if current[run.Name] || !run.Status.Phase.Completed() {
			continue
		}
		keep := false
		if run.Status.Phase == rampv1alpha1.AnalysisPhaseSuccessful {
			ok++
			keep = ok <= okLimit
		} else {
			bad++
			keep = bad <= badLimit
		}
		if keep {
			continue
		}
		if err := r.Client.Delete(ctx, run, client.Preconditions{UID: &run.UID}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old analysis run %s: %w", run.Name, err)
		}
	}
	return nil
}
