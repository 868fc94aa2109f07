package prometheus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampdev/ramp/test/childproc"
)

// DefaultBinary is where Debian's prometheus package installs the server.
const DefaultBinary = "/usr/bin/prometheus"

// DefaultScrapeInterval is how often targets are scraped unless
// Options.ScrapeInterval says otherwise.
const DefaultScrapeInterval = time.Second

// defaultStartTimeout bounds Start and Restart when ctx has no deadline.
const defaultStartTimeout = time.Minute

// logTailLines is how many lines of the log a startup error shows.
const logTailLines = 40

// ErrNotInstalled is returned by Start when the prometheus binary is missing.
var ErrNotInstalled = errors.New("prometheus is not installed: run make prometheus")

// Options configure a server.
type Options struct {
	// Targets are the host:port addresses, on loopback, whose /metrics the
	// server scrapes (such as Traffic.Addr()).
	Targets []string
	// ScrapeInterval is how often every target is scraped. Defaults to 1s.
	ScrapeInterval time.Duration
	// Binary is the prometheus executable. Defaults to /usr/bin/prometheus.
	Binary string
}

// Server is a real Prometheus server running as a child process on a
// loopback port, with its configuration and data in a temporary directory.
// Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	dir      string // holds prometheus.yml, data/ and the owner file
	port     int
	launcher *childproc.Launcher
	logs     *logBuffer

	mu      sync.Mutex
	proc    *childproc.Process // the current run; nil before the first
	stopped bool
}

// Start runs prometheus scraping opts.Targets and returns once it is ready
// and has scraped every target once (each target's up is 1). ctx bounds the
// wait (a minute when it has no deadline); the server runs until Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Binary == "" {
		opts.Binary = DefaultBinary
	}
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = DefaultScrapeInterval
	}
	if _, err := os.Stat(opts.Binary); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotInstalled
		}
		return nil, fmt.Errorf("check the prometheus binary: %w", err)
	}
	if err := checkTargets(opts.Targets); err != nil {
		return nil, err
	}
	removeStaleDirs(os.TempDir())
	dir, err := makeDir(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, dir: dir, launcher: childproc.NewLauncher(), logs: &logBuffer{}}
	// A free port can be taken between choosing it and prometheus binding
	// it; then prometheus exits, and another port is tried.
	for attempt := 1; ; attempt++ {
		s.port, err = freePort()
		if err == nil {
			err = s.run(ctx)
		}
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			s.Stop()
			return nil, err
		}
	}
}

// Address is the server's URL, such as http://127.0.0.1:40123. It stays the
// same across Kill and Restart.
func (s *Server) Address() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Kill ends prometheus with SIGKILL, as in an outage, and waits for it to
// exit; its data stays for Restart.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		p.Kill()
		s.logs.mark("prometheus killed")
	}
}

// Restart stops prometheus if it runs and starts it again on the same port
// with the same data, returning once it is ready and has scraped every
// target again.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	p, stopped := s.proc, s.stopped
	s.mu.Unlock()
	if stopped {
		return errStopped
	}
	if p != nil {
		p.Stop(stopGrace)
	}
	return s.run(ctx)
}

// Stop ends prometheus (SIGTERM, then SIGKILL after 10s) and removes its
// directory. The logs stay for DumpLogs. Calling Stop again does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		p.Stop(stopGrace)
		s.logs.mark("prometheus stopped")
	}
	s.launcher.Close()
	_ = os.RemoveAll(s.dir)
}

// DumpLogs writes the server's state and the output of every run of
// prometheus (the last MiB) to w, such as when a test failed.
func (s *Server) DumpLogs(w io.Writer) {
	s.mu.Lock()
	what := "never started"
	if s.proc != nil {
		what = state(s.proc)
	}
	s.mu.Unlock()
	_, _ = fmt.Fprintf(w, "--- prometheus at %s (%s) ---\n%s--- end of prometheus log ---\n", s.Address(), what, s.logs.String())
}

// run starts one prometheus process and waits until it is ready.
func (s *Server) run(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	args := []string{
		"--config.file=" + filepath.Join(s.dir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(s.dir, "data"),
		"--storage.tsdb.retention.time=1d",
		"--web.listen-address=" + strings.TrimPrefix(s.Address(), "http://"),
		"--log.level=info",
	}
	marker := s.logs.mark("starting %s %s", s.opts.Binary, strings.Join(args, " "))
	started := time.Now()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return errStopped
	}
	p, err := startProcess(s.launcher, s.opts.Binary, args, s.logs)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.proc = p
	s.mu.Unlock()
	if err := s.waitReady(ctx, p, started); err != nil {
		p.Stop(stopGrace)
		if strings.Contains(s.logs.since(marker), "address already in use") {
			return fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return err
	}
	return nil
}

// errPortTaken says prometheus could not bind its port.
var errPortTaken = errors.New("the port was taken")

// checkTargets checks that every target is host:port on loopback.
func checkTargets(targets []string) error {
	for _, t := range targets {
		host, port, err := net.SplitHostPort(t)
		if err != nil || port == "" {
			return fmt.Errorf("target %q is not host:port", t)
		}
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("target %q is not on loopback: tests scrape only 127.0.0.0/8, ::1 or localhost", t)
		}
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
