package prometheus

import (
	"errors"
	"os/exec"
	"runtime"
	"sync"
)

// errLauncherClosed is returned when a server is started after Stop.
var errLauncherClosed = errors.New("the prometheus server is stopped")

// launcher starts processes from one goroutine locked to its OS thread.
//
// The processes get SysProcAttr.Pdeathsig = SIGKILL, which Linux sends when
// the thread that forked the child exits (not the whole process). The
// launcher's thread therefore stays alive, locked and parked, for as long as
// the server may run: if the test binary dies, the thread dies with it and
// the kernel kills prometheus.
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
	// Never unlocked: when run returns, the runtime ends the thread, which
	// is wanted only once the server's process is gone.
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
		return errLauncherClosed
	}
}

// close lets the launcher's goroutine and thread end. Call it only once the
// process it started has exited.
func (l *launcher) close() {
	l.once.Do(func() { close(l.done) })
}
