package analysise2e

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// TestRunStartedEventAfterConflict runs an analysis step under a controller
// of its own whose first status write after it created the AnalysisRun
// fails with a conflict, as a write does when the Rollout changed since the
// controller read it (a stale cache, or a person's write in between). The
// run was created all the same, so the Event that says so must still be
// recorded: AnalysisRunStarted naming the run.
func TestRunStartedEventAfterConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "conflict", 2, framework.SetWeight(50), analysisStep("error-rate", svcPasses), framework.SetWeight(100))
	f.ro.Labels = map[string]string{rampv1alpha1.LabelInstanceID: f.ns}
	inject := &conflictAfterRunCreate{}
	opts := framework.ControllerOptions()
	opts.InstanceID = f.ns
	opts.Namespace = f.ns
	opts.NewClient = inject.newClient
	framework.RunController(t, opts)
	dumpPrometheusOnFailure(t, shared)
	f.createTemplate(errorRateTemplate(shared.Address(), nil))
	f.start()

	v2 := f.setImage("v2")
	runName := f.stepRunName(v2, 1)
	ro := f.waitHealthyAt(v2)
	if !inject.hasFired() {
		t.Fatal("no status write conflicted after the run was created: the test proves nothing")
	}
	// RolloutCompleted comes from a later reconcile than the run's start.
	f.waitEvent(ro, "RolloutCompleted")
	framework.WaitEvents(t, f.k8s, ro, "AnalysisRunStarted", 10*time.Second, "an Event AnalysisRunStarted naming "+runName,
		func(evs []eventsv1.Event) (bool, string) {
			var notes []string
			for _, e := range evs {
				if containsAll(e.Note, runName) {
					return true, e.Note
				}
				notes = append(notes, e.Note)
			}
			return false, "AnalysisRunStarted notes: " + joinQuoted(notes)
		})
}

// conflictAfterRunCreate wraps a controller's client so that the first
// status write of a Rollout after an AnalysisRun is created fails with a
// conflict, without being made.
type conflictAfterRunCreate struct {
	mu           sync.Mutex
	armed, fired bool
}

func (c *conflictAfterRunCreate) hasFired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

// newClient is a client.NewClientFunc: the manager's usual client, wrapped.
func (c *conflictAfterRunCreate) newClient(cfg *rest.Config, opts client.Options) (client.Client, error) {
	inner, err := client.NewWithWatch(cfg, opts)
	if err != nil {
		return nil, err
	}
	return interceptor.NewClient(inner, interceptor.Funcs{
		Create: func(ctx context.Context, w client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			err := w.Create(ctx, obj, opts...)
			if _, ok := obj.(*rampv1alpha1.AnalysisRun); ok && err == nil {
				c.mu.Lock()
				c.armed = !c.fired
				c.mu.Unlock()
			}
			return err
		},
		SubResourcePatch: func(ctx context.Context, w client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if _, ok := obj.(*rampv1alpha1.Rollout); ok && sub == "status" {
				c.mu.Lock()
				fire := c.armed
				c.armed, c.fired = false, c.fired || fire
				c.mu.Unlock()
				if fire {
					return apierrors.NewConflict(schema.GroupResource{Group: rampv1alpha1.GroupVersion.Group, Resource: "rollouts"}, obj.GetName(),
						errors.New("the object has been modified; please apply your changes to the latest version and try again (injected by the test)"))
				}
			}
			return w.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	}), nil
}
