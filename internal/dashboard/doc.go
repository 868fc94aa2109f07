// Package dashboard serves Ramp's web dashboard: a JSON API over the
// Rollouts an informer cache holds, a Server-Sent Events stream of their
// changes, the actions of kubectl ramp (promote, abort, undo, …) guarded
// by sign-in, CSRF and same-origin checks, and the embedded web UI.
//
// One Server is used two ways. On a laptop (kubectl ramp dashboard) it
// acts with the user's own kubeconfig credentials and needs no sign-in
// (AuthNone). In the cluster (ramp-controller) it is read-only unless
// actions are enabled; then a person signs in with a Kubernetes bearer
// token and the API server says whom it belongs to (a SelfSubjectReview);
// every action is first checked by a SelfSubjectAccessReview and then
// carried out, both with a client built from the person's own token, so
// the cluster's RBAC decides (AuthToken). The server's own credentials
// take no part in sign-in or in these checks: every authenticated user
// may create both reviews (the built-in system:basic-user ClusterRole),
// so the controller needs no cluster-scoped permission for them.
//
// Reads never reach the API server per browser: every page and every
// stream is served from the informers the callers share with the Server.
package dashboard
