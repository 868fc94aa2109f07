// Package dev checks `make dev`: the dev program starts a plane with the
// example Rollout on it, prints a kubeconfig that kubectl can use, and
// leaves no process behind after Ctrl-C.
package dev

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampdev/ramp/test/childproc"
	"github.com/rampdev/ramp/test/cluster"
)

// children returns the pids of the direct children of pid (started from any
// of its threads), read from /proc.
func children(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, task := range tasks {
		data, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended
		}
		for _, f := range strings.Fields(string(data)) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, n)
		}
	}
	return pids
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestDevStartsPlaneAndCleansUpOnInterrupt(t *testing.T) {
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "dev")
	build := exec.Command("go", "build", "-o", bin, "./hack/dev")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build hack/dev: %v\n%s", err, out)
	}

	cmd := exec.Command(bin)
	cmd.Dir = root
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// The launcher starts dev with Pdeathsig from a thread that lives until
	// the test's end, after dev has exited or been killed.
	launcher := childproc.NewLauncher()
	t.Cleanup(launcher.Close)
	if err := launcher.Start(cmd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Read until the banner names the kubeconfig and kubectl, then the hint
	// to press Ctrl-C.
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var kubeconfig, kubectl string
	var printed strings.Builder
	timeout := time.After(3 * time.Minute)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("dev exited before it was ready:\n%s\nstderr:\n%s", printed.String(), stderr.String())
			}
			printed.WriteString(line + "\n")
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "kubeconfig:":
				kubeconfig = f[1]
			case len(f) == 2 && f[0] == "kubectl:":
				kubectl = f[1]
			case strings.HasPrefix(line, "Press Ctrl-C"):
				break wait
			}
		case <-timeout:
			t.Fatalf("dev not ready after 3 minutes:\n%s\nstderr:\n%s", printed.String(), stderr.String())
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if kubeconfig == "" || kubectl == "" {
		t.Fatalf("dev did not print the kubeconfig and kubectl paths:\n%s", printed.String())
	}

	out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "get", "rollouts", "-A").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get rollouts -A: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "canary-demo") {
		t.Errorf("kubectl get rollouts -A does not list the example:\n%s", out)
	}

	components := children(t, cmd.Process.Pid)
	if len(components) < 5 {
		t.Errorf("dev runs %d child processes; want etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok", len(components))
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev exited with %v after Ctrl-C; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("dev still running a minute after Ctrl-C")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, pid := range components {
		for alive(pid) {
			select {
			case <-ctx.Done():
				t.Fatalf("process %d outlived dev", pid)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("the plane's directory (%s) is left after Ctrl-C", filepath.Dir(kubeconfig))
	}
}
