package prometheus

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/rampdev/ramp/test/childproc"
)

// stopGrace is how long prometheus gets between SIGTERM and SIGKILL.
const stopGrace = 10 * time.Second

// errStopped is returned when a server is started after Stop.
var errStopped = errors.New("the prometheus server is stopped")

// startProcess starts bin with args through l, its output going to logs.
func startProcess(l *childproc.Launcher, bin string, args []string, logs *logBuffer) (*childproc.Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logs
	cmd.Stderr = logs
	// Own process group: a Ctrl-C in a terminal reaches only the test,
	// which then stops prometheus itself. The launcher adds Pdeathsig, so
	// that prometheus dies with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := l.StartProcess(cmd)
	if errors.Is(err, childproc.ErrClosed) {
		return nil, errStopped
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	return p, nil
}

// state is a few words on p, for logs.
func state(p *childproc.Process) string {
	if !p.HasExited() {
		return fmt.Sprintf("running, pid %d", p.Pid())
	}
	return p.State()
}

// logBuffer keeps the last MiB of prometheus' output, across its runs.
type logBuffer struct {
	childproc.LogBuffer
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
