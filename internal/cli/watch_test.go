package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// waitOutput waits until the output of s satisfies cond, failing the test
// with the output seen after a timeout.
func waitOutput(t *testing.T, s *started, what string, cond func(out string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := s.out.String()
		if cond(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stdout:\n%s\nstderr:\n%s", what, out, s.errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitExit waits for the command to end and returns its exit code.
func waitExit(t *testing.T, s *started) int {
	t.Helper()
	select {
	case code := <-s.code:
		return code
	case <-time.After(10 * time.Second):
		t.Fatalf("the command did not end; stdout:\n%s", s.out.String())
	}
	return 0
}

// frames splits the output of a watch that is not on a terminal into its
// frames.
func frames(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n\nName:")
}

// updateStatus writes the Rollout's status with mutate applied.
func updateStatus(t *testing.T, c client.WithWatch, mutate func(*rampv1alpha1.Rollout)) {
	t.Helper()
	ro := &rampv1alpha1.Rollout{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, ro); err != nil {
		t.Fatal(err)
	}
	mutate(ro)
	if err := c.Status().Update(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
}

func TestGetRolloutWatchRedrawsOnChange(t *testing.T) {
	c := viewCluster(viewObjects("web")...)
	s := startAgainst(c, "-n", "shop", "get", "rollout", "web", "--watch")
	waitOutput(t, s, "the first frame", func(out string) bool { return strings.Contains(out, "Step:     2/4 (pause)") })

	updateStatus(t, c, func(ro *rampv1alpha1.Rollout) { ro.Status.CurrentStepIndex = ptr.To[int32](3) })
	out := waitOutput(t, s, "a frame at step 4/4", func(out string) bool { return strings.Contains(out, "Step:     4/4 (pause)") })
	if n := len(frames(out)); n != 2 {
		t.Errorf("one change drew %d frames after the first, want 1:\n%s", n-1, out)
	}

	// A burst of changes to pods and runs draws one frame.
	pod := &corev1.Pod{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web-cweb-x1"}, pod); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		pod.Status.ContainerStatuses[0].RestartCount = int32(i + 1)
		if err := c.Status().Update(context.Background(), pod); err != nil {
			t.Fatal(err)
		}
	}
	out = waitOutput(t, s, "a frame with 10 restarts", func(out string) bool { return strings.Contains(out, "10 restarts") })
	time.Sleep(2 * coalesceWindow)
	if n := len(frames(s.out.String())); n > 4 {
		t.Errorf("a burst of 10 pod changes drew %d frames, want 1 (at most 2):\n%s", n-2, out)
	}

	s.cancel()
	if code := waitExit(t, s); code != 0 {
		t.Errorf("Ctrl-C ended the watch with exit code %d, want 0; stderr %q", code, s.errOut.String())
	}
}

func TestGetRolloutWatchEndsWhenDeleted(t *testing.T) {
	c := viewCluster(viewObjects("web")...)
	s := startAgainst(c, "-n", "shop", "get", "rollout", "web", "--watch")
	defer s.cancel()
	waitOutput(t, s, "the first frame", func(out string) bool { return strings.Contains(out, "Name:       web") })
	if err := c.Delete(context.Background(), viewRollout("shop", "web", nil)); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, s); code != 0 {
		t.Errorf("the watch of a deleted rollout ended with exit code %d, want 0; stderr %q", code, s.errOut.String())
	}
	if out := s.out.String(); !strings.HasSuffix(out, "\nrollout \"web\" was deleted from namespace \"shop\"\n") {
		t.Errorf("the watch does not say the rollout was deleted:\n%s", out)
	}
}

func TestScreenWithoutTerminal(t *testing.T) {
	var b bytes.Buffer
	scr := newScreen(&b)
	for _, frame := range []string{"one\n", "one\n", "two\nlines\n"} {
		if err := scr.show(frame); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := b.String(), "one\n\ntwo\nlines\n"; got != want {
		t.Errorf("frames written as %q, want %q (a repeated frame left out, a blank line between frames)", got, want)
	}
}

func TestScreenOnTerminal(t *testing.T) {
	var b bytes.Buffer
	scr := &screen{w: &b, size: func() (int, int, error) { return 10, 5, nil }}
	for _, frame := range []string{"one\ntwo\n", "three\n", "three\n", "a line of 14 c\n", "1\n2\n3\n4\n5\n", "end\n"} {
		if err := scr.show(frame); err != nil {
			t.Fatal(err)
		}
	}
	want := "one\ntwo\n" +
		"\x1b[2F\x1b[J" + "three\n" + // up the 2 rows of the last frame, clear to the end
		"\x1b[1F\x1b[J" + "a line of 14 c\n" + // the repeated frame is left out
		"\x1b[2F\x1b[J" + "1\n2\n3\n4\n5\n" + // 14 columns wrapped on 2 rows
		"\x1b[H\x1b[2J" + "end\n" // a frame as tall as the screen: clear it all
	if got := b.String(); got != want {
		t.Errorf("frames drawn as\n%q\nwant\n%q", got, want)
	}
}

func TestRowsTaken(t *testing.T) {
	for _, tc := range []struct {
		text string
		cols int
		want int
	}{
		{"a\nb\n", 80, 2},
		{strings.Repeat("x", 100) + "\n", 80, 2},
		{"\x1b[32m" + strings.Repeat("✔", 80) + "\x1b[0m\n", 80, 1},
		{"\n\n", 80, 2},
		{"long line\n", 0, 1},
	} {
		if got := rowsTaken(tc.text, tc.cols); got != tc.want {
			t.Errorf("rowsTaken(%q, %d) = %d, want %d", tc.text, tc.cols, got, tc.want)
		}
	}
}
