// Package manager builds the controller manager of ramp-controller: the
// informer caches (restricted to what Ramp manages), leader election,
// metrics and health endpoints, and the registered reconcilers.
package manager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/rampdev/ramp/analysis"
	"github.com/rampdev/ramp/analysis/job"
	"github.com/rampdev/ramp/analysis/judge"
	"github.com/rampdev/ramp/analysis/prometheus"
	"github.com/rampdev/ramp/analysis/web"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/controllers/analysisrun"
	profilectrl "github.com/rampdev/ramp/controllers/profile"
	"github.com/rampdev/ramp/controllers/rollout"
	"github.com/rampdev/ramp/internal/eventrec"
	"github.com/rampdev/ramp/internal/notifier"
	"github.com/rampdev/ramp/notify"
	"github.com/rampdev/ramp/trafficrouting/routers"
)

// DefaultLeaderElectionID is the name of the Lease that elects the active
// controller; an instance ID is appended when set.
const DefaultLeaderElectionID = "ramp-controller.ramp.dev"

// Options configure the manager. The zero value is not valid: use
// DefaultOptions and change what you need.
type Options struct {
	// Namespace restricts the controller to one namespace; empty watches all.
	Namespace string
	// InstanceID makes the controller handle only objects labeled
	// ramp.dev/instance-id=<InstanceID>. Empty handles only objects without
	// that label.
	InstanceID string
	// LeaderElect turns on leader election on a Lease.
	LeaderElect bool
	// LeaderElectionNamespace is where the Lease lives. Empty uses the
	// namespace of the pod when running in a cluster.
	LeaderElectionNamespace string
	// LeaderElectionID is the name of the Lease.
	LeaderElectionID string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// MetricsBindAddress serves Prometheus metrics on /metrics; "0" turns it off.
	MetricsBindAddress string
	// HealthProbeBindAddress serves /healthz and /readyz; "0" turns it off.
	HealthProbeBindAddress string
	// PprofBindAddress serves Go's profiles under /debug/pprof/ (the
	// manager's PprofBindAddress); "0" or empty turns it off. The
	// endpoints have no authentication: bind to localhost and reach them
	// with kubectl port-forward.
	PprofBindAddress string
	// QPS and Burst limit the controller's requests to the API server.
	QPS   float32
	Burst int
	// NewClient, when set, builds the manager's client (tests wrap it to
	// count writes).
	NewClient client.NewClientFunc
	// DashboardBindAddress serves the dashboard (port-forward to it);
	// empty or "0" turns it off.
	DashboardBindAddress string
	// DashboardActions lets people who sign in to the dashboard with a
	// token take actions their RBAC allows; off, the dashboard is
	// read-only.
	DashboardActions bool
	// AllowSeveralInProcess lets tests start more than one manager in one
	// process (controller names are otherwise unique per process, because
	// they label the controllers' metrics).
	AllowSeveralInProcess bool
}

// DefaultOptions returns the options ramp-controller starts with.
func DefaultOptions() Options {
	return Options{
		LeaderElect:            true,
		LeaderElectionID:       DefaultLeaderElectionID,
		LeaseDuration:          15 * time.Second,
		RenewDeadline:          10 * time.Second,
		RetryPeriod:            2 * time.Second,
		MetricsBindAddress:     ":8080",
		HealthProbeBindAddress: ":8081",
		PprofBindAddress:       "0",
		QPS:                    200,
		Burst:                  400,
	}
}

// NewScheme returns a scheme with the Kubernetes built-in kinds and Ramp's.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("add Kubernetes kinds to scheme: %w", err)
	}
	if err := rampv1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("add Ramp kinds to scheme: %w", err)
	}
	if err := gatewayv1.Install(s); err != nil {
		return nil, fmt.Errorf("add Gateway API kinds to scheme: %w", err)
	}
	if err := istionetworkingv1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("add Istio kinds to scheme: %w", err)
	}
	return s, nil
}

