package convert

import (
	"encoding/json"
	"net/http"
	"regexp"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// unsupportedProviders are the metric providers of Argo Rollouts that Ramp
// lacks, by field, with the name used in messages.
var unsupportedProviders = []struct{ field, name, advice string }{
	{"datadog", "Datadog", ""}, {"newRelic", "New Relic", ""}, {"wavefront", "Wavefront", ""},
	{"kayenta", "Kayenta", "; Ramp's judge provider compares the canary with the stable version over Prometheus"},
	{"cloudWatch", "CloudWatch", ""}, {"graphite", "Graphite", ""}, {"influxdb", "InfluxDB", ""},
	{"skywalking", "SkyWalking", ""}, {"plugin", "metric plugin", ""},
}

// provider converts a metric's provider. It reports false when the metric
// is dropped because Ramp lacks its provider.
func (c *converter) provider(o *object, p *rampv1alpha1.MetricProvider) bool {
	if x := o.child("prometheus"); x != nil {
		p.Prometheus = c.prometheus(x)
	}
	if x := o.child("web"); x != nil {
		p.Web = c.web(x)
	}
	if x := o.child("job"); x != nil {
		p.Job = c.job(x)
	}
	dropped := false
	for _, u := range unsupportedProviders {
		if o.has(u.field) {
			dropped = true
			o.drop(u.field, "Ramp has no %s provider; metric dropped (Ramp measures with prometheus, job, web or judge%s)", u.name, u.advice)
		}
	}
	o.done()
	set := 0
	for _, ok := range []bool{p.Prometheus != nil, p.Web != nil, p.Job != nil} {
		if ok {
			set++
		}
	}
	switch {
	case set > 1:
		c.fail(o.at, "a metric has exactly one provider")
	case set == 0 && !dropped:
		c.fail(o.at, "a metric needs a provider: prometheus, job or web")
	}
	return set > 0 && !dropped
}

// addressPattern is the form of a provider address Ramp accepts.
var addressPattern = regexp.MustCompile(`^(https?://|\{\{)`)

// prometheus converts a Prometheus provider.
func (c *converter) prometheus(o *object) *rampv1alpha1.PrometheusMetric {
	pm := &rampv1alpha1.PrometheusMetric{}
	o.decode("address", &pm.Address)
	o.decode("query", &pm.Query)
	o.decode("headers", &pm.Headers)
	pm.Timeout = c.seconds(o, "timeout")
	pm.TLS = c.insecure(o)
	if a := o.child("authentication"); a != nil {
		c.authentication(a)
	}
	o.drop("rangeQuery", "Ramp runs instant queries; dropped (aggregate over a range in the query instead, such as avg_over_time(...[5m]))")
	o.done()
	switch {
	case pm.Address == "":
		c.fail(o.at.key("address"), "Ramp needs the Prometheus server's address, such as http://prometheus.monitoring:9090")
	case !addressPattern.MatchString(pm.Address):
		c.fail(o.at.key("address"), "Ramp needs an address that starts with http:// or https://, not %q", pm.Address)
	}
	if pm.Query == "" {
		c.fail(o.at.key("query"), "a Prometheus metric needs a query")
	}
	return pm
}

// web converts a web provider. A jsonBody becomes the body, which Ramp
// sends as JSON.
func (c *converter) web(o *object) *rampv1alpha1.WebMetric {
	w := &rampv1alpha1.WebMetric{}
	o.decode("url", &w.URL)
	o.decode("method", &w.Method)
	o.decode("headers", &w.Headers)
	o.decode("body", &w.Body)
	if v, ok := o.take("jsonBody"); ok {
		data, err := json.Marshal(v)
		switch {
		case err != nil:
			c.fail(o.at.key("jsonBody"), "cannot write it as JSON: %v", err)
		case w.Body != "":
			c.fail(o.at.key("jsonBody"), "set body or jsonBody, not both")
		default:
			w.Body = string(data)
			c.moved(o.at.key("body"), o.at.key("jsonBody"))
		}
	}
	o.decode("jsonPath", &w.JSONPath)
	w.TimeoutSeconds = c.seconds(o, "timeoutSeconds")
	w.TLS = c.insecure(o)
	if a := o.child("authentication"); a != nil {
		c.authentication(a)
	}
	o.done()
	switch {
	case w.URL == "":
		c.fail(o.at.key("url"), "a web metric needs a url")
	case !addressPattern.MatchString(w.URL):
		c.fail(o.at.key("url"), "Ramp needs a url that starts with http:// or https://, not %q", w.URL)
	}
	switch w.Method {
	case "", http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		c.fail(o.at.key("method"), "Ramp sends GET, POST or PUT, not %q", w.Method)
	}
	return w
}

// job converts a job provider. Ramp sets labels and annotations on the
// Job; other metadata is dropped.
func (c *converter) job(o *object) *rampv1alpha1.JobMetric {
	j := &rampv1alpha1.JobMetric{}
	o.decode("metadata", &j.Metadata)
	if !o.decode("spec", &j.Spec) {
		c.fail(o.at.key("spec"), "a job metric needs a Job spec")
	}
	o.done()
	return j
}

// seconds reads a provider timeout in seconds; Ramp accepts 1 to 600.
func (c *converter) seconds(o *object, key string) *int32 {
	var n int64
	if !o.decode(key, &n) || n == 0 {
		return nil
	}
	switch {
	case n < 1:
		c.fail(o.at.key(key), "must be a positive number of seconds, not %d", n)
		return nil
	case n > 600:
		c.warn(o.at.key(key), "Ramp waits at most 600 seconds for an answer; lowered from %d to 600", n)
		n = 600
	}
	return ptrTo(int32(n))
}

// insecure converts a provider's insecure: true into Ramp's TLS settings.
func (c *converter) insecure(o *object) *rampv1alpha1.TLSConfig {
	var insecure bool
	if !o.decode("insecure", &insecure) || !insecure {
		return nil
	}
	c.moved(o.at.key("tls").key("insecureSkipVerify"), o.at.key("insecure"))
	return &rampv1alpha1.TLSConfig{InsecureSkipVerify: true}
}

// authentication reads a provider's authentication. Ramp sends a bearer
// token or basic authentication read from a Secret; Argo Rollouts' AWS
// SigV4 and OAuth2 have no equivalent, so they are dropped.
func (c *converter) authentication(o *object) {
	o.drop("sigv4", "Ramp cannot sign requests with AWS SigV4; dropped (Ramp sends a bearer token or basic authentication from a Secret: set authentication.bearerToken or authentication.basic)")
	o.drop("oauth2", "Ramp does not fetch OAuth2 tokens; dropped (Ramp sends a bearer token or basic authentication from a Secret: set authentication.bearerToken or authentication.basic)")
	o.done()
}
