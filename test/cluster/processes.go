package cluster

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/rampdev/ramp/test/childproc"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// logTailLines is how many lines of a process log DumpLogs and startup
// errors show.
const logTailLines = 100

// process is one running control-plane component.
type process struct {
	*childproc.Process
	name    string
	logPath string
}

// startProcess starts bin with args through l, sending its stdout and stderr
// to logPath (and to extraLog, prefixed with the name, when not nil).
func startProcess(l *childproc.Launcher, name, bin string, args, env []string, dir, logPath string, extraLog io.Writer) (*process, error) {
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
	// Own process group: a Ctrl-C in the terminal reaches only the parent,
	// which then stops the components in order. The launcher adds
	// Pdeathsig, so that the components die with the parent.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := l.StartProcess(cmd)
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		<-proc.Exited()
		_ = logFile.Close()
	}()
	return &process{Process: proc, name: name, logPath: logPath}, nil
}

// exitError describes how the process ended, with the tail of its log.
func (p *process) exitError() error {
	return fmt.Errorf("%s exited unexpectedly (%w); last lines of %s:\n%s", p.name, p.Err(), p.logPath, childproc.TailFile(p.logPath, logTailLines))
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