// The Lease of leader election, and Events: Ramp's own through
// events.k8s.io, and the "became leader" Event that client-go's leader
// election records through the core API group.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

func init() {
	// Client-side throttling is what to look at when the controller falls
	// behind: serve rest_client_rate_limiter_duration_seconds.
	metrics.RegisterRESTClientMetrics(metrics.MetricRateLimiterLatency)
}

// New builds a manager with Ramp's reconcilers registered. Start it with
// mgr.Start(ctx).
func New(cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	if opts.QPS <= 0 || opts.Burst <= 0 {
		return nil, errors.New("kube-api-qps and kube-api-burst must be greater than 0")
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = opts.QPS
	cfg.Burst = opts.Burst
	cfg.UserAgent = "ramp-controller"

	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	cacheOpts, err := CacheOptions(opts.Namespace, opts.InstanceID)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrlOptions(opts, scheme, cacheOpts))
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	events, err := newEventRecorder(cfg, scheme)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(events); err != nil {
		return nil, fmt.Errorf("add event recorder: %w", err)
	}
	if err := addDashboard(mgr, cfg, opts); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("informers", cacheSynced(mgr)); err != nil {
		return nil, fmt.Errorf("add ready check: %w", err)
	}

	// A receiver holds at most one worker at a time (its messages go in
	// order), so receivers that hang leave the others free workers.
	notes := notifier.New(mgr.GetClient(), mgr.GetAPIReader(), events, notify.Options{Workers: 64})
	if err := mgr.Add(notes); err != nil {
		return nil, fmt.Errorf("add the notifier: %w", err)
	}
	if err := (&rollout.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Notifier:  notes,
		Recorder:  events,
		Clock:     clock.RealClock{},
		Routers:   routers.All,
		Namespace: opts.Namespace,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up Rollout reconciler: %w", err)
	}
	if err := (&profilectrl.Reconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up RolloutProfile reconciler: %w", err)
	}
	if opts.Namespace == "" {
		if err := (&profilectrl.Reconciler{Client: mgr.GetClient(), Cluster: true}).SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("set up ClusterRolloutProfile reconciler: %w", err)
		}
	}
	if err := (&analysisrun.Reconciler{
		Async:     true,
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  events,
		Clock:     clock.RealClock{},
		Providers: map[string]analysis.Provider{
			"prometheus": prometheus.New(),
			"web":        web.New(),
			"job":        job.New(mgr.GetClient()),
			"judge":      judge.New(),
		},
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up AnalysisRun reconciler: %w", err)
	}
	return mgr, nil
}

// newEventRecorder returns the recorder of the controllers' Events. It has
// a client of its own, without a client-side rate limit: its two writers,
// one request each at a time, bound the rate, its queue bounds the memory,
// and Events never wait behind, or hold up, the writes that move rollouts.
func newEventRecorder(cfg *rest.Config, scheme *runtime.Scheme) (*eventrec.Recorder, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = -1
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("events client: %w", err)
	}
	host, _ := os.Hostname()
	return eventrec.New(cs.EventsV1(), scheme, "ramp-controller", "ramp-controller-"+host), nil
}

// ctrlOptions maps opts to the options of controller-runtime's manager.
func ctrlOptions(opts Options, scheme *runtime.Scheme, cacheOpts cache.Options) ctrl.Options {
	leaderElectionID := opts.LeaderElectionID
	if opts.InstanceID != "" {
		leaderElectionID += "-" + opts.InstanceID
	}
	return ctrl.Options{
		Scheme:                        scheme,
		Cache:                         cacheOpts,
		LeaderElection:                opts.LeaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       opts.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &opts.LeaseDuration,
		RenewDeadline:                 &opts.RenewDeadline,
		RetryPeriod:                   &opts.RetryPeriod,
		Metrics:                       metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:        opts.HealthProbeBindAddress,
		PprofBindAddress:              opts.PprofBindAddress,
		Controller:                    config.Controller{SkipNameValidation: &opts.AllowSeveralInProcess},
		NewClient:                     opts.NewClient,
	}
}

