// Package istio moves a canary's traffic through Istio VirtualServices
// (networking.istio.io/v1), splitting either by host (the stable and canary
// Services) or by subset (two subsets of one DestinationRule that select
// the stable and canary pod template hashes).
//
// # What the router changes
//
//   - The weight of the stable and the canary destination in each selected
//     route of each VirtualService named in
//     spec.strategy.canary.trafficRouting.istio.virtualServices: the http
//     routes named in routes (or the VirtualService's only http route when
//     none is named), and the tls and tcp routes selected by tlsRoutes
//     (port, sniHosts) and tcpRoutes (port). The stable destination gets
//     100-weight, the canary weight. With a baselineService, every selected
//     route must also list the baseline destination (the baseline Service,
//     or the baseline subset on the stable destination's host), which gets
//     as much as the canary while the baseline runs, taken from the
//     stable's share (trafficrouting.Config.Weights), and 0 otherwise.
//     Other destinations of those routes are left as they are.
//   - The http routes it adds, named trafficrouting.ManagedRouteName (the
//     ramp- prefix), placed at the top of spec.http in the order of
//     trafficRouting.managedRoutes: a header route sends matching requests
//     to the canary; a mirror route copies the first selected route's
//     destinations and mirrors a percentage of the matching requests to the
//     canary. SetWeight keeps the weights of a mirror route equal to the
//     selected routes', so matching requests are split like all the others.
//     A managed route name holds one route at a time: a header step and a
//     mirror step of the same name replace each other, and a step without
//     match removes whichever it holds. An existing managed route that
//     differs is replaced where it is. A VirtualService in which
//     only tls or tcp routes are selected gets no managed routes.
//   - With a destinationRule, the label ramp.dev/pod-template-hash of its
//     stable and canary subsets (the stable hash and the canary hash; both
//     the stable hash when no update is in flight), and with a
//     baselineService of its baseline subset (baselineSubsetName, then
//     required): the baseline hash while the baseline runs, the stable hash
//     otherwise, so that it never selects no pods. The DestinationRule is
//     brought up to date before any VirtualService is written, by SetWeight
//     and by the steps that add a header or mirror route.
//
// # What the router never changes
//
// Everything else: the hosts, gateways and exportTo of a VirtualService,
// the matches, retries, timeouts, rewrites, fault injection, CORS policy and
// headers of every route, the routes it does not select, the destinations
// that are neither stable nor canary, the DestinationRule's host, traffic
// policies and the subsets' other labels, and metadata. Objects are read
// with the typed client-go structs, and written with JSON patches (RFC 6902)
// whose operations touch only the paths above, so fields that the Go types
// do not know survive too. Every patch carries the resourceVersion read
// as a precondition (trafficrouting.PatchJSON): an edit made between the
// read and the write makes the write fail rather than be lost, and the
// next reconcile starts again from the new object.
//
// # Checks before writes
//
// Every VirtualService (and the DestinationRule) is read and checked before
// anything is written: a missing object, a named route that does not exist,
// an ambiguous selection, or a selected route without both destinations
// (or without the baseline destination, with a baselineService) is
// a *trafficrouting.RouteError and nothing is written. Removing managed
// routes (at promotion and abort) skips VirtualServices that no longer
// exist, so a deleted object never blocks an abort. A call that finds the
// objects as desired writes nothing.
//
// Host names are compared the way Kubernetes resolves them in the
// Rollout's namespace: "svc", "svc.<ns>", "svc.<ns>.svc" and
// "svc.<ns>.svc.cluster.local" all name the Service svc.
package istio
