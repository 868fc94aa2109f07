package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// analysisAt is an analysis of a strategy and its path relative to
// spec.strategy.
type analysisAt struct {
	rel string
	a   *rampv1alpha1.RolloutAnalysis
}

// analyses lists the analyses of a plan's strategy: step, background and
// blue-green pre- and post-promotion.
func (p *plan) analyses() []analysisAt {
	var out []analysisAt
	if c := p.strategy.Canary; c != nil {
		for i := range c.Steps {
			if a := c.Steps[i].Analysis; a != nil {
				out = append(out, analysisAt{"canary.steps[" + strconv.Itoa(i) + "].analysis", a})
			}
		}
		if c.Analysis != nil {
			out = append(out, analysisAt{"canary.analysis", &c.Analysis.RolloutAnalysis})
		}
	}
	if bg := p.strategy.BlueGreen; bg != nil {
		if bg.PrePromotionAnalysis != nil {
			out = append(out, analysisAt{"blueGreen.prePromotionAnalysis", bg.PrePromotionAnalysis})
		}
		if bg.PostPromotionAnalysis != nil {
			out = append(out, analysisAt{"blueGreen.postPromotionAnalysis", bg.PostPromotionAnalysis})
		}
	}
	return out
}

// usedTemplate is a template an analysis runs, found and decoded.
type usedTemplate struct {
	// index is the template's place in the analysis' templates.
	index int
	// label names the template in messages.
	label string
	spec  rampv1alpha1.AnalysisTemplateSpec
}

// checkAnalyses checks each analysis of a plan: it names templates, they
// exist, their metric names do not clash, and its args give every
// argument without a default and nothing else.
func (l *linter) checkAnalyses(p *plan) error {
	for _, at := range p.analyses() {
		if len(at.a.Templates) == 0 {
			l.report(p.site(at.rel+".templates"), Error, "an analysis without templates measures nothing; name at least one template in templates")
			continue
		}
		used, complete, err := l.resolveTemplates(p, at)
		if err != nil {
			return err
		}
		l.checkMetricClash(p, at, used)
		l.checkArgs(p, at, used, complete)
	}
	return nil
}

// resolveTemplates finds the templates of an analysis, reporting missing
// ones. complete is false when one could not be read.
func (l *linter) resolveTemplates(p *plan, at analysisAt) (used []usedTemplate, complete bool, err error) {
	complete = true
	for j, ref := range at.a.Templates {
		gvk := kindTemplate
		if ref.ClusterScope {
			gvk = kindClusterTemplate
		}
		if !ref.ClusterScope && p.namespace == "" {
			complete = false
			continue
		}
		o, err := l.require(p, fmt.Sprintf("%s.templates[%d].templateName", at.rel, j), gvk, ref.TemplateName)
		if err != nil {
			return nil, false, err
		}
		spec, _ := o.contentSpec()
		var t usedTemplate
		if o == nil || !decodeInto(spec, &t.spec) {
			complete = false
			continue
		}
		t.index, t.label = j, fmt.Sprintf("%s %q", gvk.Kind, ref.TemplateName)
		used = append(used, t)
	}
	return used, complete, nil
}

// contentSpec returns the object's spec; false for a nil object.
func (o *object) contentSpec() (map[string]any, bool) {
	if o == nil {
		return nil, false
	}
	spec, ok := o.content["spec"].(map[string]any)
	return spec, ok
}

// checkMetricClash reports two templates of one analysis that define a
// metric of the same name: the controller cannot merge them.
func (l *linter) checkMetricClash(p *plan, at analysisAt, used []usedTemplate) {
	from := map[string]string{}
	for _, t := range used {
		for _, m := range t.spec.Metrics {
			if other, dup := from[m.Name]; dup {
				l.report(p.site(fmt.Sprintf("%s.templates[%d]", at.rel, t.index)), Error,
					"metric %q is defined by both %s and %s; rename one of them: the controller cannot merge them into one run", m.Name, other, t.label)
				continue
			}
			from[m.Name] = t.label
		}
	}
}

// checkArgs reports template arguments without a value that the analysis
// does not pass, and, when every template was read, args that no template
// takes.
func (l *linter) checkArgs(p *plan, at analysisAt, used []usedTemplate, complete bool) {
	given := map[string]bool{}
	for _, a := range at.a.Args {
		given[a.Name] = true
	}
	takes := map[string]bool{}
	var names []string
	for _, t := range used {
		for _, arg := range t.spec.Args {
			if takes[arg.Name] {
				continue
			}
			takes[arg.Name] = true
			names = append(names, arg.Name)
			if arg.Value == nil && arg.ValueFrom == nil && !given[arg.Name] && !p.profileArgs[arg.Name] {
				l.report(p.site(at.rel+".args"), Error,
					"%s needs argument %q, which has no value or default in the template; add it to args with a value or valueFrom",
					t.label, arg.Name)
			}
		}
	}
	if !complete {
		return
	}
	slices.Sort(names)
	for k, a := range at.a.Args {
		if !takes[a.Name] {
			l.report(p.site(fmt.Sprintf("%s.args[%d].name", at.rel, k)), Error,
				"%q is not an argument of the templates (they take %s); remove it or fix the name: the controller stalls the rollout on it",
				a.Name, describeList(names))
		}
	}
}

// argPlaceholder matches {{args.NAME}} in a provider's settings.
var argPlaceholder = regexp.MustCompile(`\{\{\s*args\.([A-Za-z_][-A-Za-z0-9_.]*)\s*\}\}`)

// checkMetrics checks the metrics of a template or run: conditions parse
// (with the controller's own compiler), every {{args.NAME}} names a
// declared argument, and a metric without conditions can fail.
func (l *linter) checkMetrics(d *document) {
	spec, _ := d.obj["spec"].(map[string]any)
	declared := map[string]bool{}
	addArgNames(declared, spec["args"])
	for i, m := range list(spec["metrics"]) {
		path := fmt.Sprintf("spec.metrics[%d]", i)
		conditions := 0
		for _, field := range []string{"successCondition", "failureCondition"} {
			src := str(m, field)
			if src == "" {
				continue
			}
			conditions++
			if _, err := analysis.CompileCondition(src); err != nil {
				l.report(site{doc: d, path: path + "." + field}, Error, "%v; fix the expression", err)
			}
		}
		provider, _ := dig(m, "provider").(map[string]any)
		l.checkPlaceholders(d, path+".provider", provider, declared)
		if conditions == 0 && (provider["prometheus"] != nil || provider["web"] != nil) {
			l.report(site{doc: d, path: path}, Warning,
				"metric %q has neither successCondition nor failureCondition, so every measurement succeeds; add a condition such as successCondition: result[0] < 0.05", str(m, "name"))
		}
	}
}

// checkPlaceholders reports every {{args.NAME}} under v whose NAME is not
// declared: the run would fail on it.
func (l *linter) checkPlaceholders(d *document, path string, v any, declared map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			l.checkPlaceholders(d, joinField(path, k), child, declared)
		}
	case []any:
		for i, child := range x {
			l.checkPlaceholders(d, path+"["+strconv.Itoa(i)+"]", child, declared)
		}
	case string:
		for _, m := range argPlaceholder.FindAllStringSubmatch(x, -1) {
			if !declared[m[1]] {
				l.report(site{doc: d, path: path}, Error,
					"{{args.%s}} names no argument of spec.args; declare it there or fix the name", m[1])
			}
		}
	}
}
