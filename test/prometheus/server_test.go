package prometheus

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestErrorRatioKillRestartStop(t *testing.T) {
	t.Parallel()
	traffic := startTraffic(t, "checkout")
	traffic.SetErrorRatio(0.2)
	s := startServer(t, traffic.Addr())
	address := s.Address()

	waitForRatio(t, s, "checkout", 0.2)
	traffic.SetErrorRatio(0)
	waitForRatio(t, s, "checkout", 0)

	s.Kill()
	_, err := measure(address, ErrorRatioQuery("checkout"))
	wantPrefix := "could not reach prometheus at " + address + ": "
	if err == nil || !strings.HasPrefix(err.Error(), wantPrefix) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("query after Kill: error = %v, want %s...connection refused", err, wantPrefix)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Address() != address {
		t.Errorf("address after Restart = %s, want %s", s.Address(), address)
	}
	traffic.SetErrorRatio(0.5)
	waitForRatio(t, s, "checkout", 0.5)

	pid := s.proc.Pid()
	s.Stop()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("prometheus (pid %d) still exists after Stop: kill -0 says %v", pid, err)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s still exists after Stop: %v", s.dir, err)
	}
	s.Stop() // a second Stop does nothing
	if err := s.Restart(ctx); err == nil {
		t.Error("Restart after Stop succeeded, want an error")
	}
	var logs strings.Builder
	s.DumpLogs(&logs)
	for _, want := range []string{"prometheus killed", "Server is ready to receive web requests", "prometheus stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("DumpLogs does not hold %q:\n%s", want, logs.String())
		}
	}
}

func TestStartWithoutBinary(t *testing.T) {
	_, err := Start(context.Background(), Options{Binary: "/nonexistent/prometheus"})
	if !errors.Is(err, ErrNotInstalled) || err.Error() != "prometheus is not installed: run make prometheus" {
		t.Errorf("Start error = %v, want %v", err, ErrNotInstalled)
	}
}

func TestStartChecksTargets(t *testing.T) {
	tests := []struct{ target, wantErr string }{
		{"127.0.0.1", `target "127.0.0.1" is not host:port`},
		{"192.0.2.10:9100", `target "192.0.2.10:9100" is not on loopback: tests scrape only 127.0.0.0/8, ::1 or localhost`},
		{"prometheus.example:9090", `target "prometheus.example:9090" is not on loopback: tests scrape only 127.0.0.0/8, ::1 or localhost`},
	}
	for _, tt := range tests {
		_, err := Start(context.Background(), Options{Targets: []string{tt.target}})
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("Start with target %s: error = %v, want %s", tt.target, err, tt.wantErr)
		}
	}
}

func TestStartReportsAnExitingServer(t *testing.T) {
	// A binary that exits at once: Start says so, with its log, without
	// waiting for the timeout.
	dir := t.TempDir()
	bin := filepath.Join(dir, "prometheus")
	script := "#!/bin/sh\necho 'level=error msg=\"cannot start\"' >&2\nexit 3\n"
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Start(context.Background(), Options{Binary: bin})
	if err == nil || !strings.Contains(err.Error(), "prometheus exited while starting (exited: exit status 3)") || !strings.Contains(err.Error(), `msg="cannot start"`) {
		t.Errorf("Start error = %v, want the exit status and the log", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Start took %s to notice the exit", time.Since(start))
	}
}

func TestRemoveStaleDirs(t *testing.T) {
	root := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]int{
		dirPrefix + "dead":  dead.Process.Pid,
		dirPrefix + "alive": os.Getpid(),
		"other-dir":         dead.Process.Pid,
	}
	for name, pid := range dirs {
		if err := os.MkdirAll(filepath.Join(root, name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name, ownerFile), []byte(strconv.Itoa(pid)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleDirs(root)
	for name, wantKept := range map[string]bool{dirPrefix + "dead": false, dirPrefix + "alive": true, "other-dir": true} {
		_, err := os.Stat(filepath.Join(root, name))
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s kept = %v, want %v", name, kept, wantKept)
		}
	}
}

func TestConfig(t *testing.T) {
	got := config(Options{Targets: []string{"127.0.0.1:9100", "[::1]:9101"}, ScrapeInterval: 1500 * time.Millisecond})
	want := `global:
  scrape_interval: 1500ms
  scrape_timeout: 1500ms
  evaluation_interval: 1500ms
scrape_configs:
  - job_name: ramp-test
    static_configs:
      - targets: ["127.0.0.1:9100", "[::1]:9101"]
`
	if got != want {
		t.Errorf("config =\n%s\nwant\n%s", got, want)
	}
}
