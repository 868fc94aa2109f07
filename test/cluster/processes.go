package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// logTailLines is how many lines of a process log DumpLogs and startup
// errors show.
const logTailLines = 100

// launcher starts child processes from one goroutine locked to its OS thread.
//
// Children get SysProcAttr.Pdeathsig = SIGKILL. Linux delivers that signal
// when the thread that forked the child exits, not the process, so the
// forking thread must live as long as the children: the launcher goroutine
// keeps its thread locked and parked until close, after the children are
// gone. If the test binary dies (panic, go test -timeout, SIGKILL) the thread
// dies with it and the kernel kills every child.
type launcher struct {
	requests chan launchRequest
	done     chan struct{}
	once     sync.Once
}

type launchRequest struct {
	cmd    *exec.Cmd
	result chan error
}

func newLauncher() *launcher {
	l := &launcher{requests: make(chan launchRequest), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *launcher) run() {
	// Never unlocked: when run returns the runtime ends this thread, which is
	// what we want once every child has exited.
	runtime.LockOSThread()
	for {
		select {
		case r := <-l.requests:
			r.result <- r.cmd.Start()
		case <-l.done:
			return
		}
	}
}

// start starts cmd on the launcher's thread.
func (l *launcher) start(cmd *exec.Cmd) error {
	r := launchRequest{cmd: cmd, result: make(chan error, 1)}
	select {
	case l.requests <- r:
		return <-r.result
	case <-l.done:
		return errors.New("the plane is stopped")
	}
}

// close lets the launcher goroutine and its thread exit. Call it only after
// every child has exited.
func (l *launcher) close() {
	l.once.Do(func() { close(l.done) })
}

// process is one running control-plane component.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	exited  chan struct{} // closed when the process has exited and been reaped
	waitErr error         // set before exited is closed
}

// startProcess starts bin with args through l, sending its stdout and stderr
// to logPath (and to extraLog, prefixed with the name, when not nil).
func startProcess(l *launcher, name, bin string, args, env []string, dir, logPath string, extraLog io.Writer) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out io.Writer = logFile
	if extraLog != nil {
		out = io.MultiWriter(logFile, &prefixWriter{prefix: "[" + name + "] ", w: extraLog})
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Pdeathsig: syscall.SIGKILL,
		// Own process group: a Ctrl-C in the terminal reaches only the
		// parent, which then stops the components in order.
		Setpgid: true,
	}
	if err := l.start(cmd); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: logFile, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// hasExited reports whether the process has exited.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// exitError describes how the process ended, with the tail of its log.
func (p *process) exitError() error {
	return fmt.Errorf("%s exited unexpectedly (%w); last lines of %s:\n%s", p.name, p.waitErr, p.logPath, tailFile(p.logPath, logTailLines))
}

// stop sends SIGTERM, then SIGKILL after grace, and waits for the exit.
func (p *process) stop(grace time.Duration) {
	if p.hasExited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// status is a one-word state for log dumps.
func (p *process) status() string {
	if !p.hasExited() {
		return "running"
	}
	if p.waitErr == nil {
		return "exited"
	}
	return "exited: " + p.waitErr.Error()
}

// tailFile returns the last n lines of a file, or a note saying why it could
// not be read.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	defer func() { _ = f.Close() }()
	const maxRead = 256 << 10
	info, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	offset := info.Size() - maxRead
	if offset < 0 {
		offset = 0
	}
	buf := make([]byte, info.Size()-offset)
	if _, err := f.ReadAt(buf, offset); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if offset > 0 && len(lines) > 0 {
		lines = lines[1:] // first line is probably cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// prefixWriter writes whole lines to w, each prefixed. Writers for several
// processes may share one w; writes to w are serialized.
type prefixWriter struct {
	prefix string
	w      io.Writer
	buf    []byte
}

var prefixWriterMu sync.Mutex

func (pw *prefixWriter) Write(b []byte) (int, error) {
	prefixWriterMu.Lock()
	defer prefixWriterMu.Unlock()
	pw.buf = append(pw.buf, b...)
	for {
		i := bytes.IndexByte(pw.buf, '\n')
		if i < 0 {
			break
		}
		line := pw.prefix + string(pw.buf[:i+1])
		pw.buf = pw.buf[i+1:]
		// Errors of the extra log must not break the component's own log.
		_, _ = io.WriteString(pw.w, line)
	}
	return len(b), nil
}

// processAlive reports whether pid names a live (not zombie) process.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return errors.Is(err, syscall.EPERM)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesized command name: "pid (comm) S ...".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return true
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}
