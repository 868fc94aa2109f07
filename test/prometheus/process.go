package prometheus

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long prometheus gets between SIGTERM and SIGKILL.
const stopGrace = 10 * time.Second

// maxLogBytes is how much of prometheus' output a server keeps.
const maxLogBytes = 1 << 20

// process is one run of the prometheus binary.
type process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited and been reaped
	waitErr error         // set before exited is closed
}

// startProcess starts bin with args through l, its output going to logs.
func startProcess(l *launcher, bin string, args []string, logs *logBuffer) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logs
	cmd.Stderr = logs
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Killed with the test binary (see launcher).
		Pdeathsig: syscall.SIGKILL,
		// Own process group: a Ctrl-C in a terminal reaches only the test,
		// which then stops prometheus itself.
		Setpgid: true,
	}
	if err := l.start(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// pid is the process id.
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
	p.kill()
}

// kill sends SIGKILL and waits for the exit.
func (p *process) kill() {
	if p.hasExited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// state is a few words on the process, for logs.
func (p *process) state() string {
	switch {
	case !p.hasExited():
		return fmt.Sprintf("running, pid %d", p.pid())
	case p.waitErr != nil:
		return fmt.Sprintf("exited: %v", p.waitErr)
	}
	return "exited"
}

// logBuffer keeps the last maxLogBytes of output written to it.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

// Write appends b, dropping the oldest whole lines beyond maxLogBytes.
func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	if over := len(l.buf) - maxLogBytes; over > 0 {
		cut := over
		if i := bytes.IndexByte(l.buf[over:], '\n'); i >= 0 {
			cut += i + 1
		}
		l.buf = append([]byte(nil), l.buf[cut:]...)
	}
	return len(b), nil
}

// String returns the kept output.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// mark writes a line that separates runs, and returns it.
func (l *logBuffer) mark(format string, args ...any) string {
	line := "=== " + fmt.Sprintf(format, args...) + " ===\n"
	_, _ = l.Write([]byte(line))
	return line
}

// since returns the output written after the last occurrence of marker.
func (l *logBuffer) since(marker string) string {
	s := l.String()
	if i := strings.LastIndex(s, marker); i >= 0 {
		return s[i+len(marker):]
	}
	return s
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
