package routing

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/test/e2e/framework"
)

// waitTimeout bounds every wait on the controller. The waits return as soon
// as the state is reached; the bound only matters when something is wrong.
const waitTimeout = 60 * time.Second

// The Services of the suite's Rollouts (all named web).
const (
	rolloutName   = "web"
	stableService = "web-stable"
	canaryService = "web-canary"
)

// The kinds of route the suite writes, read as unstructured objects so
// that what is compared is what the API server stores, fields that no Go
// type knows included.
var (
	httpRouteKind       = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	virtualServiceKind  = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	destinationRuleKind = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}
)

// image is the container image of revision v.
func image(v string) string {
	return "registry.example/web:" + v
}

// fixture is one test's namespace, client and Rollout.
type fixture struct {
	t   *testing.T
	k8s client.WithWatch
	ns  string
	ro  *rampv1alpha1.Rollout
}

// newFixture makes a namespace with the Services web-stable and web-canary
// (and the others named) selecting app=web, and objects created from
// manifests (YAML, the namespace filled in).
func newFixture(t *testing.T, manifests string, services ...string) *fixture {
	t.Helper()
	t.Parallel()
	k8s := framework.Client(t)
	f := &fixture{t: t, k8s: k8s, ns: framework.Namespace(t, k8s)}
	for _, svc := range append([]string{stableService, canaryService}, services...) {
		framework.Create(t, k8s, framework.NewService(f.ns, svc, map[string]string{"app": rolloutName}))
	}
	if manifests != "" {
		f.create(manifests)
	}
	return f
}

// create creates the objects of manifests (YAML) in the namespace.
func (f *fixture) create(manifests string) {
	f.t.Helper()
	objs, err := framework.DecodeYAML([]byte(manifests))
	if err != nil {
		f.t.Fatal(err)
	}
	for _, o := range objs {
		o.SetNamespace(f.ns)
		framework.Create(f.t, f.k8s, o)
	}
}

// rollout builds the Rollout web of 4 pods at image v1 with routing and
// steps, the delays before scaling down shortened to 2 seconds.
func (f *fixture) rollout(routing *rampv1alpha1.RolloutTrafficRouting, steps ...rampv1alpha1.CanaryStep) *rampv1alpha1.Rollout {
	ro := framework.NewRollout(f.ns, rolloutName, image("v1"), 4, steps...)
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = stableService, canaryService
	c.TrafficRouting = routing
	c.ScaleDownDelaySeconds = ptr.To[int32](2)
	c.AbortScaleDownDelaySeconds = ptr.To[int32](2)
	return ro
}

// start creates ro and waits until its first revision is Healthy.
func (f *fixture) start(ro *rampv1alpha1.Rollout) {
	f.t.Helper()
	f.ro = ro
	framework.Create(f.t, f.k8s, ro)
	f.waitRollout("the first revision to be Healthy", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.Phase == rampv1alpha1.RolloutPhaseHealthy && r.Status.ObservedGeneration == r.Generation
	})
}

func (f *fixture) key() client.ObjectKey {
	return client.ObjectKey{Namespace: f.ns, Name: rolloutName}
}

// waitRollout waits until cond holds for the Rollout.
func (f *fixture) waitRollout(what string, cond func(*rampv1alpha1.Rollout) bool) *rampv1alpha1.Rollout {
	f.t.Helper()
	return framework.WaitRollout(f.t, f.k8s, f.key(), waitTimeout, what, cond)
}

// waitPausedAt waits until the update of hash pauses at step index.
func (f *fixture) waitPausedAt(index int32) *rampv1alpha1.Rollout {
	f.t.Helper()
	return f.waitRollout(fmt.Sprintf("the update to pause at step %d", index), func(r *rampv1alpha1.Rollout) bool {
		return framework.StepIndex(r) == index && len(r.Status.PauseConditions) > 0 && r.Status.ObservedGeneration == r.Generation
	})
}

// update sets image v on the Rollout and returns the update's pod hash.
func (f *fixture) update(v string) string {
	f.t.Helper()
	stable := framework.Get(f.t, f.k8s, f.key(), &rampv1alpha1.Rollout{}).Status.StableRS
	framework.SetImage(f.t, f.k8s, f.ro, image(v))
	r := f.waitRollout("the update's revision", func(r *rampv1alpha1.Rollout) bool {
		return r.Status.ObservedGeneration == r.Generation && r.Status.CurrentPodHash != stable
	})
	return r.Status.CurrentPodHash
}

// promote moves the Rollout past the pause it waits at.
func (f *fixture) promote() {
	f.t.Helper()
	framework.Promote(f.t, f.k8s, f.ro)
}

