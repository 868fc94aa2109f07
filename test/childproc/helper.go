package childproc

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// StartHelper runs the test binary again as a helper subprocess, with env
// (such as "NAME=1") added to its environment and no test selected, for
// its TestMain to act on env; such as to start children and wait to be
// killed, for a test that kills it and checks that they died with it.
//
// It returns once the helper printed a line starting with prefix, with the
// helper and the fields of that line after prefix. It fails the test when
// the helper exits first or ctx ends. The helper is killed at the end of the
// test, and dies with the test binary (it is started through a Launcher).
func StartHelper(ctx context.Context, t testing.TB, env, prefix string) (helper *exec.Cmd, fields []string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	stderr := &LogBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := NewLauncher()
	if err := l.Start(cmd); err != nil {
		l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // fails, and does nothing, if the test waited already
		l.Close()
	})
	lines := make(chan string, 1)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if strings.HasPrefix(s.Text(), prefix) {
				lines <- s.Text()
				return
			}
		}
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("helper exited without printing %q:\n%s", prefix, stderr.String())
		}
		return cmd, strings.Fields(strings.TrimPrefix(line, prefix))
	case <-ctx.Done():
		t.Fatalf("helper did not print %q in time:\n%s", prefix, stderr.String())
	}
	return nil, nil
}
