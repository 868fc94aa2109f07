package view

import (
	"sort"
	"strconv"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// RolloutTable renders `kubectl ramp list rollouts` as kubectl get does:
// a header, then one row per Rollout with NAMESPACE (all namespaces
// only), NAME, STRATEGY, STATUS, STEP, WEIGHT, READY and AGE. It remembers
// the column widths of the table it rendered last, so that the rows of a
// watch line up under it.
type RolloutTable struct {
	// AllNamespaces adds the NAMESPACE column.
	AllNamespaces bool

	// widths are the column widths of the last table rendered.
	widths []int
}

// Render returns the header and a row per rollout, sorted by namespace
// then name.
func (t *RolloutTable) Render(rollouts []rampv1alpha1.Rollout, o Options) string {
	sorted := make([]*rampv1alpha1.Rollout, 0, len(rollouts))
	for i := range rollouts {
		sorted = append(sorted, &rollouts[i])
	}
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	tab := &table{}
	tab.add(t.header()...)
	for _, ro := range sorted {
		tab.add(t.row(ro, false, o)...)
	}
	t.widths = tab.widths(nil)
	var b strings.Builder
	tab.write(&b, t.widths, o)
	return b.String()
}

// Line returns the row of one rollout, aligned with the last table
// rendered; deleted shows it as Deleted, for a watch.
func (t *RolloutTable) Line(ro *rampv1alpha1.Rollout, deleted bool, o Options) string {
	tab := &table{}
	tab.add(t.row(ro, deleted, o)...)
	var b strings.Builder
	tab.write(&b, tab.widths(t.widths), o)
	return b.String()
}

// header is the header row.
func (t *RolloutTable) header() []cell {
	var cells []cell
	if t.AllNamespaces {
		cells = append(cells, plainCell("NAMESPACE"))
	}
	for _, h := range []string{"NAME", "STRATEGY", "STATUS", "STEP", "WEIGHT", "READY", "AGE"} {
		cells = append(cells, plainCell(h))
	}
	return cells
}

// row is one rollout's row.
func (t *RolloutTable) row(ro *rampv1alpha1.Rollout, deleted bool, o Options) []cell {
	var cells []cell
	if t.AllNamespaces {
		cells = append(cells, plainCell(ro.Namespace))
	}
	st := phaseState(ro.Status.Phase)
	if deleted {
		st = state{iconIdle, "Deleted", faint}
	}
	stepText, ok := step(ro)
	if !ok {
		stepText = notAvailable
	}
	return append(cells,
		plainCell(ro.Name),
		plainCell(strategyName(ro)),
		stateCell(st),
		plainCell(stepText),
		plainCell(listWeight(ro)),
		plainCell(strconv.Itoa(int(ro.Status.ReadyReplicas))+"/"+strconv.Itoa(int(desired(ro)))),
		plainCell(age(ro.CreationTimestamp.Time, o.Now)),
	)
}
