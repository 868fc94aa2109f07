package convert

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// analysisTemplate converts an AnalysisTemplate or ClusterAnalysisTemplate
// into the Ramp kind of the same name.
func (c *converter) analysisTemplate(root *object, kind string) any {
	root.take("apiVersion")
	root.take("kind")
	root.take("status")
	meta := c.metadata(root)
	spec := root.child("spec")
	root.done()
	var s rampv1alpha1.AnalysisTemplateSpec
	if spec == nil {
		c.fail(root.at.key("spec"), "an %s needs a spec with metrics", kind)
	} else {
		s = c.templateSpec(spec)
	}
	if kind == "ClusterAnalysisTemplate" {
		return &rampv1alpha1.ClusterAnalysisTemplate{TypeMeta: typeMeta(kind), ObjectMeta: meta, Spec: s}
	}
	return &rampv1alpha1.AnalysisTemplate{TypeMeta: typeMeta(kind), ObjectMeta: meta, Spec: s}
}

// argName is the form of an argument's name in Ramp.
var argName = regexp.MustCompile(`^[A-Za-z_][-A-Za-z0-9_.]*$`)

// metricName is the form of a metric's name in Ramp.
var metricName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// templateSpec converts a template's spec. Metrics whose provider Ramp
// lacks are dropped, with the dryRun and measurementRetention entries that
// name them.
func (c *converter) templateSpec(o *object) rampv1alpha1.AnalysisTemplateSpec {
	var s rampv1alpha1.AnalysisTemplateSpec
	o.decode("args", &s.Args)
	defaults := map[string]string{}
	for i, a := range s.Args {
		if !argName.MatchString(a.Name) {
			c.fail(o.at.key("args").index(i).key("name"), "Ramp names an argument with letters, digits, '_', '-' and '.', starting with a letter or '_', not %q", a.Name)
		}
		if a.Value != nil {
			defaults[a.Name] = *a.Value
		}
	}
	for i, item := range o.items("metrics") {
		m := c.metric(item, defaults)
		if m == nil {
			continue
		}
		if len(s.Metrics) != i {
			c.moved(o.at.key("metrics").index(len(s.Metrics)), item.at)
		}
		s.Metrics = append(s.Metrics, *m)
	}
	kept := func(name string) bool {
		return name == "*" || slices.ContainsFunc(s.Metrics, func(m rampv1alpha1.Metric) bool { return m.Name == name })
	}
	var dryRun []rampv1alpha1.DryRun
	o.decode("dryRun", &dryRun)
	for i, d := range dryRun {
		if kept(d.MetricName) {
			s.DryRun = append(s.DryRun, d)
		} else {
			c.warn(o.at.key("dryRun").index(i), "names metric %q, which is not converted; dropped", d.MetricName)
		}
	}
	var retention []rampv1alpha1.MeasurementRetention
	o.decode("measurementRetention", &retention)
	for i, r := range retention {
		switch {
		case !kept(r.MetricName):
			c.warn(o.at.key("measurementRetention").index(i), "names metric %q, which is not converted; dropped", r.MetricName)
		case r.Limit < 1 || r.Limit > 100:
			c.fail(o.at.key("measurementRetention").index(i).key("limit"), "Ramp keeps from 1 to 100 measurements, not %d", r.Limit)
		default:
			s.MeasurementRetention = append(s.MeasurementRetention, r)
		}
	}
	o.done()
	if len(s.Metrics) == 0 && !c.failed {
		c.fail(o.at.key("metrics"), "no metric is left that Ramp can measure; a template needs at least one")
	}
	return s
}

// metric converts one metric; nil when its provider is one Ramp lacks.
func (c *converter) metric(o *object, args map[string]string) *rampv1alpha1.Metric {
	m := &rampv1alpha1.Metric{}
	if o.decode("name", &m.Name) && !metricName.MatchString(m.Name) {
		c.fail(o.at.key("name"), "Ramp names a metric with letters, digits, '-', '_' and '.', starting and ending with a letter or digit, not %q", m.Name)
	}
	m.Interval = c.duration(o, "interval")
	m.InitialDelay = c.duration(o, "initialDelay")
	m.Count = c.limit(o, "count", args, 1)
	m.FailureLimit = c.limit(o, "failureLimit", args, -1)
	m.InconclusiveLimit = c.limit(o, "inconclusiveLimit", args, -1)
	m.ConsecutiveErrorLimit = c.limit(o, "consecutiveErrorLimit", args, -1)
	o.drop("consecutiveSuccessLimit", "Ramp has no consecutiveSuccessLimit; dropped (a metric succeeds when its measurements stay within failureLimit)")
	var success, failure string
	if o.decode("successCondition", &success) {
		m.SuccessCondition = c.condition(o.at.key("successCondition"), success, args)
	}
	if o.decode("failureCondition", &failure) {
		m.FailureCondition = c.condition(o.at.key("failureCondition"), failure, args)
	}
	provider := o.child("provider")
	o.done()
	if provider == nil {
		c.fail(o.at.key("provider"), "a metric needs a provider")
		return nil
	}
	if !c.provider(provider, &m.Provider) {
		return nil
	}
	if m.Count != nil && *m.Count > 1 && m.Interval == "" {
		c.fail(o.at.key("count"), "a metric with count greater than 1 needs an interval")
	}
	return m
}

// durationPattern is the form of a DurationString in Ramp.
var durationPattern = regexp.MustCompile(`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`)

// duration reads a duration field such as interval.
func (c *converter) duration(o *object, key string) rampv1alpha1.DurationString {
	var s string
	if !o.decode(key, &s) || s == "" {
		return ""
	}
	out, ok := normalDuration(s, durationPattern)
	if !ok {
		c.fail(o.at.key(key), "%q is not a duration such as 30s, 5m or 1h30m", s)
	}
	return rampv1alpha1.DurationString(out)
}

// argRef matches a value that is only an argument, {{args.NAME}}.
var argRef = regexp.MustCompile(`^\{\{\s*args\.([A-Za-z_][-A-Za-z0-9_.]*)\s*\}\}$`)

// limit reads a count or limit, which Argo Rollouts lets be a number, a
// numeric string or {{args.NAME}}; Ramp wants a number, so an argument is
// replaced by the template's default value. Values below min are errors;
// a count of 0 means "not set" in Argo Rollouts.
func (c *converter) limit(o *object, key string, args map[string]string, min int64) *int32 {
	v, ok := o.take(key)
	if !ok {
		return nil
	}
	at := o.at.key(key)
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		s := strings.TrimSpace(x)
		if m := argRef.FindStringSubmatch(s); m != nil {
			def, found := args[m[1]]
			if !found {
				c.fail(at, "Ramp needs a number here, and argument %s has no value in the template to use; write the number", m[1])
				return nil
			}
			c.warn(at, "Ramp needs a number here; used %q, the template's value of argument %s", def, m[1])
			s = def
		}
		parsed, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			c.fail(at, "must be a whole number, not %q", x)
			return nil
		}
		n = parsed
	default:
		c.fail(at, "must be a whole number, not %s", describe(v))
		return nil
	}
	if key == "count" && n == 0 {
		return nil
	}
	if n < min || n > 1<<31-1 {
		c.fail(at, "must be at least %d, not %d", min, n)
		return nil
	}
	return ptrTo(int32(n))
}
