package view

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Second: "5s", 3*time.Minute + 20*time.Second: "3m", 2*time.Hour + 59*time.Minute: "2h", 4*day + time.Hour: "4d",
	} {
		if got := age(now.Add(-d), now); got != want {
			t.Errorf("age of %s = %q, want %q", d, got, want)
		}
	}
}

func TestPodState(t *testing.T) {
	waiting := func(reason string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0] = corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
		}
	}
	rs := newReplicaSet(newRollout("ns", "web", 1, day, rampv1alpha1.RolloutStrategy{}), "abc", "1", "img", 1, 1, day)
	for _, tc := range []struct {
		name   string
		mutate func(*corev1.Pod)
		want   string
		tone   tone
	}{
		{"running and ready", func(*corev1.Pod) {}, "✔ Running", good},
		{"running, not ready", func(p *corev1.Pod) { p.Status.ContainerStatuses[0].Ready = false }, "◌ Running", busy},
		{"crash loop", waiting("CrashLoopBackOff"), "✖ CrashLoopBackOff", bad},
		{"image pull", waiting("ErrImagePull"), "✖ ErrImagePull", bad},
		{"creating", waiting("ContainerCreating"), "◌ ContainerCreating", busy},
		{"evicted", func(p *corev1.Pod) { p.Status.Phase, p.Status.Reason = corev1.PodFailed, "Evicted" }, "✖ Evicted", bad},
		{"terminating", func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(ago(time.Second)) }, "◌ Terminating", faint},
		{"no status yet", func(p *corev1.Pod) { p.Status = corev1.PodStatus{} }, "◌ Pending", busy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := newPod(&rs, "x", time.Minute)
			tc.mutate(&pod)
			if got := podState(&pod); got.text() != tc.want || got.tone != tc.tone {
				t.Errorf("podState = %q (tone %d), want %q (tone %d)", got.text(), got.tone, tc.want, tc.tone)
			}
		})
	}
}