// cacheSynced reports ready once the informers have synced.
func cacheSynced(mgr ctrl.Manager) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("informer caches have not synced")
		}
		return nil
	}
}

// CacheOptions restricts the informers to what this controller manages:
// one namespace when namespace is set, objects of its instance ID only, and
// only ReplicaSets and pods that carry Ramp's pod template hash label and
// Jobs of analysis runs, so
// the controller's memory does not grow with unrelated workloads. Managed
// fields are dropped from every cached object.
func CacheOptions(namespace, instanceID string) (cache.Options, error) {
	instance, err := InstanceSelector(instanceID)
	if err != nil {
		return cache.Options{}, err
	}
	managedRS, err := labels.NewRequirement(rampv1alpha1.LabelPodTemplateHash, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("replica set selector: %w", err)
	}
	managed := labels.NewSelector().Add(*managedRS)
	analysisJob, err := labels.NewRequirement(job.LabelAnalysisRun, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("job selector: %w", err)
	}
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.ReplicaSet{}:        {Label: managed, Transform: dropPodTemplateAnnotation},
			&corev1.Pod{}:               {Label: managed, Transform: slimPod},
			&batchv1.Job{}:              {Label: labels.NewSelector().Add(*analysisJob)},
			&rampv1alpha1.Rollout{}:     {Label: instance, Transform: keepStatusManagedFields},
			&rampv1alpha1.AnalysisRun{}: {Label: instance, Transform: slimFinishedRun},
		},
	}
	if namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	return opts, nil
}

// dropPodTemplateAnnotation strips managed fields and the copy of the
// Rollout's pod template (AnnotationPodTemplate) from cached ReplicaSets:
// the controller never reads it, and it would double the memory a
// ReplicaSet takes. The controller only patches ReplicaSets, so the
// annotation stays on the object.
func dropPodTemplateAnnotation(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if rs, ok := obj.(*appsv1.ReplicaSet); ok && err == nil {
		delete(rs.Annotations, rampv1alpha1.AnnotationPodTemplate)
	}
	return obj, err
}

// slimFinishedRun strips managed fields from cached AnalysisRuns and, once
// a run has finished, its measurements, verdicts and the definitions of its
// metrics: finished runs are most of the runs a controller holds (five
// per Rollout by default) and the controller reads only their phase,
// messages, counts, labels and spec.terminate. Each metric keeps its name
// and which provider it uses, for the run's metric series. The rollout
// page of the dashboard reads runs from the API server, whole. Runs are
// only ever patched (status by the difference with what was read, spec
// with spec.terminate alone), so nothing stripped is written back.
func slimFinishedRun(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	run, ok := obj.(*rampv1alpha1.AnalysisRun)
	if !ok || err != nil || !run.Status.Phase.Completed() || run.Status.CompletedAt == nil {
		return obj, err
	}
	metrics := make([]rampv1alpha1.Metric, len(run.Spec.Metrics))
	for i, m := range run.Spec.Metrics {
		metrics[i] = rampv1alpha1.Metric{Name: m.Name, Provider: providerKind(m.Provider)}
	}
	run.Spec = rampv1alpha1.AnalysisRunSpec{Metrics: metrics, Terminate: run.Spec.Terminate}
	results := make([]rampv1alpha1.MetricResult, len(run.Status.MetricResults))
	for i, res := range run.Status.MetricResults {
		res.Measurements, res.Verdict = nil, nil
		results[i] = res
	}
	run.Status.MetricResults = results
	return run, nil
}

// providerKind is an empty provider of p's kind.
func providerKind(p rampv1alpha1.MetricProvider) rampv1alpha1.MetricProvider {
	var k rampv1alpha1.MetricProvider
	switch {
	case p.Prometheus != nil:
		k.Prometheus = &rampv1alpha1.PrometheusMetric{}
	case p.Job != nil:
		k.Job = &rampv1alpha1.JobMetric{}
	case p.Web != nil:
		k.Web = &rampv1alpha1.WebMetric{}
	case p.Judge != nil:
		k.Judge = &rampv1alpha1.JudgeMetric{}
	}
	return k
}

