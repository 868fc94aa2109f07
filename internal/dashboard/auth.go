package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// maxBodyBytes bounds the body of any request.
const maxBodyBytes = 64 << 10

// Session is the body of the session endpoints: what the UI may offer,
// and who is signed in.
type Session struct {
	// ReadOnly is true when actions are turned off.
	ReadOnly bool `json:"readOnly"`
	// SignInRequired is true when actions need a sign-in with a token;
	// reading never does.
	SignInRequired bool `json:"signInRequired"`
	// SignedIn is true when the browser has a live session.
	SignedIn bool `json:"signedIn"`
	// User is the signed-in person's user name, or empty.
	User string `json:"user"`
	// CSRFToken is the browser's CSRF token, to send back in the
	// X-CSRF-Token header of every request that changes something.
	CSRFToken string `json:"csrfToken"`
}

// errTokenRejected is a token the cluster does not accept.
var errTokenRejected = errors.New("the cluster did not accept the token")

// signInRequired reports whether actions need a sign-in.
func (s *Server) signInRequired() bool {
	return s.opts.Authenticate == AuthToken && !s.opts.ReadOnly
}

// sessionBody is the Session for a browser with CSRF token csrf.
func (s *Server) sessionBody(csrf string, sess session, signedIn bool) Session {
	return Session{
		ReadOnly:       s.opts.ReadOnly,
		SignInRequired: s.signInRequired(),
		SignedIn:       signedIn,
		User:           sess.user.Username,
		CSRFToken:      csrf,
	}
}

// getSession serves GET /api/v1/session, setting the CSRF cookie when the
// browser has none.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	csrf, err := csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	sess, _, ok := s.sessionOf(r)
	writeJSON(w, http.StatusOK, s.sessionBody(csrf, sess, ok))
}

// signInRequest is the body of POST /api/v1/session.
type signInRequest struct {
	// Token is a Kubernetes bearer token.
	Token string `json:"token"`
}

// signIn serves POST /api/v1/session: it asks the API server, with the
// token itself, who the token belongs to (a SelfSubjectReview) and starts
// a session for that user.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if !s.signInRequired() {
		why := "the dashboard acts with your own kubeconfig credentials"
		if s.opts.ReadOnly {
			why = "the dashboard is read-only"
		}
		writeError(w, http.StatusConflict, "signing in is not needed: "+why)
		return
	}
	var req signInRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be JSON such as {"token": "<bearer token>"}`)
		return
	}
	token := strings.TrimSpace(req.Token)
	token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
	if token == "" {
		writeError(w, http.StatusBadRequest, "paste a Kubernetes bearer token to sign in")
		return
	}
	user, err := s.reviewToken(r.Context(), token)
	if errors.Is(err, errTokenRejected) {
		writeError(w, http.StatusUnauthorized, "sign-in failed: "+err.Error())
		return
	}
	if err != nil {
		s.serverError(w, err)
		return
	}
	if _, old, ok := s.sessionOf(r); ok {
		s.sessions.delete(old)
	}
	id, err := s.sessions.create(user, token)
	if err != nil {
		s.serverError(w, err)
		return
	}
	setSessionCookie(w, r, id)
	s.log.Info("Signed in to the dashboard", "user", user.Username)
	csrf, err := csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.sessionBody(csrf, session{user: user}, true))
}

// signOut serves DELETE /api/v1/session: it ends the browser's session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.delete(c.Value)
	}
	setSessionCookie(w, r, "")
	csrf, err := csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.sessionBody(csrf, session{}, false))
}

// reviewToken asks the API server who token belongs to by creating a
// SelfSubjectReview with a client built from token itself, so the
// dashboard's own ServiceAccount needs no permission for it: every
// authenticated user may create SelfSubjectReviews (the built-in
// system:basic-user ClusterRole). A token the API server does not accept
// gives an error wrapping errTokenRejected; any other failure is the
// server's own.
func (s *Server) reviewToken(ctx context.Context, token string) (authenticationv1.UserInfo, error) {
	c, err := s.opts.ClientForToken(token)
	if err != nil {
		return authenticationv1.UserInfo{}, fmt.Errorf("build a client with the token: %w", err)
	}
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		if apierrors.IsUnauthorized(err) {
			return authenticationv1.UserInfo{}, fmt.Errorf("%w (it may be expired, revoked or mistyped): %w", errTokenRejected, err)
		}
		return authenticationv1.UserInfo{}, fmt.Errorf("ask the cluster who the token belongs to with a SelfSubjectReview: %w", err)
	}
	user := review.Status.UserInfo
	if user.Username == "" {
		return authenticationv1.UserInfo{}, fmt.Errorf("%w: the cluster named no user for it", errTokenRejected)
	}
	return user, nil
}

// serverError answers 500 for an error of the server's own, and logs it.
func (s *Server) serverError(w http.ResponseWriter, err error) {
	s.log.Error(err, "Dashboard request failed")
	writeError(w, http.StatusInternalServerError, err.Error())
}
