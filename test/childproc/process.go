package childproc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Process is a child started by Launcher.StartProcess, waited for in the
// background.
type Process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited and been reaped
	waitErr error         // set before exited is closed
}

// StartProcess starts cmd like Start and waits for it in the background; do
// not call cmd.Wait, nor use cmd's StdoutPipe or StderrPipe (Wait would
// close them at once).
func (l *Launcher) StartProcess(cmd *exec.Cmd) (*Process, error) {
	if err := l.Start(cmd); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// HasExited reports whether the process has exited.
func (p *Process) HasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Err returns what cmd.Wait returned: nil for an exit with status 0, an
// *exec.ExitError for another status or a signal. It is nil while the
// process runs.
func (p *Process) Err() error {
	if !p.HasExited() {
		return nil
	}
	return p.waitErr
}

// State is a few words on the process for logs: "running", "exited" or
// "exited: " and how.
func (p *Process) State() string {
	switch {
	case !p.HasExited():
		return "running"
	case p.waitErr != nil:
		return "exited: " + p.waitErr.Error()
	}
	return "exited"
}

// Stop sends SIGTERM, then SIGKILL if the process has not exited after
// grace, and waits for the exit. It does nothing once the process exited.
func (p *Process) Stop(grace time.Duration) {
	if p.HasExited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(grace):
	}
	p.Kill()
}

// Kill sends SIGKILL and waits for the exit. It does nothing once the
// process exited.
func (p *Process) Kill() {
	if p.HasExited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Alive reports whether pid names a live process: one that exists (even if
// this process may not signal it) and is not a zombie.
func Alive(pid int) bool {
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