// replicas returns the spec.replicas of the Rollout's ReplicaSet of hash.
func (f *fixture) replicas(hash string) int32 {
	f.t.Helper()
	rs := framework.Get(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: framework.ReplicaSetName(rolloutName, hash)}, &appsv1.ReplicaSet{})
	return ptr.Deref(rs.Spec.Replicas, 0)
}

// newObject is an empty object of kind, read as unstructured.
func newObject(kind schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(kind)
	return u
}

// object reads the object of kind named name in the fixture's namespace.
func (f *fixture) object(kind schema.GroupVersionKind, name string) *unstructured.Unstructured {
	f.t.Helper()
	return framework.Get(f.t, f.k8s, client.ObjectKey{Namespace: f.ns, Name: name}, newObject(kind))
}

// items returns the list of maps at fields of obj (nil when absent),
// without copying them: changes to the maps change obj.
func items(obj map[string]any, fields ...string) []map[string]any {
	v, _, _ := unstructured.NestedFieldNoCopy(obj, fields...)
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// firstOf returns the first entry of list, an empty one when there is none.
func firstOf(list []map[string]any) map[string]any {
	if len(list) == 0 {
		return map[string]any{}
	}
	return list[0]
}

// listOf is an empty list of kind, read as unstructured.
func listOf(kind schema.GroupVersionKind) *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(kind.GroupVersion().WithKind(kind.Kind + "List"))
	return l
}

// named returns the entry of list whose name is name, nil when none.
func named(list []map[string]any, name string) map[string]any {
	for _, m := range list {
		if m["name"] == name {
			return m
		}
	}
	return nil
}

// names lists the names of the entries of list ("" for unnamed ones).
func names(list []map[string]any) []string {
	out := make([]string, 0, len(list))
	for _, m := range list {
		n, _ := m["name"].(string)
		out = append(out, n)
	}
	return out
}

// weight reads a weight field: def when absent.
func weight(m map[string]any, def int64) int64 {
	w, ok, _ := unstructured.NestedInt64(m, "weight")
	if !ok {
		return def
	}
	return w
}

// split is the stable and canary weights of a route as stored.
type split struct{ stable, canary int64 }

func (s split) String() string {
	return fmt.Sprintf("stable %d / canary %d", s.stable, s.canary)
}

// httpRouteSplit reads the weights of the Services web-stable and
// web-canary in the rule named rule of an HTTPRoute (1 when unset, as
// Gateway API defaults it).
func httpRouteSplit(route *unstructured.Unstructured, rule string) split {
	r := named(items(route.Object, "spec", "rules"), rule)
	var s split
	for _, b := range items(r, "backendRefs") {
		switch b["name"] {
		case stableService:
			s.stable = weight(b, 1)
		case canaryService:
			s.canary = weight(b, 1)
		}
	}
	return s
}

// virtualServiceSplit reads the weights of the subsets stable and canary in
// the http route named route of a VirtualService (0 when unset).
func virtualServiceSplit(vs *unstructured.Unstructured, route string) split {
	r := named(items(vs.Object, "spec", "http"), route)
	var s split
	for _, d := range items(r, "route") {
		subset, _, _ := unstructured.NestedString(d, "destination", "subset")
		switch subset {
		case "stable":
			s.stable = weight(d, 0)
		case "canary":
			s.canary = weight(d, 0)
		}
	}
	return s
}

// managed lists the names of Ramp's entries (named ramp-...) in list, in
// order, and checks that they come before every entry of the user's.
func managed(t *testing.T, what string, list []map[string]any) []string {
	t.Helper()
	var out []string
	user := false
	for _, n := range names(list) {
		if !strings.HasPrefix(n, "ramp-") {
			user = true
			continue
		}
		if user {
			t.Errorf("%s: Ramp's entry %s comes after one of the user's: %v", what, n, names(list))
		}
		out = append(out, n)
	}
	return out
}

