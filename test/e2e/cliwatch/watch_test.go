package cliwatch

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/cluster"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// Timeouts: the controller moves a rollout within seconds; the screen
// follows within a redraw.
const (
	rolloutTimeout = time.Minute
	screenTimeout  = 30 * time.Second
)

// TestGetRolloutWatch runs kubectl ramp get rollout web --watch in a
// terminal while an update waits at its first step (a pause), promotes
// it, and checks that the screen moves to the next pause with the new
// weight, drawn in place of the previous frame, and that Ctrl-C ends the
// plugin with exit code 0.
func TestGetRolloutWatch(t *testing.T) {
	k8s := framework.Client(t)
	ns := framework.Namespace(t, k8s)
	plugin := buildPlugin(t)

	ro := framework.NewRollout(ns, "web", "example.com/web:1", 2,
		framework.Pause(), framework.SetWeight(50), framework.Pause())
	framework.Create(t, k8s, ro)
	key := client.ObjectKeyFromObject(ro)
	framework.WaitRollout(t, k8s, key, rolloutTimeout, "phase Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy
	})
	framework.SetImage(t, k8s, ro, "example.com/web:2")
	framework.WaitRollout(t, k8s, key, rolloutTimeout, "a pause at step 1", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.Phase == rampv1alpha1.RolloutPhasePaused &&
			framework.StepIndex(r) == 0
	})

	term := startTerminal(t, plugin, "get", "rollout", "web", "--watch",
		"--kubeconfig", cluster.Current().KubeconfigPath(), "--namespace", ns)
	screen := term.waitPane(t, "the header at step 1/3", screenTimeout, func(s string) bool {
		return strings.Contains(s, "Step:     1/3 (pause)")
	})
	for _, want := range []string{
		"Name:       web", "Namespace:  " + ns, "Status:     ॥ Paused", "Strategy:   canary",
		"Images:     example.com/web:2 (canary)", "example.com/web:1 (stable)", "revision 2", "revision 1",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen at step 1 does not show %q:\n%s", want, screen)
		}
	}

	framework.Promote(t, k8s, ro)
	screen = term.waitPane(t, "step 3/3 at weight 50", screenTimeout, func(s string) bool {
		return strings.Contains(s, "Step:     3/3 (pause)") && strings.Contains(s, "Weight:   set 50, actual 50")
	})
	if n := strings.Count(screen, "Name:"); n != 1 {
		t.Errorf("the screen shows %d frames, want 1 (each frame drawn in place of the last):\n%s", n, screen)
	}

	term.interrupt(t)
	if code := term.waitExit(t, screenTimeout); code != "0" {
		t.Errorf("after Ctrl-C, kubectl ramp get rollout --watch exited with %s, want 0", code)
	}
}
