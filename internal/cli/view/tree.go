package view

import (
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// revision is one revision of a Rollout with what belongs to it.
type revision struct {
	// number is the revision number; 0 when its ReplicaSet is gone.
	number int64
	// hash is the revision's pod template hash.
	hash string
	// replicaSet is the revision's ReplicaSet; nil when it is gone.
	replicaSet *appsv1.ReplicaSet
	// pods are the ReplicaSet's pods, by name.
	pods []*corev1.Pod
	// runs are the revision's AnalysisRuns, newest first.
	runs []*rampv1alpha1.AnalysisRun
}

// revisions groups the objects of objs by revision, newest first (those
// whose ReplicaSet is gone last). ReplicaSets the Rollout does not control,
// pods of other ReplicaSets and runs of other Rollouts are left out.
func revisions(objs Objects) []*revision {
	ro := objs.Rollout
	byHash := map[string]*revision{}
	byName := map[string]*revision{}
	var all []*revision
	for i := range objs.ReplicaSets {
		rs := &objs.ReplicaSets[i]
		if !controlledBy(rs, "Rollout", ro.Name, string(ro.UID)) {
			continue
		}
		r := &revision{number: revisionOf(rs), hash: hashOf(rs), replicaSet: rs}
		byHash[r.hash], byName[rs.Name] = r, r
		all = append(all, r)
	}
	for i := range objs.Pods {
		pod := &objs.Pods[i]
		ref := metav1.GetControllerOf(pod)
		if ref == nil || ref.Kind != "ReplicaSet" {
			continue
		}
		if r := byName[ref.Name]; r != nil && controlledBy(pod, "ReplicaSet", ref.Name, string(r.replicaSet.UID)) {
			r.pods = append(r.pods, pod)
		}
	}
	for i := range objs.AnalysisRuns {
		run := &objs.AnalysisRuns[i]
		if run.Labels[rampv1alpha1.LabelRollout] != ro.Name {
			continue
		}
		hash := run.Labels[rampv1alpha1.LabelPodTemplateHash]
		r := byHash[hash]
		if r == nil {
			r = &revision{hash: hash}
			byHash[hash] = r
			all = append(all, r)
		}
		r.runs = append(r.runs, run)
	}
	for _, r := range all {
		sort.Slice(r.pods, func(i, j int) bool { return r.pods[i].Name < r.pods[j].Name })
		sort.Slice(r.runs, func(i, j int) bool { return newer(r.runs[i], r.runs[j]) })
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		switch {
		case (a.number == 0) != (b.number == 0):
			return b.number == 0
		case a.number != b.number:
			return a.number > b.number
		}
		return a.hash < b.hash
	})
	return all
}

// controlledBy reports whether obj's controller is the kind named name,
// with uid when both sides know it.
func controlledBy(obj metav1.Object, kind, name, uid string) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.Kind == kind && ref.Name == name &&
		(uid == "" || ref.UID == "" || string(ref.UID) == uid)
}

// newer orders runs newest first, then by name.
func newer(a, b *rampv1alpha1.AnalysisRun) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.After(b.CreationTimestamp.Time)
	}
	return a.Name > b.Name
}

// collapsed reports whether a revision shows as one line: an old revision
// (no role) with no pods left.
func (r *revision) collapsed(ro *rampv1alpha1.Rollout) bool {
	return r.replicaSet != nil && role(ro, r.hash) == "" && len(r.pods) == 0 && r.replicaSet.Status.Replicas == 0
}

// label names the revision: "revision 3", or "revision ?" when its
// ReplicaSet is gone.
func (r *revision) label() string {
	if r.number == 0 {
		return "revision ?"
	}
	return "revision " + strconv.FormatInt(r.number, 10)
}

// Tree branches.
const (
	branchMid  = "├── "
	branchLast = "└── "
	trunkMid   = "│   "
	trunkLast  = "    "
)

// verdictIndent is how far a judge verdict is indented under its run's
// name.
const verdictIndent = "  "

// writeTree renders the revisions of objs as a tree: each revision, its
// ReplicaSet with its pods, and its AnalysisRuns, each followed by the
// explanation of its judge verdicts (see verdictLines).
func writeTree(b *strings.Builder, objs Objects, o Options) {
	ro := objs.Rollout
	revs := revisions(objs)
	if len(revs) == 0 {
		b.WriteString("No revision yet: the controller has not created a ReplicaSet.\n")
		return
	}
	t := &table{}
	t.add(plainCell("NAME"), plainCell("KIND"), plainCell("STATUS"), plainCell("AGE"), plainCell("INFO"))
	for _, r := range revs {
		if r.collapsed(ro) {
			rs := r.replicaSet
			info := "no pods"
			if n := runsInfo(len(r.runs)); n != "" {
				info += ", " + n
			}
			st := replicaSetState(rs)
			t.add(cell{clean(r.label() + ": " + rs.Name), faint}, cell{"ReplicaSet", faint}, cell{clean(st.text()), faint},
				cell{age(rs.CreationTimestamp.Time, o.Now), faint}, cell{info, faint})
			continue
		}
		t.add(plainCell(r.label()))
		children := len(r.runs)
		if r.replicaSet != nil {
			children++
		}
		child := 0
		branch := func() (string, string) {
			child++
			if child == children {
				return branchLast, trunkLast
			}
			return branchMid, trunkMid
		}
		if rs := r.replicaSet; rs != nil {
			br, trunk := branch()
			t.add(plainCell(br+rs.Name), plainCell("ReplicaSet"), stateCell(replicaSetState(rs)),
				plainCell(age(rs.CreationTimestamp.Time, o.Now)), plainCell(replicaSetInfo(role(ro, r.hash), rs)))
			for i, pod := range r.pods {
				pbr := branchMid
				if i == len(r.pods)-1 {
					pbr = branchLast
				}
				t.add(plainCell(trunk+pbr+pod.Name), plainCell("Pod"), stateCell(podState(pod)),
					plainCell(age(pod.CreationTimestamp.Time, o.Now)), plainCell(podInfo(pod)))
			}
		}
		for _, run := range r.runs {
			br, trunk := branch()
			t.add(plainCell(br+run.Name), plainCell("AnalysisRun"), stateCell(runState(run.Status.Phase)),
				plainCell(age(run.CreationTimestamp.Time, o.Now)), cell{text: runSummary(run)})
			for _, line := range verdictLines(run, o) {
				t.addLines(trunk + verdictIndent + line)
			}
		}
	}
	t.write(b, t.widths(nil), o)
}