func TestRunSummary(t *testing.T) {
	ro := newRollout("ns", "web", 1, day, rampv1alpha1.RolloutStrategy{})
	for _, tc := range []struct {
		name string
		run  rampv1alpha1.AnalysisRun
		want string
	}{{
		name: "a failed run shows the failed metric, even when another was measured later",
		run: newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseFailed, "", time.Minute,
			metric{name: "latency", success: "result < 1", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{"0.2"}, lastAt: time.Second},
			metric{name: "errors", success: "result < 0.05", failure: "result > 0.2", phase: rampv1alpha1.AnalysisPhaseFailed,
				values: []string{"0.1", "0.3", "0.4", "0.5"}}),
		want: "errors: 0.5, 0.4, 0.3 (failureCondition result > 0.2)",
	}, {
		name: "a running run shows the metric measured last",
		run: newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseRunning, "", time.Minute,
			metric{name: "latency", success: "result < 1", phase: rampv1alpha1.AnalysisPhaseRunning, values: []string{"0.2"}, lastAt: time.Second},
			metric{name: "errors", success: "result < 0.05", phase: rampv1alpha1.AnalysisPhaseRunning, values: []string{"0.01"}}),
		want: "latency: 0.2 (successCondition result < 1)",
	}, {
		name: "a metric that errored shows its last error",
		run: func() rampv1alpha1.AnalysisRun {
			run := newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseError, "", time.Minute,
				metric{name: "errors", success: "result < 0.05", phase: rampv1alpha1.AnalysisPhaseError, values: []string{"", ""}})
			run.Status.MetricResults[0].Measurements[1].Message = "query failed:\nconnection refused"
			return run
		}(),
		want: "errors: error, error (last error: query failed: connection refused)",
	}, {
		name: "a dry-run metric measured last is marked",
		run: newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseRunning, "", time.Minute,
			metric{name: "shadow", phase: rampv1alpha1.AnalysisPhaseFailed, values: []string{"7"}, lastAt: time.Second, dryRun: true},
			metric{name: "errors", phase: rampv1alpha1.AnalysisPhaseRunning, values: []string{"0.01"}}),
		want: "shadow: 7 [dry run]",
	}, {
		name: "a dry-run metric never decides a failed run",
		run: newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseFailed, "", time.Minute,
			metric{name: "shadow", phase: rampv1alpha1.AnalysisPhaseFailed, values: []string{"7"}, lastAt: time.Second, dryRun: true},
			metric{name: "errors", success: "result < 0.05", phase: rampv1alpha1.AnalysisPhaseFailed, values: []string{"0.2"}}),
		want: "errors: 0.2 (successCondition result < 0.05)",
	}, {
		name: "a run not measured yet shows its message",
		run:  newRun(ro, "r", "h", rampv1alpha1.AnalysisPhasePending, "Waiting 30s (initialDelay)", time.Minute, metric{name: "errors"}),
		want: "Waiting 30s (initialDelay)",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runSummary(&tc.run); got != tc.want {
				t.Errorf("runSummary = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClusterTextCannotDriveTheTerminal(t *testing.T) {
	objs := healthy()
	objs.Rollout.Status.Message = "evil\x1b[2J\x1b[Hmessage\nsecond line"
	out := Rollout(objs, Options{Now: now})
	if strings.Contains(out, "\x1b") {
		t.Errorf("an escape sequence from the message reached the output:\n%q", out)
	}
	if !strings.Contains(out, "Message:    evil^[[2J^[[Hmessage second line\n") {
		t.Errorf("the message is not shown escaped on one line:\n%s", out)
	}
}

func TestRolloutTableLine(t *testing.T) {
	tab := &RolloutTable{}
	all := allRollouts()
	out := tab.Render(all, Options{Now: now})
	header := strings.SplitN(out, "\n", 2)[0]
	ro := all[0]
	line := tab.Line(&ro, false, Options{Now: now.Add(time.Hour)})
	if strings.Index(line, "canary") != strings.Index(header, "STRATEGY") {
		t.Errorf("a watch line does not line up with the table:\n%s%s", out, line)
	}
	deleted := tab.Line(&ro, true, Options{Now: now})
	if !strings.Contains(deleted, "• Deleted") {
		t.Errorf("a deleted rollout's line %q does not say Deleted", deleted)
	}
}

func TestProfileLine(t *testing.T) {
	named := func(kind rampv1alpha1.ProfileKind, name string) *rampv1alpha1.ProfileReference {
		return &rampv1alpha1.ProfileReference{Kind: kind, Name: name}
	}
	for _, tc := range []struct {
		name string
		ref  *rampv1alpha1.ProfileReference
		rec  *rampv1alpha1.ProfileStatus
		want string
	}{
		{name: "no profile"},
		{name: "named and recorded", ref: named(rampv1alpha1.ProfileKindNamespaced, "team-canary"),
			rec:  &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3},
			want: "RolloutProfile team-canary (generation 3)"},
		{name: "named without a kind", ref: named("", "team-canary"),
			rec:  &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3},
			want: "RolloutProfile team-canary (generation 3)"},
		{name: "namespace default", rec: &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform", Generation: 7, Default: true},
			want: "ClusterRolloutProfile platform (generation 7, namespace default)"},
		{name: "named, not read yet", ref: named(rampv1alpha1.ProfileKindCluster, "platform"),
			want: "ClusterRolloutProfile platform (not read yet)"},
		{name: "another profile named since", ref: named(rampv1alpha1.ProfileKindNamespaced, "team-bluegreen"),
			rec:  &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3},
			want: "RolloutProfile team-canary (generation 3); spec names RolloutProfile team-bluegreen (not read yet)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := newRollout("ns", "web", 1, day, rampv1alpha1.RolloutStrategy{ProfileRef: tc.ref})
			ro.Status.Profile = tc.rec
			if got := profileLine(ro); got != tc.want {
				t.Errorf("profileLine = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGetRolloutShowsProfile(t *testing.T) {
	objs := canaryProfile()
	out := Rollout(objs, Options{Now: now})
	for _, want := range []string{
		"Strategy:   canary\n", "  Profile:  RolloutProfile team-canary (generation 3)\n",
		"  Step:     2/5 (pause)\n", "  Weight:   set 10, actual 10\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("get rollout does not show %q:\n%s", want, out)
		}
	}

	// Before the controller read the profile, the strategy is not known.
	objs.Rollout.Spec.Strategy.Canary = nil
	objs.Rollout.Status.Profile = nil
	out = Rollout(objs, Options{Now: now})
	for _, want := range []string{"Strategy:   profile team-canary\n", "  Profile:  RolloutProfile team-canary (not read yet)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("get rollout of a profile not read yet does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Step:") || strings.Contains(out, "Weight:") {
		t.Errorf("get rollout shows steps or weights before the profile is read:\n%s", out)
	}
}

// TestListShowsTheEffectiveStrategy: the STRATEGY column names the kind the
// profile recorded in the status gives, not only what spec.strategy writes.
func TestListShowsTheEffectiveStrategy(t *testing.T) {
	ro := newRollout("shop", "pay", 2, day, rampv1alpha1.RolloutStrategy{
		ProfileRef: &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform-bg"},
		BlueGreen:  &rampv1alpha1.BlueGreenStrategy{ActiveService: "pay"},
	})
	ro.Status.Profile = &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindCluster, Name: "platform-bg", Generation: 1,
		Strategy: &rampv1alpha1.ProfileStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)}}}
	bare := newRollout("shop", "web", 2, day, rampv1alpha1.RolloutStrategy{
		ProfileRef: &rampv1alpha1.ProfileReference{Name: "team-canary"},
	})
	bare.Status.Profile = &rampv1alpha1.ProfileStatus{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary",
		Strategy: teamCanary()}
	out := (&RolloutTable{}).Render([]rampv1alpha1.Rollout{*ro, *bare}, Options{Now: now})
	for _, want := range []string{"pay   blueGreen", "web   canary"} {
		if !strings.Contains(out, want) {
			t.Errorf("list does not show %q:\n%s", want, out)
		}
	}
}

