package cliwatch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// paneSize is the terminal size of the tmux pane: tall enough for a whole
// frame of get rollout, so a frame drawn below the last one instead of in
// its place would show.
const paneCols, paneRows = "160", "70"

// pollEvery is how often the pane is read while waiting: a terminal's
// screen cannot be watched, only read again.
const pollEvery = 100 * time.Millisecond

// terminal is a command running in a detached tmux session on a tmux
// server of its own.
type terminal struct {
	tmux, socket, session string
	// status is the file the command's exit code is written to.
	status string
}

// buildPlugin builds kubectl-ramp into a temporary directory and returns
// its path.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-ramp")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/rampdev/ramp/cmd/kubectl-ramp").CombinedOutput()
	if err != nil {
		t.Fatalf("build kubectl-ramp: %v\n%s", err, out)
	}
	return bin
}

// startTerminal runs argv in a new tmux session and stops the tmux server
// when the test ends. The command runs under sh, which writes its exit
// code to a file once it ends; the shell's INT trap lets Ctrl-C reach the
// command alone.
func startTerminal(t *testing.T, argv ...string) *terminal {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatalf("tmux is needed to run the plugin in a terminal; install it with make tmux (apt-get install tmux): %v", err)
	}
	dir := t.TempDir()
	term := &terminal{
		tmux: tmux, socket: filepath.Join(dir, "tmux.sock"), session: "watch",
		status: filepath.Join(dir, "exit-status"),
	}
	script := `trap 'true' INT; "$@"; echo $? > "$0"`
	args := append([]string{"new-session", "-d", "-s", term.session, "-x", paneCols, "-y", paneRows,
		"sh", "-c", script, term.status}, argv...)
	if out, err := term.run(args...); err != nil {
		t.Fatalf("start tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = term.run("kill-server") })
	return term
}

// run runs a tmux command against the terminal's own server, ignoring
// the user's configuration, in UTF-8.
func (term *terminal) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, term.tmux, append([]string{"-u", "-f", os.DevNull, "-S", term.socket}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pane returns what the terminal's screen shows.
func (term *terminal) pane() string {
	out, err := term.run("capture-pane", "-p", "-t", term.session)
	if err != nil {
		return "(capture-pane: " + err.Error() + ": " + out + ")"
	}
	return out
}

// waitPane reads the screen every pollEvery until cond holds, and returns
// it; after timeout the test fails with the last screen seen.
func (term *terminal) waitPane(t *testing.T, what string, timeout time.Duration, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		screen := term.pane()
		if cond(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal did not show %s within %s; its screen:\n%s", what, timeout, screen)
		}
		time.Sleep(pollEvery)
	}
}

// interrupt presses Ctrl-C in the terminal.
func (term *terminal) interrupt(t *testing.T) {
	t.Helper()
	if out, err := term.run("send-keys", "-t", term.session, "C-c"); err != nil {
		t.Fatalf("send Ctrl-C: %v\n%s", err, out)
	}
}

// waitExit waits for the command to end and returns its exit code; after
// timeout the test fails with the last screen seen.
func (term *terminal) waitExit(t *testing.T, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if data, err := os.ReadFile(term.status); err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command did not end within %s; its screen:\n%s", timeout, term.pane())
		}
		time.Sleep(pollEvery)
	}
}
