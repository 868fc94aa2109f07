package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Names of the CSRF cookie and header.
const (
	// csrfCookie holds the browser's CSRF token.
	csrfCookie = "ramp_csrf"
	// csrfHeader carries the token back on requests that change something.
	csrfHeader = "X-CSRF-Token"
)

// tokenBytes is the number of random bytes in a CSRF token and in a
// session ID.
const tokenBytes = 32

// newRandomToken returns tokenBytes random bytes, base64url-encoded.
func newRandomToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormed reports whether t looks like a token newRandomToken made.
func wellFormed(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == tokenBytes
}

// csrfToken returns the browser's CSRF token: the one in its cookie, or
// a new one, then set in the cookie. The cookie is readable by the page
// (the double-submit pattern) and sent to this site only.
func csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(csrfCookie); err == nil && wellFormed(c.Value) {
		return c.Value, nil
	}
	t, err := newRandomToken()
	if err != nil {
		return "", fmt.Errorf("make a CSRF token: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     csrfCookie,
		Value:    t,
		Path:     "/",
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil,
	})
	return t, nil
}

// checkStateChange lets a request that may change something (any method
// but GET, HEAD and OPTIONS) through only when it comes from a page of
// this same origin and carries the browser's CSRF token in its header.
func (s *Server) checkStateChange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if err := sameOrigin(r); err != nil {
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
		if err := checkCSRF(r); err != nil {
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin checks that r was sent by a page of the origin it is
// addressed to: its Origin header, or else its Referer, names the host
// (and port) of r's Host header.
func sameOrigin(r *http.Request) error {
	from, header := r.Header.Get("Origin"), "Origin"
	if from == "" {
		from, header = r.Header.Get("Referer"), "Referer"
	}
	if from == "" {
		return errors.New("refused: a request that changes something must come from the dashboard's own page (it has no Origin or Referer header)")
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("refused: a request that changes something must come from the dashboard's own page (%s is %q)", header, from)
	}
	if !strings.EqualFold(withoutDefaultPort(u.Host, u.Scheme), withoutDefaultPort(r.Host, u.Scheme)) {
		return fmt.Errorf("refused: cross-origin request from %s://%s to %s", u.Scheme, u.Host, r.Host)
	}
	return nil
}

// withoutDefaultPort drops the port from hostport when it is the default
// port of scheme, as browsers leave it out of Host and Origin headers.
func withoutDefaultPort(hostport, scheme string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return hostport
}

// checkCSRF checks that r's CSRF header matches its CSRF cookie.
func checkCSRF(r *http.Request) error {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !wellFormed(c.Value) {
		return errors.New("refused: the CSRF cookie is missing; reload the page")
	}
	sent := r.Header.Get(csrfHeader)
	if sent == "" {
		return errors.New("refused: the " + csrfHeader + " header is missing; reload the page")
	}
	if subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) != 1 {
		return errors.New("refused: the " + csrfHeader + " header does not match the CSRF cookie; reload the page")
	}
	return nil
}