func TestClassState(t *testing.T) {
	for _, tc := range []struct {
		class, want string
		tone        tone
	}{
		{"Pass", "✔ Pass", good},
		{"High", "✖ High", bad},
		{"Low", "✖ Low", bad},
		{"NoData", "⚠ NoData", busy},
		{"", "? -", plain},
		{"Strange", "? Strange", plain},
	} {
		if got := classState(tc.class); got.text() != tc.want || got.tone != tc.tone {
			t.Errorf("classState(%q) = %q (tone %d), want %q (tone %d)", tc.class, got.text(), got.tone, tc.want, tc.tone)
		}
	}
}

func TestVerdictLines(t *testing.T) {
	ro := newRollout("ns", "web", 1, day, rampv1alpha1.RolloutStrategy{})
	run := newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseInconclusive, "", time.Minute,
		metric{name: "errors", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{"0.01"}})
	if got := verdictLines(&run, Options{}); got != nil {
		t.Errorf("a run without a verdict explains %q", got)
	}

	run = newRun(ro, "r", "h", rampv1alpha1.AnalysisPhaseInconclusive, "", time.Minute,
		metric{name: "judge-latency", phase: rampv1alpha1.AnalysisPhaseInconclusive, values: []string{"70"}},
		metric{name: "errors", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{"0.01"}},
		metric{name: "judge-errors", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{"100"}})
	run.Status.MetricResults[0].Verdict = &rampv1alpha1.JudgeVerdict{Score: 70, Metrics: []rampv1alpha1.JudgeMetricVerdict{
		{Name: "p99", Classification: "Low", Estimate: "-0.2", EffectSize: "-12%", Reason: "faster\nthan \x1b[2Jstable"},
		{Name: "p50", Classification: "Pass", Interval: "[-0.1, 0.1]"},
	}}
	run.Status.MetricResults[2].Verdict = &rampv1alpha1.JudgeVerdict{Score: 100, Compared: "canary a with baseline b"}
	want := []string{
		"Judge judge-latency: score 70/100",
		"NAME  GROUP  CLASS   CANARY  CONTROL  SHIFT [INTERVAL]  P  EFFECT",
		"p99   -      ✖ Low   -       -        -0.2              -  -12%",
		"  faster than ^[[2Jstable",
		"p50   -      ✔ Pass  -       -        [-0.1, 0.1]       -  -",
		"Judge judge-errors: score 100/100 (canary a with baseline b)",
	}
	got := verdictLines(&run, Options{})
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdictLines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
