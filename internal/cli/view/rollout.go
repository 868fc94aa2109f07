// Package view renders Ramp's objects as text for kubectl ramp: the header
// and revision tree of `get rollout`, and the table of `list rollouts`.
// Rendering is pure: functions take the objects, the time and whether to
// color, and return the text; they never read the cluster or the clock.
package view

import (
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Objects are a Rollout and the objects `get rollout` shows with it. The
// lists may hold more than the Rollout's own: ReplicaSets it does not
// control, pods of other ReplicaSets and runs of other Rollouts are left
// out.
type Objects struct {
	// Rollout is the Rollout shown; required.
	Rollout *rampv1alpha1.Rollout
	// ReplicaSets are the Rollout's ReplicaSets, one per revision.
	ReplicaSets []appsv1.ReplicaSet
	// Pods are the pods of those ReplicaSets.
	Pods []corev1.Pod
	// AnalysisRuns are the Rollout's AnalysisRuns.
	AnalysisRuns []rampv1alpha1.AnalysisRun
}

// labelWidth is the width of the header's labels column.
const labelWidth = 12

// Rollout renders `kubectl ramp get rollout`: a header (name, namespace,
// status, message, strategy with its profile, step and weights, images by
// role, replica counts), then the revisions as a tree, newest first: each
// ReplicaSet with its pods, and the revision's AnalysisRuns, a judge's
// verdict explained metric by metric under its run. Old revisions without
// pods take one line.
func Rollout(objs Objects, o Options) string {
	var b strings.Builder
	writeHeader(&b, objs, o)
	b.WriteByte('\n')
	writeTree(&b, objs, o)
	return b.String()
}

// writeHeader renders the facts about the Rollout, one per line.
func writeHeader(b *strings.Builder, objs Objects, o Options) {
	ro := objs.Rollout
	line := func(label, value string) {
		b.WriteString(label)
		b.WriteString(strings.Repeat(" ", max(labelWidth-width(label), 1)))
		b.WriteString(value)
		b.WriteByte('\n')
	}
	line("Name:", clean(ro.Name))
	line("Namespace:", clean(ro.Namespace))
	st := phaseState(ro.Status.Phase)
	line("Status:", o.paint(st.tone, st.text()))
	if msg := ro.Status.Message; msg != "" {
		line("Message:", clean(msg))
	}
	line("Strategy:", clean(strategyName(ro)))
	if p := profileLine(ro); p != "" {
		line("  Profile:", p)
	}
	if s, ok := step(ro); ok {
		if d := stepDetail(ro); d != "" {
			s += " (" + clean(d) + ")"
		}
		line("  Step:", s)
	}
	if g, t := gateLine(ro, o.Now); g != "" {
		line("  Gate:", o.paint(t, clean(g)))
	}
	if isCanary(ro) {
		line("  Weight:", "set "+strconv.Itoa(int(setWeight(ro)))+", actual "+actualWeight(ro))
	}
	replicaSets := ownReplicaSets(objs)
	if isBlueGreen(ro) {
		line("  Active:", revisionOfHash(replicaSets, ro.Status.BlueGreen.ActiveSelector))
		if p := previewHash(ro); p != "" {
			line("  Preview:", revisionOfHash(replicaSets, p))
		}
	}
	for i, img := range imageRoles(ro, replicaSets) {
		label := ""
		if i == 0 {
			label = "Images:"
		}
		line(label, img)
	}
	line("Replicas:", replicaCounts(ro))
}

// ownReplicaSets are the ReplicaSets the Rollout controls, newest
// revision first.
func ownReplicaSets(objs Objects) []*appsv1.ReplicaSet {
	var own []*appsv1.ReplicaSet
	for i := range objs.ReplicaSets {
		rs := &objs.ReplicaSets[i]
		if controlledBy(rs, "Rollout", objs.Rollout.Name, string(objs.Rollout.UID)) {
			own = append(own, rs)
		}
	}
	sort.SliceStable(own, func(i, j int) bool { return revisionOf(own[i]) > revisionOf(own[j]) })
	return own
}

// previewHash is the pod template hash of a blue-green update's preview,
// "" when none is in flight.
func previewHash(ro *rampv1alpha1.Rollout) string {
	st := &ro.Status
	switch {
	case st.BlueGreen.PreviewSelector != "" && st.BlueGreen.PreviewSelector != st.BlueGreen.ActiveSelector:
		return st.BlueGreen.PreviewSelector
	case st.CurrentPodHash != "" && st.CurrentPodHash != st.BlueGreen.ActiveSelector:
		return st.CurrentPodHash
	}
	return ""
}

// revisionOfHash names the revision of pod template hash hash, such as
// "revision 4 (web-6c9d7f)"; "-" for no hash.
func revisionOfHash(replicaSets []*appsv1.ReplicaSet, hash string) string {
	if hash == "" {
		return notAvailable
	}
	for _, rs := range replicaSets {
		if hashOf(rs) == hash {
			return "revision " + strconv.FormatInt(revisionOf(rs), 10) + " (" + clean(rs.Name) + ")"
		}
	}
	return "pod template hash " + clean(hash)
}
