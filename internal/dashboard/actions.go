package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/internal/actions"
)

// actionRequest is the body of an action; every field is optional.
type actionRequest struct {
	// Revision is undo's target; 0 is the revision before the current.
	Revision int64 `json:"revision"`
}

// ActionResult is the body of an action carried out.
type ActionResult struct {
	// Message says what was done, as kubectl ramp says it.
	Message string `json:"message"`
}

// httpError is an error with the status to answer it with.
type httpError struct {
	// status is the HTTP status.
	status int
	// msg is the message for people.
	msg string
}

// Error returns the message.
func (e *httpError) Error() string { return e.msg }

// act serves POST …/rollouts/{name}/actions/{action}: it checks that the
// person may take the action, then takes it through package actions, as
// kubectl ramp does.
func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	ns, name, act := r.PathValue("namespace"), r.PathValue("name"), r.PathValue("action")
	if !slices.Contains(actions.Names, act) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown action %q; the actions are %s", act, strings.Join(actions.Names, ", ")))
		return
	}
	if s.opts.ReadOnly {
		writeError(w, http.StatusForbidden, "the dashboard is read-only: it was started without actions, so it cannot "+act+" rollouts")
		return
	}
	req, err := decodeAction(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, user, err := s.actor(r, ns, name, act)
	if err != nil {
		s.writeActionError(w, err)
		return
	}
	by := "ramp dashboard abort"
	if user != "" {
		by += " by " + user
	}
	msg, err := actions.Do(r.Context(), c, ns, name, act, actions.Options{
		Revision:  req.Revision,
		Now:       s.clock.Now,
		AbortedBy: by,
	})
	if err != nil {
		s.writeActionError(w, err)
		return
	}
	s.log.Info("Action taken from the dashboard", "action", act, "namespace", ns, "rollout", name, "user", user)
	writeJSON(w, http.StatusOK, ActionResult{Message: msg})
}

// decodeAction reads the optional body of an action.
func decodeAction(w http.ResponseWriter, r *http.Request) (actionRequest, error) {
	var req actionRequest
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&req)
	switch {
	case errors.Is(err, io.EOF):
		return actionRequest{}, nil
	case err != nil:
		return req, errors.New(`the body must be empty or JSON such as {"revision": 3}`)
	case req.Revision < 0:
		return req, fmt.Errorf("revision %d is not a revision: give a revision number, or 0 for the previous one", req.Revision)
	}
	return req, nil
}

// actor is the client an action is carried out with, and the user name
// of the person (empty with AuthNone). With AuthToken the person must be
// signed in; the client is built from their own token, and the API
// server, asked with that client by a SelfSubjectAccessReview, must allow
// them the action.
func (s *Server) actor(r *http.Request, ns, name, act string) (client.Client, string, error) {
	if s.opts.Authenticate == AuthNone {
		return s.opts.Writer, "", nil
	}
	sess, _, ok := s.sessionOf(r)
	if !ok {
		return nil, "", &httpError{http.StatusUnauthorized, "sign in with a Kubernetes bearer token to " + act + " rollouts"}
	}
	c, err := s.opts.ClientForToken(sess.token)
	if err != nil {
		return nil, "", fmt.Errorf("build a client with the signed-in token: %w", err)
	}
	if err := authorize(r.Context(), c, sess.user.Username, ns, name, act); err != nil {
		return nil, "", err
	}
	return c, sess.user.Username, nil
}

// authorize asks the API server, with c (a client built from the
// person's own token), whether the person may take act on the Rollout:
// it creates a SelfSubjectAccessReview, which every authenticated user
// may (the built-in system:basic-user ClusterRole), so the dashboard's
// own ServiceAccount needs no permission for it. A refusal is an
// *actions.ForbiddenError naming the verb and the resource; user is the
// person's user name, for its message.
func authorize(ctx context.Context, c client.Client, user, ns, name, act string) error {
	verb, resource, sub := actions.Permission(act)
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace:   ns,
			Verb:        verb,
			Group:       rampv1alpha1.GroupVersion.Group,
			Version:     rampv1alpha1.GroupVersion.Version,
			Resource:    resource,
			Subresource: sub,
			Name:        name,
		},
	}}
	if err := c.Create(ctx, review); err != nil {
		return fmt.Errorf("check the permission with a SelfSubjectAccessReview: %w", err)
	}
	if review.Status.Allowed {
		return nil
	}
	if sub != "" {
		resource += "/" + sub
	}
	why := fmt.Sprintf("the cluster's RBAC does not allow user %q", user)
	if review.Status.Reason != "" {
		why += ": " + review.Status.Reason
	}
	return &actions.ForbiddenError{Action: act, Rollout: name, Namespace: ns, Verb: verb, Resource: resource, Err: errors.New(why)}
}

// writeActionError answers a failed action with the status its error
// calls for.
func (s *Server) writeActionError(w http.ResponseWriter, err error) {
	var (
		he        *httpError
		notApp    *actions.NotApplicableError
		forbidden *actions.ForbiddenError
		notFound  *actions.NotFoundError
	)
	switch {
	case errors.As(err, &he):
		writeError(w, he.status, he.msg)
	case errors.As(err, &notApp):
		writeError(w, http.StatusConflict, err.Error())
	case errors.As(err, &forbidden), apierrors.IsForbidden(err):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.As(err, &notFound), apierrors.IsNotFound(err):
		writeError(w, http.StatusNotFound, err.Error())
	case apierrors.IsUnauthorized(err):
		writeError(w, http.StatusUnauthorized, "the cluster no longer accepts your token; sign out and sign in again: "+err.Error())
	case apierrors.IsConflict(err):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.serverError(w, err)
	}
}
