package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/profile"
)

// indexTemplates indexes Rollouts by the AnalysisTemplates and
// ClusterAnalysisTemplates they name ("cluster/<name>" for the latter), so a
// template created or edited reconciles the Rollouts that wait for it.
const indexTemplates = "ramp.dev/analysis-templates"

// templatesIndex is the indexer function of indexTemplates.
func templatesIndex(obj client.Object) []string {
	ro, ok := obj.(*rampv1alpha1.Rollout)
	if !ok {
		return nil
	}
	// The templates of the strategy the current revision runs with, its
	// profile's included.
	strategy := profile.Of(ro)
	var keys []string
	add := func(a *rampv1alpha1.RolloutAnalysis) {
		if a == nil {
			return
		}
		for _, t := range a.Templates {
			keys = append(keys, templateKey(t))
		}
	}
	if c := strategy.Canary; c != nil {
		for i := range c.Steps {
			add(c.Steps[i].Analysis)
		}
		if c.Analysis != nil {
			add(&c.Analysis.RolloutAnalysis)
		}
	}
	if bg := strategy.BlueGreen; bg != nil {
		add(bg.PrePromotionAnalysis)
		add(bg.PostPromotionAnalysis)
	}
	return keys
}

func templateKey(t rampv1alpha1.AnalysisTemplateRef) string {
	if t.ClusterScope {
		return "cluster/" + t.TemplateName
	}
	return t.TemplateName
}

// buildRun makes the AnalysisRun of an analysis: the templates' metrics
// merged, the arguments resolved (Secret references stay references), owned
// by the rollout and labeled so the controller of the same instance runs
// it. Problems that a person must fix stall the rollout, naming field.
func (r *Reconciler) buildRun(ctx context.Context, s *scope, kind string, index int32, a *rampv1alpha1.RolloutAnalysis, field string) (*rampv1alpha1.AnalysisRun, error) {
	ro := s.rollout
	spec := rampv1alpha1.AnalysisRunSpec{}
	metricFrom := map[string]string{}
	var templateArgs []rampv1alpha1.Argument
	for i, ref := range a.Templates {
		if ref.ClusterScope && r.Namespace != "" {
			return nil, stall(s, "%s.templates[%d]: ClusterAnalysisTemplate %q cannot be used: this controller watches only "+
				"namespace %q (--namespace) and reads nothing cluster-scoped; copy the template into an AnalysisTemplate "+
				"in %q and drop clusterScope", field, i, ref.TemplateName, r.Namespace, ro.Namespace)
		}
		tmpl, err := r.template(ctx, ro.Namespace, ref)
		if apierrors.IsNotFound(err) {
			what := "AnalysisTemplate"
			if ref.ClusterScope {
				what = "ClusterAnalysisTemplate"
			}
			return nil, stall(s, "%s.templates[%d]: %s %q not found", field, i, what, ref.TemplateName)
		}
		if err != nil {
			return nil, err
		}
		for _, m := range tmpl.Metrics {
			if other, dup := metricFrom[m.Name]; dup {
				return nil, stall(s, "%s.templates: metric %q is defined by both %q and %q; rename one", field, m.Name, other, ref.TemplateName)
			}
			metricFrom[m.Name] = ref.TemplateName
			spec.Metrics = append(spec.Metrics, *m.DeepCopy())
		}
		templateArgs = mergeArgs(templateArgs, tmpl.Args)
		spec.DryRun = append(spec.DryRun, tmpl.DryRun...)
		spec.MeasurementRetention = append(spec.MeasurementRetention, tmpl.MeasurementRetention...)
	}
	// The profile's default args fill the arguments these templates
	// declare; the others are for other templates of the profile.
	var defaults []rampv1alpha1.AnalysisRunArgument
	if p := ro.Status.Profile; p != nil {
		for _, d := range p.Args {
			if hasArg(templateArgs, d.Name) {
				defaults = append(defaults, d)
			}
		}
	}
	args, err := resolveArgs(s, templateArgs, profile.Args(defaults, a.Args), field)
	if err != nil {
		return nil, err
	}
	spec.Args = args
	spec.DryRun = mergeByMetric(spec.DryRun, a.DryRun, func(d rampv1alpha1.DryRun) string { return d.MetricName })
	spec.MeasurementRetention = mergeByMetric(spec.MeasurementRetention, a.MeasurementRetention,
		func(m rampv1alpha1.MeasurementRetention) string { return m.MetricName })

	labels := map[string]string{
		rampv1alpha1.LabelRollout:         ro.Name,
		rampv1alpha1.LabelPodTemplateHash: s.hash,
		labelAnalysisKind:                 kind,
	}
	if kind == kindStep {
		labels[labelAnalysisStep] = strconv.Itoa(int(index))
	}
	if id, ok := ro.Labels[rampv1alpha1.LabelInstanceID]; ok {
		labels[rampv1alpha1.LabelInstanceID] = id
	}
	// The versions a judge compares the canary with.
	annotations := map[string]string{}
	if stable := ro.Status.StableRS; stable != "" && stable != s.hash {
		annotations[rampv1alpha1.AnnotationStablePodTemplateHash] = stable
		if wantsBaseline(ro) {
			annotations[rampv1alpha1.AnnotationBaselinePodTemplateHash] = baselineHash(stable)
		}
	}
	return &rampv1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:            runName(s, kind, index),
			Namespace:       ro.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, rampv1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: spec,
	}, nil
}