// slimPod strips managed fields, most of the spec and much of the status
// from cached pods: the controller reads their labels, annotations,
// owners, times and readiness, and the dashboard their state and the
// number and names of their containers; the rest (environment, volumes,
// probes, resources, addresses, image IDs) would be most of a pod's
// memory. The controller only patches
// pods, so nothing stripped is ever written back.
func slimPod(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	pod, ok := obj.(*corev1.Pod)
	if !ok || err != nil {
		return obj, err
	}
	slim := corev1.PodSpec{NodeName: pod.Spec.NodeName}
	for _, c := range pod.Spec.InitContainers {
		slim.InitContainers = append(slim.InitContainers, corev1.Container{Name: c.Name, Image: c.Image})
	}
	for _, c := range pod.Spec.Containers {
		slim.Containers = append(slim.Containers, corev1.Container{Name: c.Name, Image: c.Image})
	}
	pod.Spec = slim
	pod.Status = slimPodStatus(pod.Status)
	return pod, nil
}

// slimPodStatus keeps what the controller and the dashboard read of a
// pod's status: its phase and reason, the Ready condition, and each
// container's name, readiness, restart count and state (without times and
// IDs). Addresses, images and the other conditions go.
func slimPodStatus(st corev1.PodStatus) corev1.PodStatus {
	slim := corev1.PodStatus{Phase: st.Phase, Reason: st.Reason, Message: st.Message}
	for _, c := range st.Conditions {
		if c.Type == corev1.PodReady {
			slim.Conditions = []corev1.PodCondition{{Type: c.Type, Status: c.Status, LastTransitionTime: c.LastTransitionTime}}
		}
	}
	slim.InitContainerStatuses = slimContainerStatuses(st.InitContainerStatuses)
	slim.ContainerStatuses = slimContainerStatuses(st.ContainerStatuses)
	return slim
}

func slimContainerStatuses(in []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(in))
	for i, c := range in {
		out[i] = corev1.ContainerStatus{Name: c.Name, Ready: c.Ready, RestartCount: c.RestartCount}
		switch {
		case c.State.Waiting != nil:
			out[i].State.Waiting = &corev1.ContainerStateWaiting{Reason: c.State.Waiting.Reason}
		case c.State.Terminated != nil:
			out[i].State.Terminated = &corev1.ContainerStateTerminated{Reason: c.State.Terminated.Reason, ExitCode: c.State.Terminated.ExitCode}
		case c.State.Running != nil:
			out[i].State.Running = &corev1.ContainerStateRunning{}
		}
	}
	return out
}

// InstanceSelector selects the objects a controller with this instance ID
// handles: those labeled with it, or, with no instance ID, those without
// the label.
func InstanceSelector(instanceID string) (labels.Selector, error) {
	var req *labels.Requirement
	var err error
	if instanceID == "" {
		req, err = labels.NewRequirement(rampv1alpha1.LabelInstanceID, selection.DoesNotExist, nil)
	} else {
		req, err = labels.NewRequirement(rampv1alpha1.LabelInstanceID, selection.Equals, []string{instanceID})
	}
	if err != nil {
		return nil, fmt.Errorf("invalid --instance-id %q: %w", instanceID, err)
	}
	return labels.NewSelector().Add(*req), nil
}

// keepStatusManagedFields drops the managed fields of a cached Rollout
// except those of status writes, which say which tool set status.abort.
func keepStatusManagedFields(obj any) (any, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	var keep []metav1.ManagedFieldsEntry
	for _, mf := range o.GetManagedFields() {
		if mf.Subresource == "status" {
			keep = append(keep, mf)
		}
	}
	o.SetManagedFields(keep)
	return obj, nil
}