// userView returns obj as JSON without what Ramp may change: its metadata
// that every write changes (resourceVersion, generation, managedFields),
// the entries of Ramp's (named ramp-...) of the lists at lists, the weights
// of the stable and canary destinations (isOurs tells them), and the pod
// template hash label of subsets. Two views that differ mean a user's field
// changed.
func userView(t *testing.T, obj *unstructured.Unstructured, isOurs func(destination map[string]any) bool, lists ...[]string) string {
	t.Helper()
	o := obj.DeepCopy().Object
	for _, f := range []string{"resourceVersion", "generation", "managedFields"} {
		unstructured.RemoveNestedField(o, "metadata", f)
	}
	for _, path := range lists {
		var kept []any
		for _, entry := range items(o, path...) {
			if n, _ := entry["name"].(string); strings.HasPrefix(n, "ramp-") {
				continue
			}
			for _, field := range []string{"backendRefs", "route"} {
				for _, d := range items(entry, field) {
					if isOurs(d) {
						delete(d, "weight")
					}
				}
			}
			kept = append(kept, entry)
		}
		if kept != nil {
			if err := unstructured.SetNestedSlice(o, kept, path...); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range items(o, "spec", "subsets") {
		if labels, ok := s["labels"].(map[string]any); ok {
			delete(labels, rampv1alpha1.LabelPodTemplateHash)
		}
	}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// isServiceBackend tells the stable and canary Services among an
// HTTPRoute rule's backendRefs.
func isServiceBackend(b map[string]any) bool {
	return b["name"] == stableService || b["name"] == canaryService
}

// isSubsetDestination tells the stable and canary subsets among a
// VirtualService route's destinations.
func isSubsetDestination(d map[string]any) bool {
	subset, _, _ := unstructured.NestedString(d, "destination", "subset")
	return subset == "stable" || subset == "canary"
}

// history records the changes of the objects of one namespace that a test
// follows, each with its resourceVersion. Resource versions of one API
// server are etcd revisions: a smaller one was written earlier, whatever
// the object, which lets a test check the order of writes to different
// objects.
type history struct {
	mu      sync.Mutex
	entries []entry
}

// entry is one state of one object.
type entry struct {
	rv    int64
	name  string
	state string
}

// follow records every state of the objects of list's kind in ns, as
// describe sums them up, until the test ends.
func (h *history) follow(t *testing.T, k8s client.WithWatch, ns string, list client.ObjectList, describe func(client.Object) string) {
	t.Helper()
	seen := map[types.UID]string{}
	framework.FollowObjects(t, k8s, list, []client.ListOption{client.InNamespace(ns)}, waitTimeout,
		func(objs map[types.UID]client.Object, _ int) {
			h.mu.Lock()
			defer h.mu.Unlock()
			for uid, o := range objs {
				if seen[uid] == o.GetResourceVersion() {
					continue
				}
				seen[uid] = o.GetResourceVersion()
				rv, err := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
				if err != nil {
					t.Errorf("resourceVersion %q of %s is not a number", o.GetResourceVersion(), o.GetName())
				}
				h.entries = append(h.entries, entry{rv: rv, name: o.GetName(), state: describe(o)})
			}
		})
}

// first returns the resourceVersion of the first state of the object name
// for which match holds, and false when there is none.
func (h *history) first(name string, match func(state string) bool) (int64, bool) {
	return h.firstAfter(name, 0, match)
}

// firstAfter is first among the states written after revision after.
func (h *history) firstAfter(name string, after int64, match func(state string) bool) (int64, bool) {
	for _, e := range h.sorted() {
		if e.name == name && e.rv > after && match(e.state) {
			return e.rv, true
		}
	}
	return 0, false
}

// sorted returns the entries in the order they were written.
func (h *history) sorted() []entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	entries := slices.Clone(h.entries)
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.rv, b.rv) })
	return entries
}

// states lists the distinct successive states of the object name, in
// order.
func (h *history) states(name string) []string {
	var out []string
	for _, e := range h.sorted() {
		if e.name == name && (len(out) == 0 || out[len(out)-1] != e.state) {
			out = append(out, e.state)
		}
	}
	return out
}

// String lists every entry, for failure messages.
func (h *history) String() string {
	var b strings.Builder
	for _, e := range h.sorted() {
		fmt.Fprintf(&b, "\n  %d %s: %s", e.rv, e.name, e.state)
	}
	return b.String()
}

// follow records the splits of the routes of kind (as split reads them)
// and the sizes of the ReplicaSets of the fixture's namespace, from now
// until the test ends.
func (f *fixture) follow(kind schema.GroupVersionKind, split func(*unstructured.Unstructured) split) (routes, sets *history) {
	f.t.Helper()
	routes, sets = &history{}, &history{}
	routes.follow(f.t, f.k8s, f.ns, listOf(kind), func(o client.Object) string {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			return fmt.Sprintf("%T", o)
		}
		return split(u).String()
	})
	sets.follow(f.t, f.k8s, f.ns, &appsv1.ReplicaSetList{}, describeReplicaSet)
	return routes, sets
}

// followHTTPRoute is follow for the rule main of HTTPRoutes.
func (f *fixture) followHTTPRoute() (routes, sets *history) {
	return f.follow(httpRouteKind, func(u *unstructured.Unstructured) split { return httpRouteSplit(u, "main") })
}

// describeReplicaSet sums up a ReplicaSet for a history: its spec.replicas.
func describeReplicaSet(o client.Object) string {
	rs, ok := o.(*appsv1.ReplicaSet)
	if !ok {
		return fmt.Sprintf("%T", o)
	}
	return fmt.Sprintf("replicas %d", ptr.Deref(rs.Spec.Replicas, 0))
}
