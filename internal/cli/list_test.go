package cli

import (
	"context"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// listCluster holds rollouts web and api (labeled team=a) in shop, and db
// (team=b) in data.
func listCluster() client.WithWatch {
	db := viewRollout("data", "db", map[string]string{"team": "b"})
	db.Spec.Strategy = rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{ActiveService: "db"}}
	db.Status = rampv1alpha1.RolloutStatus{Phase: rampv1alpha1.RolloutPhaseHealthy, StableRS: "x", CurrentPodHash: "x", ReadyReplicas: 2}
	return viewCluster(viewRollout("shop", "web", nil), viewRollout("shop", "api", map[string]string{"team": "a"}), db)
}

// rows returns the lines of a table, each with its runs of blanks made one
// blank.
func rows(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return lines
}

func TestListRollouts(t *testing.T) {
	c := listCluster()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{{
		name: "the namespace's rollouts, sorted by name",
		args: []string{"-n", "shop", "list", "rollouts"},
		want: []string{
			"NAME STRATEGY STATUS STEP WEIGHT READY AGE",
			"api canary ॥ Paused 2/4 - 3/2 2d",
			"web canary ॥ Paused 2/4 - 3/2 2d",
		},
	}, {
		name: "every namespace with -A, sorted by namespace then name",
		args: []string{"list", "ro", "-A"},
		want: []string{
			"NAMESPACE NAME STRATEGY STATUS STEP WEIGHT READY AGE",
			"data db blueGreen ✔ Healthy - - 2/2 2d",
			"shop api canary ॥ Paused 2/4 - 3/2 2d",
			"shop web canary ॥ Paused 2/4 - 3/2 2d",
		},
	}, {
		name: "a label selector",
		args: []string{"list", "rollout", "-A", "-l", "team"},
		want: []string{
			"NAMESPACE NAME STRATEGY STATUS STEP WEIGHT READY AGE",
			"data db blueGreen ✔ Healthy - - 2/2 2d",
			"shop api canary ॥ Paused 2/4 - 3/2 2d",
		},
	}, {
		name: "a label selector in a namespace",
		args: []string{"-n", "shop", "list", "rollouts", "--selector", "team!=a"},
		want: []string{
			"NAME STRATEGY STATUS STEP WEIGHT READY AGE",
			"web canary ॥ Paused 2/4 - 3/2 2d",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAgainst(t, c, tc.args...)
			if code != 0 {
				t.Fatalf("exit code %d, stderr %q", code, errOut)
			}
			if got := rows(out); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%v printed\n%s\nwant (blanks squeezed)\n%s", tc.args, out, strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestListRolloutsNoneOrBadSelector(t *testing.T) {
	c := listCluster()
	code, out, errOut := runAgainst(t, c, "-n", "empty", "list", "rollouts")
	if code != 0 || out != "" || errOut != "No rollouts found in namespace \"empty\".\n" {
		t.Errorf("an empty namespace: exit code %d, stdout %q, stderr %q; want 0, nothing, and a note on stderr", code, out, errOut)
	}
	code, _, errOut = runAgainst(t, c, "list", "rollouts", "-A", "-l", "team=c")
	if code != 0 || errOut != "No rollouts matching \"team=c\" found in any namespace.\n" {
		t.Errorf("no match: exit code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runAgainst(t, c, "list", "rollouts", "-l", "team in (a")
	if code != 1 || !strings.Contains(errOut, `--selector "team in (a" is not a label selector`) {
		t.Errorf("a bad selector: exit code %d, stderr %q; want 1 and the flag named", code, errOut)
	}
}

func TestListRolloutsWatch(t *testing.T) {
	c := listCluster()
	s := startAgainst(c, "-n", "shop", "list", "rollouts", "--watch")
	waitOutput(t, s, "the table", func(out string) bool { return strings.Count(out, "\n") == 3 })

	updateStatus(t, c, func(ro *rampv1alpha1.Rollout) {
		ro.Status.Phase = rampv1alpha1.RolloutPhaseProgressing
		ro.Status.CurrentStepIndex = ptr.To[int32](2)
	})
	out := waitOutput(t, s, "a line for web", func(out string) bool { return strings.Count(out, "\n") == 4 })
	if got := rows(out)[3]; got != "web canary ◌ Progressing 3/4 - 3/2 2d" {
		t.Errorf("the line of the changed rollout is %q:\n%s", got, out)
	}
	lines := strings.Split(out, "\n")
	if strings.Index(lines[3], "canary") != strings.Index(lines[0], "STRATEGY") {
		t.Errorf("the watch line does not line up with the table:\n%s", out)
	}

	if err := c.Delete(context.Background(), viewRollout("shop", "api", nil)); err != nil {
		t.Fatal(err)
	}
	out = waitOutput(t, s, "a line for the deleted api", func(out string) bool { return strings.Count(out, "\n") == 5 })
	if got := rows(out)[4]; got != "api canary • Deleted 2/4 - 3/2 2d" {
		t.Errorf("the line of the deleted rollout is %q:\n%s", got, out)
	}
	if strings.Count(out, "NAME") != 1 {
		t.Errorf("the header was printed more than once:\n%s", out)
	}

	s.cancel()
	if code := waitExit(t, s); code != 0 {
		t.Errorf("Ctrl-C ended the watch with exit code %d, want 0; stderr %q", code, s.errOut.String())
	}
}

func TestGetAndListNeedAKind(t *testing.T) {
	c := listCluster()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get"}, "error: name what to show: kubectl ramp get rollout NAME"},
		{[]string{"get", "pods", "web"}, `error: unknown kind "pods": kubectl ramp get rollout NAME`},
		{[]string{"list"}, "error: name what to show: kubectl ramp list rollouts"},
		{[]string{"list", "analysisruns"}, `error: unknown kind "analysisruns": kubectl ramp list rollouts`},
	} {
		if code, _, errOut := runAgainst(t, c, tc.args...); code != 1 || strings.TrimSpace(errOut) != tc.want {
			t.Errorf("%v: exit code %d, stderr %q; want 1 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
