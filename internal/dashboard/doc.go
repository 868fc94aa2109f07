// Package dashboard serves Ramp's web dashboard: a JSON API over the
// Rollouts an informer cache holds, a Server-Sent Events stream of their
// changes, the actions of kubectl ramp (promote, abort, undo, …) guarded
// by sign-in, CSRF and same-origin checks, and the embedded web UI.
//
// One Server is used two ways. On a laptop (kubectl ramp dashboard) it
// acts with the user's own kubeconfig credentials and needs no sign-in
// (AuthNone). In the cluster (ramp-controller) it is read-only unless
// actions are enabled; then a person signs in with a Kubernetes bearer
// token, checked by a TokenReview, every action is first checked by a
// SubjectAccessReview for that person and then carried out with a client
// built from their own token, so the cluster's RBAC decides (AuthToken).
//
// Reads never reach the API server per browser: every page and every
// stream is served from the informers the callers share with the Server.
package dashboard
