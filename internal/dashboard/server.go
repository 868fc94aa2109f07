package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AuthMode says who the dashboard acts as when a person takes an action.
type AuthMode int

const (
	// AuthNone needs no sign-in: actions are carried out with Options.Writer,
	// a client with the user's own credentials (kubectl ramp dashboard on a
	// laptop).
	AuthNone AuthMode = iota
	// AuthToken makes a person sign in with a Kubernetes bearer token; the
	// API server says whom it belongs to (a SelfSubjectReview). Each action
	// is checked by a SelfSubjectAccessReview and then carried out, both
	// with a client built from the person's token (the dashboard of
	// ramp-controller), so the server's own credentials need no permission
	// for either review.
	AuthToken
)

// Options configure a Server. Reader, Informers and UI are always
// required; the rest depends on the mode (see New).
type Options struct {
	// Reader reads Rollouts, ReplicaSets, Pods, AnalysisRuns and
	// events.k8s.io/v1 Events: an informer cache shared by every browser.
	// Objects it returns are read, never changed.
	Reader client.Reader

	// Informers are the informers behind Reader, usually the same
	// cache.Cache. The Server adds event handlers to the informers of
	// Rollouts, ReplicaSets, Pods and AnalysisRuns to feed the stream.
	Informers cache.Informers

	// UI holds the web UI's files (index.html, app.js, app.css, …) at its
	// root, usually ui.Files.
	UI fs.FS

	// ReadOnly turns every action off: they answer 403.
	ReadOnly bool

	// Authenticate says who actions are carried out as: AuthNone (the
	// default) or AuthToken.
	Authenticate AuthMode

	// Writer carries out actions with AuthNone: a client with the user's
	// own credentials. Required with AuthNone unless ReadOnly.
	Writer client.Client

	// ClientForToken builds a client that talks to the API server (not to
	// a cache) with a person's bearer token. With AuthToken, sign-in asks
	// it who the token belongs to (a SelfSubjectReview), and each action
	// is checked (a SelfSubjectAccessReview) and carried out with it.
	// Required with AuthToken unless ReadOnly.
	ClientForToken func(token string) (client.Client, error)

	// AllowedHosts are host names (without port) that requests may be
	// addressed to besides localhost and IP addresses, such as the name of
	// an Ingress. Other Host headers are refused, which stops DNS
	// rebinding from reaching the dashboard through a page of another
	// site.
	AllowedHosts []string

	// Clock tells the time for session expiry and actions; nil is the
	// real clock.
	Clock clock.PassiveClock

	// Logger logs server errors and the actions taken; the zero value
	// discards.
	Logger logr.Logger
}

// Timings of the stream and of sessions.
const (
	// coalesceInterval is the least time between two batches of change
	// events sent to one browser.
	coalesceInterval = 250 * time.Millisecond
	// keepaliveInterval is how often an idle stream gets a comment line.
	keepaliveInterval = 15 * time.Second
	// sessionIdle is how long a session lives without being used.
	sessionIdle = 8 * time.Hour
	// maxPending is how many rollouts with unsent changes one stream may
	// hold before it is disconnected as too slow.
	maxPending = 4096
	// shutdownGrace is how long Serve waits for requests in flight once
	// its context ends.
	shutdownGrace = 5 * time.Second
)

// Server is the dashboard: the API, the stream and the UI. Build it with
// New; it is safe for concurrent use.
type Server struct {
	// opts are the options New was given, with defaults filled in.
	opts Options
	// log is opts.Logger.
	log logr.Logger
	// clock is opts.Clock, or the real clock.
	clock clock.PassiveClock
	// hub fans changes out to the open streams.
	hub *hub
	// owners maps the ReplicaSets seen by the informers to their Rollouts.
	owners *ownerIndex
	// replicaSets is the informer of ReplicaSets, set by watchInformers.
	replicaSets cache.Informer
	// sessions are the signed-in people (AuthToken).
	sessions *sessionStore
	// handler is the whole HTTP handler.
	handler http.Handler
	// closing is closed when Serve shuts down, to end the open streams.
	closing chan struct{}
	// closeOnce guards closing.
	closeOnce sync.Once
	// coalesce and keepalive are the stream's timings; tests shorten
	// them.
	coalesce, keepalive time.Duration
}

// New checks opts, registers the stream's event handlers on the
// informers and returns the Server.
func New(opts Options) (*Server, error) {
	if err := validate(opts); err != nil {
		return nil, fmt.Errorf("dashboard options: %w", err)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger.GetSink() == nil {
		opts.Logger = logr.Discard()
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		clock:     opts.Clock,
		hub:       newHub(maxPending),
		owners:    newOwnerIndex(),
		sessions:  newSessionStore(opts.Clock, sessionIdle),
		closing:   make(chan struct{}),
		coalesce:  coalesceInterval,
		keepalive: keepaliveInterval,
	}
	if err := s.watchInformers(context.Background()); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// validate says what is missing from opts for its mode.
func validate(opts Options) error {
	switch {
	case opts.Reader == nil:
		return errors.New("a reader is required")
	case opts.Informers == nil:
		return errors.New("informers are required for the stream")
	case opts.UI == nil:
		return errors.New("the UI files are required")
	}
	switch opts.Authenticate {
	case AuthNone:
		if opts.Writer == nil && !opts.ReadOnly {
			return errors.New("a writer is required for actions without sign-in; set ReadOnly to turn actions off")
		}
	case AuthToken:
		if opts.ClientForToken == nil && !opts.ReadOnly {
			return errors.New("ClientForToken is required for sign-in and actions with a token")
		}
	default:
		return fmt.Errorf("unknown authentication mode %d", opts.Authenticate)
	}
	return nil
}

// Handler is the dashboard as an http.Handler: the API under /api/v1 and
// the UI at /.
func (s *Server) Handler() http.Handler {
	return s.handler
}

// routes builds the handler: the endpoints of the API and the UI, behind
// the security headers, the Host check and the checks of state-changing
// requests.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/session", s.getSession)
	mux.HandleFunc("POST /api/v1/session", s.signIn)
	mux.HandleFunc("DELETE /api/v1/session", s.signOut)
	mux.HandleFunc("GET /api/v1/rollouts", s.listRollouts)
	mux.HandleFunc("GET /api/v1/namespaces/{namespace}/rollouts/{name}", s.getRollout)
	mux.HandleFunc("POST /api/v1/namespaces/{namespace}/rollouts/{name}/actions/{action}", s.act)
	mux.HandleFunc("GET /api/v1/stream", s.stream)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no API endpoint %s %s", r.Method, r.URL.Path))
	})
	mux.Handle("/", s.uiHandler())
	return securityHeaders(s.checkHost(s.checkStateChange(mux)))
}

// Start listens on addr (such as "127.0.0.1:3100") and serves until ctx
// ends, then shuts down gracefully.
func (s *Server) Start(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then ends the open streams, waits a
// few seconds for requests in flight and closes ln. It returns nil after
// a shutdown caused by ctx. A Server serves once: its streams stay ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	srv.RegisterOnShutdown(s.closeStreams)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve the dashboard: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut the dashboard down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve the dashboard: %w", err)
	}
	return nil
}

// closeStreams ends every open stream, so a shutdown need not wait for
// browsers to go away.
func (s *Server) closeStreams() {
	s.closeOnce.Do(func() { close(s.closing) })
}
