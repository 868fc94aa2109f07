// Package gatewayapi moves a canary's traffic through Gateway API routes:
// the HTTPRoutes and GRPCRoutes named in a Rollout's
// spec.strategy.canary.trafficRouting.gatewayAPI, in the Rollout's
// namespace.
//
// # What is touched
//
// A weighted rule is a rule of the user's whose backendRefs include both the
// stable and the canary Service (kind Service or unset, group "" or unset,
// namespace unset or the Rollout's). With a baselineService, every weighted
// rule must list the baseline Service too (a RouteError says which rule
// lacks it). Ramp writes only:
//
//   - the weight of those two (or three) backendRefs in every weighted rule
//     (stable 100-w, canary w; with a running baseline, the baseline as
//     much as the canary, taken from the stable's share, see
//     trafficrouting.Config.Weights; 0 otherwise), and in the mirror rules
//     it added itself;
//   - the rules it adds for header and mirror routes, named
//     trafficrouting.ManagedRouteName(route) + "-" + index of the weighted
//     rule they copy, placed before the user's rules in the order of
//     trafficRouting.managedRoutes, and removed by RemoveManagedRoutes
//     (every rule whose name starts with "ramp-").
//
// A header rule copies the weighted rule's matches (each with the header
// conditions added), filters, timeouts, retry and session persistence, and
// sends to the canary backendRef alone, so requests that take it keep the
// user's rewrites, header changes and authentication filters. A mirror rule
// copies the whole weighted rule, narrows its first match by the step's
// matches, and adds a RequestMirror filter to the canary Service.
//
// # What is never touched
//
// Everything else in the routes stays byte for byte as it was: the user's
// rules (their matches, filters, other backends and their weights, names),
// hostnames, parentRefs, annotations, labels, status, and any field that
// the Gateway API Go types of this build do not know. Reads go through the
// typed structs to decide; writes are RFC 6902 JSON patches that add,
// replace or remove only the paths listed above, with the resourceVersion
// read as a precondition (trafficrouting.PatchJSON) so that an edit made
// between the read and the write fails the write instead of being lost (the
// next reconcile retries).
// Gateways, Services and other kinds of route are never read or written.
//
// Every method reads and checks every route before writing any, writes
// nothing when the routes already say what is asked, and reports a route
// that is missing or cannot carry the split as a *trafficrouting.RouteError.
package gatewayapi
