package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// failStage is an extra kwok stage, passed through Options.KwokStages: a pod
// annotated cluster.test.ramp.dev/stage=test-fail fails.
const failStage = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: test-pod-fail
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - jq:
        key: '.metadata.deletionTimestamp'
        operator: DoesNotExist
    - jq:
        key: '.metadata.annotations["cluster.test.ramp.dev/stage"]'
        operator: In
        values: ["test-fail"]
    - jq:
        key: '.status.phase'
        operator: NotIn
        values: ["Failed"]
  steps:
  - patch:
      subresource: status
      root: status
      template: |
        phase: Failed
        reason: Error
        message: failed by a test stage
`

// TestMain runs this package's tests against one shared plane started by
// RunTestMain, except in the orphan helper subprocess (see
// TestChildrenDieWithParent).
func TestMain(m *testing.M) {
	if os.Getenv(orphanHelperEnv) != "" {
		runOrphanHelper()
		os.Exit(1)
	}
	ctrllog.SetLogger(ctrlzap.New(ctrlzap.WriteTo(io.Discard)))
	gateway, err := GatewayAPICRDDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	istio, err := IstioCRDFile()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Ramp's own CRDs may not be generated yet, so not DefaultCRDPaths.
	RunTestMain(m, Options{
		CRDPaths:   []string{gateway, istio},
		KwokStages: []string{failStage},
	}, nil)
}

// shared returns the plane of this test binary and a client for it.
func shared(t *testing.T) (*Cluster, client.Client) {
	t.Helper()
	c := Current()
	if c == nil {
		t.Fatal("no plane: RunTestMain did not run")
	}
	k8s, err := client.New(c.RESTConfig(), client.Options{})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return c, k8s
}

// eventually polls check until it reports done, failing with the last state
// it described after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		var done bool
		done, last = check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newNamespace creates a namespace, waits for its default service account,
// and deletes it at the end of the test.
func newNamespace(t *testing.T, k8s client.Client, name string) {
	t.Helper()
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	eventually(t, 30*time.Second, "default service account in "+name, func() (bool, string) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: name, Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, fmt.Sprint(err)
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func describePods(pods []corev1.Pod) string {
	var parts []string
	for _, p := range pods {
		parts = append(parts, fmt.Sprintf("%s node=%q phase=%s ready=%t ip=%s", p.Name, p.Spec.NodeName, p.Status.Phase, podReady(&p), p.Status.PodIP))
	}
	return fmt.Sprintf("%d pods: [%s]", len(pods), strings.Join(parts, "; "))
}

func testContainer() []corev1.Container {
	return []corev1.Container{{Name: "app", Image: "registry.example/app:v1"}}
}

func TestServerVersionIsStamped(t *testing.T) {
	c, _ := shared(t)
	disco, err := discovery.NewDiscoveryClientForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	v, err := disco.ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	versions, err := readToolVersions(mustRepoRoot(t) + "/hack/tools/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != versions.kubernetes {
		t.Fatalf("server version %q, want %q from hack/tools/go.mod", v.GitVersion, versions.kubernetes)
	}
}

func TestDeploymentPodsBecomeReadyAndGoAway(t *testing.T) {
	_, k8s := shared(t)
	ctx := t.Context()
	newNamespace(t, k8s, "deploy")

	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "deploy", Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: testContainer()},
			},
		},
	}
	if err := k8s.Create(ctx, deploy); err != nil {
		t.Fatalf("create deployment: %v", err)
	}

	eventually(t, 30*time.Second, "2 ready pods on fake nodes", func() (bool, string) {
		var pods corev1.PodList
		if err := k8s.List(ctx, &pods, client.InNamespace("deploy"), client.MatchingLabels(labels)); err != nil {
			return false, err.Error()
		}
		ready := 0
		for i := range pods.Items {
			p := &pods.Items[i]
			if strings.HasPrefix(p.Spec.NodeName, FakeNodePrefix) && p.Status.Phase == corev1.PodRunning && podReady(p) && p.Status.PodIP != "" {
				ready++
			}
		}
		return ready == 2 && len(pods.Items) == 2, describePods(pods.Items)
	})
	eventually(t, 30*time.Second, "deployment available", func() (bool, string) {
		var d appsv1.Deployment
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(deploy), &d); err != nil {
			return false, err.Error()
		}
		return d.Status.AvailableReplicas == 2, fmt.Sprintf("status %+v", d.Status)
	})

	patch := client.MergeFrom(deploy.DeepCopy())
	deploy.Spec.Replicas = ptr.To[int32](0)
	if err := k8s.Patch(ctx, deploy, patch); err != nil {
		t.Fatalf("scale deployment to 0: %v", err)
	}
	eventually(t, 30*time.Second, "pods deleted after scale-down", func() (bool, string) {
		var pods corev1.PodList
		if err := k8s.List(ctx, &pods, client.InNamespace("deploy"), client.MatchingLabels(labels)); err != nil {
			return false, err.Error()
		}
		return len(pods.Items) == 0, describePods(pods.Items)
	})
}

func TestJobCompletes(t *testing.T) {
	_, k8s := shared(t)
	ctx := t.Context()
	newNamespace(t, k8s, "jobs")

	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: "jobs", Name: "once"},
		Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{Containers: testContainer(), RestartPolicy: corev1.RestartPolicyNever},
			},
		},
	}
	if err := k8s.Create(ctx, job); err != nil {
		t.Fatalf("create job: %v", err)
	}
	eventually(t, 30*time.Second, "job complete", func() (bool, string) {
		var j batchv1.Job
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(job), &j); err != nil {
			return false, err.Error()
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
				return j.Status.Succeeded == 1, fmt.Sprintf("succeeded=%d", j.Status.Succeeded)
			}
		}
		return false, fmt.Sprintf("status %+v", j.Status)
	})
}

func TestPodStages(t *testing.T) {
	_, k8s := shared(t)
	ctx := t.Context()
	newNamespace(t, k8s, "stages")

	newPod := func(name, stage string) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "stages", Name: name, Annotations: map[string]string{StageAnnotation: stage}},
			Spec:       corev1.PodSpec{Containers: testContainer()},
		}
		if err := k8s.Create(ctx, p); err != nil {
			t.Fatalf("create pod %s: %v", name, err)
		}
		return p
	}
	get := func(p *corev1.Pod) (*corev1.Pod, error) {
		var got corev1.Pod
		err := k8s.Get(ctx, client.ObjectKeyFromObject(p), &got)
		return &got, err
	}

	// Default stage StageNeverReady.
	never := newPod("never", StageNeverReady)
	// Extra stage from Options.KwokStages.
	failing := newPod("failing", "test-fail")

	eventually(t, 30*time.Second, "never-ready pod running", func() (bool, string) {
		p, err := get(never)
		if err != nil {
			return false, err.Error()
		}
		return p.Status.Phase == corev1.PodRunning, describePods([]corev1.Pod{*p})
	})
	time.Sleep(time.Second)
	if p, err := get(never); err != nil || podReady(p) || p.Status.Phase != corev1.PodRunning {
		t.Fatalf("never-ready pod: want Running and not Ready, got %v %s", err, describePods([]corev1.Pod{*p}))
	}
	eventually(t, 30*time.Second, "failing pod failed", func() (bool, string) {
		p, err := get(failing)
		if err != nil {
			return false, err.Error()
		}
		return p.Status.Phase == corev1.PodFailed, describePods([]corev1.Pod{*p})
	})

	// Deletion still works for pods with a custom stage.
	if err := k8s.Delete(ctx, never); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	eventually(t, 30*time.Second, "deleted pod gone", func() (bool, string) {
		_, err := get(never)
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

func TestNamespaceResources(t *testing.T) {
	_, k8s := shared(t)
	ctx := t.Context()
	newNamespace(t, k8s, "published")
	// The root CA publisher (kube-controller-manager --root-ca-file) puts the
	// plane's CA in every namespace.
	eventually(t, 30*time.Second, "kube-root-ca.crt config map", func() (bool, string) {
		var cm corev1.ConfigMap
		err := k8s.Get(ctx, client.ObjectKey{Namespace: "published", Name: "kube-root-ca.crt"}, &cm)
		return err == nil && strings.Contains(cm.Data["ca.crt"], "BEGIN CERTIFICATE"), fmt.Sprint(err)
	})

	// The namespace controller finishes deletion.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "published"}}
	if err := k8s.Delete(ctx, ns); err != nil {
		t.Fatalf("delete namespace: %v", err)
	}
	eventually(t, 60*time.Second, "namespace deleted", func() (bool, string) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

func TestMoreNodes(t *testing.T) {
	c, k8s := shared(t)
	ctx := t.Context()
	if err := c.CreateNodes(ctx, 1); err != nil {
		t.Fatalf("create nodes: %v", err)
	}
	var nodes corev1.NodeList
	if err := k8s.List(ctx, &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 2 {
		t.Fatalf("want 2 nodes, got %d", len(nodes.Items))
	}
	for _, n := range nodes.Items {
		if len(n.Spec.Taints) != 0 {
			t.Errorf("node %s has taints %v", n.Name, n.Spec.Taints)
		}
		pods := n.Status.Allocatable[corev1.ResourcePods]
		if pods.Value() < 500 {
			t.Errorf("node %s allocatable pods %s, want room for hundreds", n.Name, pods.String())
		}
	}
}

func TestGatewayAndIstioObjects(t *testing.T) {
	_, k8s := shared(t)
	ctx := t.Context()
	newNamespace(t, k8s, "mesh")

	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1",
		"kind":       "HTTPRoute",
		"metadata":   map[string]any{"namespace": "mesh", "name": "web"},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "gateway"}},
			"rules": []any{map[string]any{
				"backendRefs": []any{
					map[string]any{"name": "web-stable", "port": int64(80), "weight": int64(90)},
					map[string]any{"name": "web-canary", "port": int64(80), "weight": int64(10)},
				},
			}},
		},
	}}
	vs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       "VirtualService",
		"metadata":   map[string]any{"namespace": "mesh", "name": "web"},
		"spec": map[string]any{
			"hosts": []any{"web"},
			"http": []any{map[string]any{
				"route": []any{
					map[string]any{"destination": map[string]any{"host": "web-stable"}, "weight": int64(90)},
					map[string]any{"destination": map[string]any{"host": "web-canary"}, "weight": int64(10)},
				},
			}},
		},
	}}
	for _, obj := range []*unstructured.Unstructured{route, vs} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("create %s: %v", obj.GetKind(), err)
		}
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(obj.GroupVersionKind())
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
			t.Fatalf("get %s: %v", obj.GetKind(), err)
		}
	}
}

func TestInstallCRDsAgainUpdates(t *testing.T) {
	c, _ := shared(t)
	gateway, err := GatewayAPICRDDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.InstallCRDs(t.Context(), gateway); err != nil {
		t.Fatalf("install the same crds again: %v", err)
	}
}

func TestKubectl(t *testing.T) {
	c, _ := shared(t)
	out, err := exec.CommandContext(t.Context(), c.KubectlPath(), "--kubeconfig", c.KubeconfigPath(), "version", "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl version: %v\n%s", err, out)
	}
	var v struct {
		ServerVersion struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil || !strings.HasPrefix(v.ServerVersion.GitVersion, "v1.") {
		t.Fatalf("kubectl version output %s (%v)", out, err)
	}
	out, err = exec.CommandContext(t.Context(), c.KubectlPath(), "--kubeconfig", c.KubeconfigPath(), "get", "nodes", "-o", "name").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "node/"+FakeNodePrefix+"0") {
		t.Fatalf("kubectl get nodes: %v\n%s", err, out)
	}
}

func TestDumpLogs(t *testing.T) {
	c, _ := shared(t)
	var b strings.Builder
	c.DumpLogs(&b)
	for _, name := range []string{binEtcd, binKubeAPIServer, binKubeControllerManager, binKubeScheduler, binKwok} {
		if !strings.Contains(b.String(), "===== "+name+" (pid ") {
			t.Errorf("DumpLogs has no section for %s", name)
		}
	}
	if !strings.Contains(b.String(), "running") {
		t.Errorf("DumpLogs does not show the components running:\n%s", b.String())
	}
}
