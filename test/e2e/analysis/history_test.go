package analysise2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestRunHistoryKeepsNewest ships five updates through two analysis steps
// in a row (a single measurement each, which passes) with
// analysis.successfulRunHistoryLimit 1: after each update the one run left
// is the newest, that of the update's last analysis step. The two runs of
// an update are created a few milliseconds apart, most often within the
// same second, which is all that creationTimestamp tells apart.
func TestRunHistoryKeepsNewest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "history", 1, analysisStep("error-rate", svcPasses), analysisStep("error-rate", svcPasses))
	f.ro.Spec.Analysis = &rampv1alpha1.AnalysisRunHistory{SuccessfulRunHistoryLimit: ptr.To[int32](1)}
	dumpPrometheusOnFailure(t, shared)
	f.createTemplate(errorRateTemplate(shared.Address(), func(m *rampv1alpha1.Metric) {
		m.Count = ptr.To[int32](1)
		m.Interval = ""
	}))
	f.start()

	// Every run's creationTimestamp, for the failure message.
	var mu sync.Mutex
	created := map[string]metav1.Time{}
	framework.FollowObjects(t, f.k8s, &rampv1alpha1.AnalysisRunList{}, []client.ListOption{client.InNamespace(f.ns)}, waitTimeout,
		func(runs map[types.UID]*rampv1alpha1.AnalysisRun, _ int) {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range runs {
				created[r.Name] = r.CreationTimestamp
			}
		})

	for v := 2; v <= 6; v++ {
		hash := f.setImage(fmt.Sprintf("v%d", v))
		f.waitHealthyAt(hash)
		newest := f.stepRunName(hash, 1)
		list := framework.WaitList(t, f.k8s, f.ns, waitTimeout, fmt.Sprintf("one run left after the update to v%d", v),
			func(l *rampv1alpha1.AnalysisRunList) (bool, string) {
				var names []string
				for _, r := range l.Items {
					names = append(names, r.Name)
				}
				return len(l.Items) == 1, fmt.Sprintf("runs %v", names)
			}, client.MatchingLabels{rampv1alpha1.LabelRollout: f.name()})
		if kept := list.Items[0].Name; kept != newest {
			mu.Lock()
			t.Errorf("update to v%d: run %s (created %s) was kept and the newest, %s (created %s), deleted; every run seen: %s",
				v, kept, stamp(created[kept]), newest, stamp(created[newest]), describeCreated(created))
			mu.Unlock()
		}
	}
}

// stamp writes a creationTimestamp as stored.
func stamp(t metav1.Time) string {
	if t.IsZero() {
		return "not seen"
	}
	return t.UTC().Format(time.RFC3339)
}

// describeCreated lists the runs seen, by name, with their
// creationTimestamps.
func describeCreated(created map[string]metav1.Time) string {
	parts := make([]string, 0, len(created))
	for _, name := range slices.Sorted(maps.Keys(created)) {
		parts = append(parts, name+" "+stamp(created[name]))
	}
	return strings.Join(parts, ", ")
}
