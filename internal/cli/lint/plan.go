package lint

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/profile"
)

// plan is the strategy a Rollout runs (its own merged over its profile's),
// or a profile's alone, with where each part of it is written.
type plan struct {
	// owner is the Rollout or profile being checked.
	owner *document
	// rollout is true when owner is a Rollout: only then are Services,
	// routes and routers checked.
	rollout bool
	// namespace is where namespaced templates are looked up; empty for a
	// ClusterRolloutProfile checked alone, whose namespaced templates are
	// checked with each Rollout that uses it.
	namespace string
	// own is owner's spec.strategy as written (pruned and defaulted).
	own map[string]any
	// profile is the profile owner names, when found.
	profile *profileSource
	// strategy is the merged strategy.
	strategy rampv1alpha1.RolloutStrategy
	// profileArgs are the names of the profile's default arguments.
	profileArgs map[string]bool
}

// profileSource is the profile a Rollout names.
type profileSource struct {
	gvk    schema.GroupVersionKind
	name   string
	object *object
	// strategy is the profile's spec.strategy.
	strategy map[string]any
}

// site is where a part of a plan is written: a path in a document, or in
// an object of the cluster, whose findings go to the Rollout field that
// names it.
type site struct {
	doc  *document
	path string
	// via names the cluster object the path is in; empty for a document.
	via string
	// anchor and anchorPath are where findings about a cluster object go.
	anchor     *document
	anchorPath string
}

// report records a finding at s, unless the API server already complains
// about that field.
func (l *linter) report(s site, sev Severity, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s.doc == nil {
		l.add(s.anchor.finding(sev, s.anchorPath, fmt.Sprintf("%s, %s: %s", s.via, s.path, msg)))
		return
	}
	if s.doc.apiFields[s.path] {
		return
	}
	l.add(s.doc.finding(sev, s.path, msg))
}

// site returns where the strategy field at rel (relative to
// spec.strategy, such as canary.steps[2].setWeight) is written: in the
// owner when it writes the deepest part of rel, else in the profile.
func (p *plan) site(rel string) site {
	path := "spec.strategy." + rel
	own := writtenDepth(p.own, rel)
	if p.profile == nil || own >= writtenDepth(p.profile.strategy, rel) {
		return site{doc: p.owner, path: path}
	}
	if d := p.profile.object.doc; d != nil {
		return site{doc: d, path: path}
	}
	return site{path: path, via: fmt.Sprintf("%s %q (in the cluster)", p.profile.gvk.Kind, p.profile.name),
		anchor: p.owner, anchorPath: "spec.strategy.profileRef"}
}

// ownerSite is a path in the owner itself.
func (p *plan) ownerSite(path string) site { return site{doc: p.owner, path: path} }

// writtenDepth is how many steps of the path rel are written in v.
func writtenDepth(v any, rel string) int {
	n := 0
	for _, step := range splitPath(rel) {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[step]
			if !ok {
				return n
			}
			v = next
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(c) {
				return n
			}
			v = c[i]
		default:
			return n
		}
		n++
	}
	return n
}

// newPlan builds the plan of a Rollout or profile document. ok is false
// when the document does not decode (the schema findings say why).
func (l *linter) newPlan(d *document) (p *plan, ok bool, err error) {
	spec, _ := d.obj["spec"].(map[string]any)
	own, _ := spec["strategy"].(map[string]any)
	p = &plan{owner: d, rollout: d.kind == "Rollout", namespace: d.namespace, own: own, profileArgs: map[string]bool{}}
	if !p.rollout {
		addArgNames(p.profileArgs, spec["args"])
		return p, decodeInto(own, &p.strategy), nil
	}
	var ro rampv1alpha1.RolloutStrategy
	if !decodeInto(own, &ro) {
		return nil, false, nil
	}
	p.strategy = ro
	if ro.ProfileRef == nil {
		return p, true, nil
	}
	gvk := kindProfile
	if ro.ProfileRef.Kind == rampv1alpha1.ProfileKindCluster {
		gvk = kindClusterProfile
	}
	o, err := l.index.lookup(l.ctx, gvk, d.namespace, ro.ProfileRef.Name)
	if err != nil {
		return nil, false, err
	}
	if o == nil {
		l.report(p.ownerSite("spec.strategy.profileRef.name"), Error, "%s", l.index.notFound(gvk, d.namespace, ro.ProfileRef.Name))
		return p, true, nil
	}
	pspec, _ := o.content["spec"].(map[string]any)
	pstrategy, _ := pspec["strategy"].(map[string]any)
	p.profile = &profileSource{gvk: gvk, name: ro.ProfileRef.Name, object: o, strategy: pstrategy}
	addArgNames(p.profileArgs, pspec["args"])
	if msg := profile.KindClash(own, pstrategy); msg != "" {
		l.report(p.ownerSite("spec.strategy.profileRef"), Error, "%s %q %s", gvk.Kind, ro.ProfileRef.Name, msg)
		return p, true, nil
	}
	merged := profile.MergeValues(pstrategy, own).(map[string]any)
	var st rampv1alpha1.RolloutStrategy
	if !decodeInto(merged, &st) {
		return p, true, nil
	}
	p.strategy = st
	return p, true, nil
}

// addArgNames adds the names of an args list to names.
func addArgNames(names map[string]bool, args any) {
	list, _ := args.([]any)
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				names[n] = true
			}
		}
	}
}

// decodeInto converts unstructured content into a typed value; false when
// it does not fit.
func decodeInto(content map[string]any, into any) bool {
	if content == nil {
		return false
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(content, into) == nil
}

// describeList lists names for messages.
func describeList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
