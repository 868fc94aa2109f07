package childproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a test helper that starts a child
// through a Launcher, prints the child's pid and waits to be killed.
const helperEnv = "RAMP_CHILDPROC_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		runHelper()
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// runHelper is the body of the helper subprocess. It starts the child from
// a goroutine whose thread then ends, so that only the launcher's thread
// can keep the child alive. It returns only on failure.
func runHelper() {
	l := NewLauncher()
	cmd := exec.Command("sleep", "600")
	errs := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		errs <- l.Start(cmd)
	}()
	if err := <-errs; err != nil {
		fmt.Fprintf(os.Stderr, "helper: %v\n", err)
		return
	}
	fmt.Printf("CHILD %d\n", cmd.Process.Pid)
	time.Sleep(10 * time.Minute) // until the test kills us
}

// waitGone waits until pid is no live process.
func waitGone(t *testing.T, pid int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive after %s", pid, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChildDiesWithParent starts a helper subprocess that starts a child
// through a Launcher, SIGKILLs the helper and checks that the kernel killed
// the child too.
func TestChildDiesWithParent(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	helper, fields := StartHelper(ctx, t, helperEnv+"=1", "CHILD ")
	if len(fields) != 1 {
		t.Fatalf("helper printed %q, want one pid", fields)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		t.Fatalf("bad helper pid %q", fields[0])
	}

	// The thread that called Start has ended by now; the child must still
	// run, held by the launcher's thread.
	time.Sleep(200 * time.Millisecond)
	if !Alive(pid) {
		t.Fatalf("child %d died while the helper runs", pid)
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	waitGone(t, pid, 10*time.Second)
}

// startFromEndingThread calls start on a goroutine locked to a thread that
// ends when start returns (not the main thread, which the runtime never
// ends), and returns start's error.
func startFromEndingThread(t *testing.T, start func() error) error {
	t.Helper()
	// A goroutine that lands on the main thread keeps it (locked, waiting
	// for release) so that the next one cannot land there too.
	release := make(chan struct{})
	defer close(release)
	for range 20 {
		errs := make(chan error, 1)
		onMain := make(chan bool, 1)
		go func() {
			runtime.LockOSThread()
			if syscall.Gettid() == os.Getpid() {
				onMain <- true
				<-release
				runtime.UnlockOSThread()
				return
			}
			onMain <- false
			errs <- start() // returns locked: the runtime ends the thread
		}()
		if !<-onMain {
			return <-errs
		}
	}
	t.Fatal("every goroutine ran on the main thread")
	return nil
}

// TestPdeathsigFollowsTheThread shows why Launcher exists: a child started
// with Pdeathsig from a thread that then ends is killed at once, while one
// started through a Launcher from such a thread keeps running.
func TestPdeathsigFollowsTheThread(t *testing.T) {
	bare := exec.Command("sleep", "600")
	bare.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := startFromEndingThread(t, bare.Start); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- bare.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(10 * time.Second):
		_ = bare.Process.Kill()
		t.Fatalf("child started with Pdeathsig from an ending thread still ran after 10s (then: %v)", <-waited)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child started with Pdeathsig from an ending thread: wait = %v, want killed by SIGKILL", err)
	}

	l := NewLauncher()
	defer l.Close()
	var held *Process
	if err := startFromEndingThread(t, func() error {
		var err error
		held, err = l.StartProcess(exec.Command("sleep", "600"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer held.Kill()
	select {
	case <-held.Exited():
		t.Fatalf("child started through a Launcher died with the calling thread: %s", held.State())
	case <-time.After(300 * time.Millisecond):
	}
}

func TestStartKeepsAttributesAndSetsPdeathsig(t *testing.T) {
	l := NewLauncher()
	defer l.Close()
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := l.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if a := cmd.SysProcAttr; !a.Setpgid || a.Pdeathsig != syscall.SIGKILL {
		t.Errorf("SysProcAttr = %+v, want Setpgid kept and Pdeathsig SIGKILL", *a)
	}

	plain := exec.Command("true")
	if err := l.Start(plain); err != nil {
		t.Fatal(err)
	}
	_ = plain.Wait()
	if plain.SysProcAttr == nil || plain.SysProcAttr.Pdeathsig != syscall.SIGKILL {
		t.Errorf("SysProcAttr = %+v, want Pdeathsig SIGKILL", plain.SysProcAttr)
	}

	if err := l.Start(exec.Command("/nonexistent/binary")); err == nil {
		t.Error("Start of a missing binary succeeded")
	}
}

func TestStartConcurrentlyAndAfterClose(t *testing.T) {
	l := NewLauncher()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			p, err := l.StartProcess(exec.Command("true"))
			if err == nil {
				<-p.Exited()
				err = p.Err()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("start %d: %v", i, err)
		}
	}
	l.Close()
	l.Close() // a second Close does nothing
	if err := l.Start(exec.Command("true")); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
	if p, err := l.StartProcess(exec.Command("true")); p != nil || !errors.Is(err, ErrClosed) {
		t.Errorf("StartProcess after Close = %v, %v, want ErrClosed", p, err)
	}
}

// startProcess starts name with args through a launcher closed at the end
// of the test; the process is killed then too.
func startProcess(t *testing.T, name string, args ...string) *Process {
	t.Helper()
	l := NewLauncher()
	t.Cleanup(l.Close)
	p, err := l.StartProcess(exec.Command(name, args...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

func TestStopTerminatesThenKills(t *testing.T) {
	t.Parallel()
	polite := startProcess(t, "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done")
	if polite.HasExited() || polite.State() != "running" || polite.Err() != nil {
		t.Fatalf("new process: exited %v, state %q, err %v", polite.HasExited(), polite.State(), polite.Err())
	}
	time.Sleep(200 * time.Millisecond) // let sh set its trap
	start := time.Now()
	polite.Stop(10 * time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop of a process that exits on SIGTERM took %s", d)
	}
	if got := polite.State(); got != "exited: exit status 7" {
		t.Errorf("State = %q, want exit status 7", got)
	}
	if Alive(polite.Pid()) {
		t.Errorf("process %d alive after Stop", polite.Pid())
	}

	stubborn := startProcess(t, "sh", "-c", "trap '' TERM; while :; do sleep 0.05; done")
	time.Sleep(200 * time.Millisecond)
	start = time.Now()
	stubborn.Stop(300 * time.Millisecond)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("Stop killed a process ignoring SIGTERM after %s, before the grace", d)
	}
	if got := stubborn.State(); got != "exited: signal: killed" {
		t.Errorf("State = %q, want killed", got)
	}
	stubborn.Stop(time.Second) // does nothing once exited
	stubborn.Kill()
}

func TestKillAndCleanExit(t *testing.T) {
	t.Parallel()
	p := startProcess(t, "sleep", "600")
	p.Kill()
	var exitErr *exec.ExitError
	if !errors.As(p.Err(), &exitErr) || !p.HasExited() {
		t.Errorf("after Kill: exited %v, err %v", p.HasExited(), p.Err())
	}

	ok := startProcess(t, "sh", "-c", "exit 0")
	select {
	case <-ok.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("sh -c 'exit 0' did not exit")
	}
	if ok.Err() != nil || ok.State() != "exited" {
		t.Errorf("clean exit: err %v, state %q", ok.Err(), ok.State())
	}
}

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Error("this process is not alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Until waited for, the exited child is a zombie: not alive.
	deadline := time.Now().Add(10 * time.Second)
	for Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("exited child %d (a zombie) counts as alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the zombie %d is gone before Wait: %v", pid, err)
	}
	_ = cmd.Wait()
	if Alive(pid) {
		t.Errorf("reaped child %d is alive", pid)
	}
}

func TestLogBufferKeepsWholeLastLines(t *testing.T) {
	l := &LogBuffer{MaxBytes: 20}
	for i := range 10 {
		_, _ = fmt.Fprintf(l, "line %d\n", i)
	}
	if got := l.String(); got != "line 8\nline 9\n" {
		t.Errorf("kept %q, want the last whole lines within 20 bytes", got)
	}
	_, _ = l.Write([]byte("a line longer than twenty bytes\n"))
	if got := l.String(); got != "" {
		t.Errorf("kept %q after a line longer than the bound", got)
	}

	var d LogBuffer
	big := strings.Repeat("x", 100_000) + "\n"
	for range 2 * DefaultLogBytes / len(big) {
		_, _ = d.Write([]byte(big))
	}
	if n := len(d.String()); n > DefaultLogBytes || n < DefaultLogBytes-len(big) {
		t.Errorf("zero LogBuffer keeps %d bytes, want about %d", n, DefaultLogBytes)
	}
}

func TestLogBufferConcurrentWriters(t *testing.T) {
	var l LogBuffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				_, _ = l.Write([]byte("x\n"))
			}
		})
	}
	wg.Wait()
	if n := strings.Count(l.String(), "x\n"); n != 400 {
		t.Errorf("%d lines kept, want 400", n)
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 5, "a\nb\nc"},
		{"", 3, ""},
		{"a\n\n\n", 1, "a"},
	}
	for _, tt := range tests {
		if got := Tail(tt.in, tt.n); got != tt.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestTailFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tail := strings.Split(TailFile(path, 100), "\n")
	if len(tail) != 100 || tail[0] != "line 50" || tail[99] != "line 149" {
		t.Fatalf("tail: %d lines, first %q", len(tail), tail[0])
	}
	if got := TailFile(filepath.Join(t.TempDir(), "absent"), 5); !strings.Contains(got, "log unavailable") {
		t.Fatalf("tail of a missing file: %q", got)
	}

	// Of a large file only the end is read, and its first, cut line left out.
	big := filepath.Join(t.TempDir(), "big.log")
	line := strings.Repeat("y", 99) + "\n"
	if err := os.WriteFile(big, []byte(strings.Repeat(line, 3*tailFileBytes/len(line))+"last\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(TailFile(big, 1<<20), "\n")
	if lines[len(lines)-1] != "last" || len(lines) > tailFileBytes/len(line)+1 {
		t.Errorf("tail of a large file: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	for _, l := range lines[:len(lines)-1] {
		if l != line[:len(line)-1] {
			t.Fatalf("tail of a large file holds a cut line %q", l)
		}
	}
}
