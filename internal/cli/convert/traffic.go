package convert

import (
	"regexp"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// unsupportedRouters are the traffic routers of Argo Rollouts that Ramp
// lacks, by field, with the name used in messages.
var unsupportedRouters = []struct{ field, name string }{
	{"nginx", "NGINX Ingress"}, {"alb", "AWS Load Balancer Controller"}, {"smi", "SMI"},
	{"ambassador", "Ambassador"}, {"appMesh", "App Mesh"}, {"traefik", "Traefik"}, {"apisix", "APISIX"},
}

// routerAdvice ends the warning about a router Ramp lacks.
const routerAdvice = "dropped (Ramp moves traffic through Gateway API routes or Istio VirtualServices)"

// managedRouteName is the form of a managed route's name in Ramp.
var managedRouteName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// trafficRouting converts strategy.canary.trafficRouting. Routers Ramp
// lacks are dropped; without a router left it returns nil, and the canary
// splits traffic by its share of pods.
func (c *converter) trafficRouting(o *object, namespace string) *rampv1alpha1.RolloutTrafficRouting {
	tr := &rampv1alpha1.RolloutTrafficRouting{}
	o.decode("managedRoutes", &tr.ManagedRoutes)
	for i, r := range tr.ManagedRoutes {
		if len(r.Name) > 63 || !managedRouteName.MatchString(r.Name) {
			c.fail(o.at.key("managedRoutes").index(i).key("name"),
				"Ramp names a managed route with lowercase letters, digits and '-' (at most 63), not %q; rename it here and in its steps", r.Name)
		}
	}
	if is := o.child("istio"); is != nil {
		tr.Istio = c.istio(is)
	}
	if p := o.child("plugins"); p != nil {
		tr.GatewayAPI = c.plugins(p, namespace, len(tr.ManagedRoutes) > 0)
	}
	for _, r := range unsupportedRouters {
		o.drop(r.field, "Ramp has no %s router; %s", r.name, routerAdvice)
	}
	c.maxTrafficWeight(o)
	o.done()
	if tr.Istio == nil && tr.GatewayAPI == nil {
		c.warn(o.at, "no traffic router that Ramp supports is left, so trafficRouting is dropped: the canary's share of traffic follows its share of pods")
		return nil
	}
	return tr
}

// maxTrafficWeight reads trafficRouting.maxTrafficWeight. Ramp's weights
// are percentages, so setWeight steps are scaled to 100 instead.
func (c *converter) maxTrafficWeight(o *object) {
	var max int32
	if !o.decode("maxTrafficWeight", &max) || max == 100 {
		return
	}
	if max <= 0 {
		c.fail(o.at.key("maxTrafficWeight"), "must be greater than 0, not %d", max)
		return
	}
	c.maxWeight = max
	c.warn(o.at.key("maxTrafficWeight"), "Ramp's weights are percentages; dropped, and every setWeight is rescaled from a maximum of %d to 100", max)
}

// istio converts trafficRouting.istio. Argo Rollouts' single
// virtualService becomes the first of Ramp's virtualServices.
func (c *converter) istio(o *object) *rampv1alpha1.IstioTrafficRouting {
	is := &rampv1alpha1.IstioTrafficRouting{}
	var single *rampv1alpha1.IstioVirtualService
	if o.decode("virtualService", &single) && single != nil {
		is.VirtualServices = append(is.VirtualServices, *single)
		c.moved(o.at.key("virtualServices").index(0), o.at.key("virtualService"))
	}
	var list []rampv1alpha1.IstioVirtualService
	o.decode("virtualServices", &list)
	for i, vs := range list {
		if single != nil {
			c.moved(o.at.key("virtualServices").index(len(is.VirtualServices)), o.at.key("virtualServices").index(i))
		}
		is.VirtualServices = append(is.VirtualServices, vs)
	}
	o.decode("destinationRule", &is.DestinationRule)
	o.done()
	if len(is.VirtualServices) == 0 {
		c.fail(o.at.key("virtualServices"), "Ramp's Istio router needs at least one VirtualService")
		return nil
	}
	return is
}

// plugins converts trafficRouting.plugins: the Gateway API plugin becomes
// Ramp's gatewayAPI router, other plugins are dropped.
func (c *converter) plugins(o *object, namespace string, headerRoutes bool) *rampv1alpha1.GatewayAPITrafficRouting {
	var gw *rampv1alpha1.GatewayAPITrafficRouting
	for _, name := range o.keys() {
		if !isGatewayAPIPlugin(name) {
			o.drop(name, "Ramp has no traffic router plugins; %s", routerAdvice)
			continue
		}
		p := o.child(name)
		if p == nil {
			continue
		}
		if gw != nil {
			c.fail(p.at, "configure the Gateway API plugin once")
			continue
		}
		gw = c.gatewayAPI(p, namespace, headerRoutes)
		c.moved(o.at[:len(o.at)-1].key("gatewayAPI"), p.at)
	}
	return gw
}

// isGatewayAPIPlugin reports whether a plugin name is the Gateway API
// plugin's, argoproj-labs/gatewayAPI, whatever its case or prefix.
func isGatewayAPIPlugin(name string) bool {
	n := strings.ToLower(name)
	return n == "gatewayapi" || strings.HasSuffix(n, "/gatewayapi")
}

// gatewayAPI converts the Gateway API plugin's configuration. The plugin
// adds header routes to routes listed in httpRoutes only when they say
// useHeaderRoutes: true, while Ramp does by default, so with managed routes
// the choice is written out.
func (c *converter) gatewayAPI(o *object, namespace string, headerRoutes bool) *rampv1alpha1.GatewayAPITrafficRouting {
	gw := &rampv1alpha1.GatewayAPITrafficRouting{}
	gw.HTTPRoutes = c.gatewayRoutes(o, "httpRoute", "httpRoutes", headerRoutes)
	gw.GRPCRoutes = c.gatewayRoutes(o, "grpcRoute", "grpcRoutes", headerRoutes)
	for _, f := range []string{"tcpRoute", "tcpRoutes", "tlsRoute", "tlsRoutes"} {
		o.drop(f, "Ramp's Gateway API router moves the weights of HTTPRoutes and GRPCRoutes only; dropped")
	}
	for _, f := range []string{"httpRouteSelector", "grpcRouteSelector", "tcpRouteSelector", "tlsRouteSelector"} {
		o.drop(f, "Ramp finds routes by name only; dropped (list the routes by name)")
	}
	for _, f := range []string{"disableInProgressLabel", "inProgressLabelKey", "inProgressLabelValue"} {
		o.drop(f, "Ramp does not label routes during an update; dropped")
	}
	// Ramp keeps the state of managed routes in the Rollout's status.
	o.take("configMap")
	var ns string
	if o.decode("namespace", &ns) && ns != "" && ns != namespace {
		where := "the Rollout's namespace"
		if namespace != "" {
			where += " (" + namespace + ")"
		}
		c.warn(o.at.key("namespace"), "Ramp reads the routes in %s; dropped (create the Rollout in %s, or move the routes)", where, ns)
	}
	o.done()
	if len(gw.HTTPRoutes) == 0 {
		c.warn(o.at, "Ramp's Gateway API router needs at least one HTTPRoute; dropped")
		return nil
	}
	return gw
}

// gatewayRoutes converts one kind of route of the Gateway API plugin: a
// single name and a list, merged.
func (c *converter) gatewayRoutes(o *object, singleField, listField string, headerRoutes bool) []rampv1alpha1.GatewayAPIRoute {
	var out []rampv1alpha1.GatewayAPIRoute
	seen := map[string]bool{}
	add := func(r rampv1alpha1.GatewayAPIRoute) {
		if r.Name != "" && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r)
		}
	}
	var single string
	if o.decode(singleField, &single) {
		add(rampv1alpha1.GatewayAPIRoute{Name: single})
	}
	var list []rampv1alpha1.GatewayAPIRoute
	o.decode(listField, &list)
	for _, r := range list {
		if r.UseHeaderRoutes == nil && headerRoutes {
			r.UseHeaderRoutes = ptrTo(false)
		}
		add(r)
	}
	return out
}
