package dashboard

import (
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/utils/clock"
)

// sessionCookie holds the ID of a signed-in person's session.
const sessionCookie = "ramp_session"

// maxSessions bounds the sessions kept in memory; past it, the one idle
// longest is dropped.
const maxSessions = 10000

// session is a signed-in person.
type session struct {
	// user is who the SelfSubjectReview said the token belongs to.
	user authenticationv1.UserInfo
	// token is the person's bearer token; actions are carried out with it.
	token string
	// lastSeen is when the session was last used.
	lastSeen time.Time
}

// sessionStore keeps the sessions in memory, by the SHA-256 of their ID
// (so a lookup's timing says nothing about the IDs), and forgets those
// idle for longer than idle.
type sessionStore struct {
	// clock tells the time.
	clock clock.PassiveClock
	// idle is how long a session lives unused.
	idle time.Duration

	// mu guards byID.
	mu sync.Mutex
	// byID are the sessions by the hash of their ID.
	byID map[[sha256.Size]byte]*session
}

// newSessionStore returns an empty store.
func newSessionStore(c clock.PassiveClock, idle time.Duration) *sessionStore {
	return &sessionStore{clock: c, idle: idle, byID: map[[sha256.Size]byte]*session{}}
}

// create starts a session for user with token and returns its new ID.
func (st *sessionStore) create(user authenticationv1.UserInfo, token string) (string, error) {
	id, err := newRandomToken()
	if err != nil {
		return "", err
	}
	now := st.clock.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(now)
	if len(st.byID) >= maxSessions {
		st.dropOldest()
	}
	st.byID[sha256.Sum256([]byte(id))] = &session{user: user, token: token, lastSeen: now}
	return id, nil
}

// get returns the live session with id and marks it used; ok is false
// when there is none or it expired.
func (st *sessionStore) get(id string) (s session, ok bool) {
	now := st.clock.Now()
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	found := st.byID[key]
	if found == nil {
		return session{}, false
	}
	if now.Sub(found.lastSeen) > st.idle {
		delete(st.byID, key)
		return session{}, false
	}
	found.lastSeen = now
	return *found, true
}

// delete forgets the session with id.
func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.byID, sha256.Sum256([]byte(id)))
}

// len is the number of sessions kept, expired or not.
func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byID)
}

// sweep forgets the expired sessions; st.mu is held.
func (st *sessionStore) sweep(now time.Time) {
	for k, s := range st.byID {
		if now.Sub(s.lastSeen) > st.idle {
			delete(st.byID, k)
		}
	}
}

// dropOldest forgets the session idle longest; st.mu is held.
func (st *sessionStore) dropOldest() {
	var oldest [sha256.Size]byte
	var at time.Time
	found := false
	for k, s := range st.byID {
		if !found || s.lastSeen.Before(at) {
			oldest, at, found = k, s.lastSeen, true
		}
	}
	if found {
		delete(st.byID, oldest)
	}
}

// sessionOf returns the live session of r's session cookie; ok is false
// without one.
func (s *Server) sessionOf(r *http.Request) (sess session, id string, ok bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !wellFormed(c.Value) {
		return session{}, "", false
	}
	sess, ok = s.sessions.get(c.Value)
	return sess, c.Value, ok
}

// setSessionCookie sets (or, with an empty id, clears) the session cookie.
// Scripts cannot read it, and browsers send it to this site only.
func setSessionCookie(w http.ResponseWriter, r *http.Request, id string) {
	c := &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil,
	}
	if id == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
