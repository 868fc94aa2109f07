package childproc

import (
	"errors"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// ErrClosed is returned by Start once the launcher is closed.
var ErrClosed = errors.New("childproc: the launcher is closed")

// Launcher starts child processes from one goroutine locked to its OS
// thread, so that their Pdeathsig fires when the test binary dies and not
// before (see the package documentation). Its methods are safe for
// concurrent use.
type Launcher struct {
	requests chan launchRequest
	done     chan struct{}
	once     sync.Once
}

type launchRequest struct {
	cmd    *exec.Cmd
	result chan error
}

// NewLauncher starts a launcher's goroutine and locks it to its thread.
// Close it once every child it started has exited.
func NewLauncher() *Launcher {
	l := &Launcher{requests: make(chan launchRequest), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *Launcher) run() {
	// Never unlocked: when run returns the runtime ends this thread, which
	// is wanted only once the children are gone.
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

// Start sets cmd's SysProcAttr.Pdeathsig to SIGKILL (keeping its other
// attributes) and starts cmd on the launcher's thread. The caller waits for
// cmd as usual. It returns ErrClosed after Close.
func (l *Launcher) Start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	r := launchRequest{cmd: cmd, result: make(chan error, 1)}
	select {
	case l.requests <- r:
		return <-r.result
	case <-l.done:
		return ErrClosed
	}
}

// Close lets the launcher's goroutine return and its thread end (the
// runtime ends it, unless it is the main thread, which it keeps). Call it
// only once every child has exited: a child still running may be killed.
// Calling it again does nothing.
func (l *Launcher) Close() {
	l.once.Do(func() { close(l.done) })
}