// template reads a namespaced or cluster template's spec.
func (r *Reconciler) template(ctx context.Context, ns string, ref rampv1alpha1.AnalysisTemplateRef) (*rampv1alpha1.AnalysisTemplateSpec, error) {
	if ref.ClusterScope {
		t := &rampv1alpha1.ClusterAnalysisTemplate{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: ref.TemplateName}, t); err != nil {
			return nil, err
		}
		return &t.Spec, nil
	}
	t := &rampv1alpha1.AnalysisTemplate{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.TemplateName}, t); err != nil {
		return nil, err
	}
	return &t.Spec, nil
}

// mergeArgs adds the arguments of more not yet in args.
func mergeArgs(args, more []rampv1alpha1.Argument) []rampv1alpha1.Argument {
	seen := map[string]bool{}
	for _, a := range args {
		seen[a.Name] = true
	}
	for _, a := range more {
		if !seen[a.Name] {
			args = append(args, *a.DeepCopy())
			seen[a.Name] = true
		}
	}
	return args
}

// mergeByMetric lists the items of base, replaced or added to by those of
// over with the same metric name.
func mergeByMetric[T any](base, over []T, key func(T) string) []T {
	out := make([]T, 0, len(base)+len(over))
	index := map[string]int{}
	for _, list := range [][]T{base, over} {
		for _, item := range list {
			if i, ok := index[key(item)]; ok {
				out[i] = item
				continue
			}
			index[key(item)] = len(out)
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// resolveArgs gives every template argument its value: the Rollout's
// (value, pod template hash or field), else the template's default, else
// the template's Secret reference, which stays a reference.
func resolveArgs(s *scope, templateArgs []rampv1alpha1.Argument, rolloutArgs []rampv1alpha1.AnalysisRunArgument, field string) ([]rampv1alpha1.Argument, error) {
	given := map[string]rampv1alpha1.AnalysisRunArgument{}
	for i, a := range rolloutArgs {
		if !hasArg(templateArgs, a.Name) {
			return nil, stall(s, "%s.args[%d]: %q is not an argument of the templates", field, i, a.Name)
		}
		given[a.Name] = a
	}
	out := make([]rampv1alpha1.Argument, 0, len(templateArgs))
	for _, t := range templateArgs {
		arg := rampv1alpha1.Argument{Name: t.Name}
		if g, ok := given[t.Name]; ok {
			v, err := rolloutArgValue(s, g)
			if err != nil {
				return nil, stall(s, "%s.args: argument %q: %v", field, t.Name, err)
			}
			arg.Value = &v
		} else {
			switch {
			case t.Value != nil:
				arg.Value = ptr.To(*t.Value)
			case t.ValueFrom != nil && t.ValueFrom.SecretKeyRef != nil:
				arg.ValueFrom = &rampv1alpha1.ValueFrom{SecretKeyRef: t.ValueFrom.SecretKeyRef.DeepCopy()}
			case t.ValueFrom != nil && t.ValueFrom.FieldRef != nil:
				v, err := rolloutField(s.rollout, t.ValueFrom.FieldRef.FieldPath)
				if err != nil {
					return nil, stall(s, "%s: argument %q of the template: %v", field, t.Name, err)
				}
				arg.Value = &v
			default:
				return nil, stall(s, "%s.args: argument %q of the template has no value; pass it in args", field, t.Name)
			}
		}
		out = append(out, arg)
	}
	return out, nil
}

func hasArg(args []rampv1alpha1.Argument, name string) bool {
	for _, a := range args {
		if a.Name == name {
			return true
		}
	}
	return false
}

// rolloutArgValue resolves an argument the Rollout passes.
func rolloutArgValue(s *scope, a rampv1alpha1.AnalysisRunArgument) (string, error) {
	switch {
	case a.Value != nil:
		return *a.Value, nil
	case a.ValueFrom != nil && a.ValueFrom.PodTemplateHashValue != nil:
		if *a.ValueFrom.PodTemplateHashValue == "Stable" {
			return s.rollout.Status.StableRS, nil
		}
		return s.hash, nil
	case a.ValueFrom != nil && a.ValueFrom.FieldRef != nil:
		return rolloutField(s.rollout, a.ValueFrom.FieldRef.FieldPath)
	}
	return "", fmt.Errorf("no value")
}

// mapKeyPath matches metadata.labels['key'] and metadata.annotations['key'].
var mapKeyPath = regexp.MustCompile(`^metadata\.(labels|annotations)\['([^']*)'\]$`)

// rolloutField reads a field of the Rollout, such as metadata.name,
// metadata.labels['app'] or spec.replicas.
func rolloutField(ro *rampv1alpha1.Rollout, path string) (string, error) {
	if m := mapKeyPath.FindStringSubmatch(path); m != nil {
		src := ro.Labels
		if m[1] == "annotations" {
			src = ro.Annotations
		}
		v, ok := src[m[2]]
		if !ok {
			return "", fmt.Errorf("fieldRef %s: the Rollout has no such %s", path, strings.TrimSuffix(m[1], "s"))
		}
		return v, nil
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
	if err != nil {
		return "", err
	}
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", fmt.Errorf("fieldRef %s: %s is not an object", path, part)
		}
		if cur, ok = m[part]; !ok {
			return "", fmt.Errorf("fieldRef %s: the Rollout has no field %s", path, part)
		}
	}
	switch v := cur.(type) {
	case string:
		return v, nil
	case map[string]any, []any:
		raw, err := json.Marshal(v)
		return string(raw), err
	}
	return fmt.Sprint(cur), nil
}
