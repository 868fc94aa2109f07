package cluster

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// defaultStages are the kwok Stage objects every plane loads: fake nodes
// become Ready, pods on them become Running and Ready, Job pods succeed,
// deleted pods go away.
//
//go:embed kwok_stages.yaml
var defaultStages string

// StageAnnotation is the pod annotation that opts a pod out of the default
// pod stages (except deletion): the pod is left to a stage that selects on
// the annotation's value, such as StageNeverReady, StageFail or one passed in
// Options.KwokStages. Such a stage should also require
// '.metadata.deletionTimestamp' DoesNotExist, so that deleted pods still go
// away.
const StageAnnotation = "cluster.test.ramp.dev/stage"

// StageNeverReady is the StageAnnotation value of a pod that runs but never
// becomes ready, like one whose readiness probe keeps failing. Its stage is
// one of the defaults.
const StageNeverReady = "never-ready"

// StageFail is the StageAnnotation value of a pod that starts, runs for
// about a second and then fails: phase Failed, every container terminated
// with exit code 1 (reason Error). The Job controller counts such a pod as
// failed, so a Job with backoffLimit 0 whose pod template carries the
// annotation ends with condition Failed=True. Its stages are defaults.
const StageFail = "fail"

// Node annotation and label of fake nodes. kwok manages only nodes with the
// annotation.
const (
	fakeNodeAnnotation = "kwok.x-k8s.io/node"
	fakeNodeValue      = "fake"
	fakeNodeLabel      = "type"
	fakeNodeLabelValue = "kwok"
	// FakeNodePrefix starts the name of every fake node: kwok-node-0,
	// kwok-node-1, and so on.
	FakeNodePrefix = "kwok-node-"
)

// writeKwokConfig writes kwok's --config file: the default stages followed by
// the caller's extra Stage documents, each of which must be a Stage.
func writeKwokConfig(path string, extra []string) error {
	var buf bytes.Buffer
	buf.WriteString(defaultStages)
	for i, doc := range extra {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			return fmt.Errorf("kwok stage %d: %w", i, err)
		}
		if meta.Kind != "Stage" || !strings.HasPrefix(meta.APIVersion, "kwok.x-k8s.io/") {
			return fmt.Errorf("kwok stage %d: want kind Stage of kwok.x-k8s.io, got %q %q", i, meta.APIVersion, meta.Kind)
		}
		buf.WriteString("\n---\n")
		buf.WriteString(strings.TrimSpace(doc))
		buf.WriteString("\n")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write kwok config: %w", err)
	}
	return nil
}

// CreateNodes adds n fake nodes managed by kwok and waits until each is
// Ready and schedulable. Nodes are named kwok-node-<i>, carry the label
// type=kwok, and have room for thousands of pods (1000 CPUs, 1 TiB memory,
// 1000 pods). The node.kubernetes.io/not-ready taint that admission puts on
// new nodes is removed, since no node lifecycle controller runs.
func (c *Cluster) CreateNodes(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	c.mu.Lock()
	first := c.nodeCount
	c.nodeCount += n
	c.mu.Unlock()

	names := make([]string, 0, n)
	for i := first; i < first+n; i++ {
		node := fakeNode(i)
		if _, err := c.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", node.Name, err)
		}
		if err := untaintNode(ctx, c, node.Name); err != nil {
			return err
		}
		names = append(names, node.Name)
	}
	for _, name := range names {
		if err := c.waitNodeReady(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// fakeNode returns fake node number i.
func fakeNode(i int) *corev1.Node {
	name := fmt.Sprintf("%s%d", FakeNodePrefix, i)
	cidr := fmt.Sprintf("10.%d.0.0/16", 64+i%64)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("1000"),
		corev1.ResourceMemory:           resource.MustParse("1Ti"),
		corev1.ResourcePods:             resource.MustParse("1000"),
		corev1.ResourceEphemeralStorage: resource.MustParse("1Ti"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				fakeNodeLabel:            fakeNodeLabelValue,
			},
			Annotations: map[string]string{
				fakeNodeAnnotation:             fakeNodeValue,
				"node.alpha.kubernetes.io/ttl": "0",
			},
		},
		Spec: corev1.NodeSpec{PodCIDR: cidr, PodCIDRs: []string{cidr}},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.63.%d.%d", i/250, 1+i%250)},
				{Type: corev1.NodeHostName, Address: name},
			},
		},
	}
}

// untaintNode removes the not-ready taint from a node.
func untaintNode(ctx context.Context, c *Cluster, name string) error {
	node, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", name, err)
	}
	keep := []corev1.Taint{}
	for _, t := range node.Spec.Taints {
		if t.Key != corev1.TaintNodeNotReady {
			keep = append(keep, t)
		}
	}
	if len(keep) == len(node.Spec.Taints) {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"taints": keep}})
	if err != nil {
		return fmt.Errorf("encode taint patch: %w", err)
	}
	if _, err := c.client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("remove not-ready taint from node %s: %w", name, err)
	}
	return nil
}

// waitNodeReady waits until kwok reports the node Ready.
func (c *Cluster) waitNodeReady(ctx context.Context, name string) error {
	err := poll(ctx, time.Minute, func(ctx context.Context) error {
		node, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("node conditions %v", node.Status.Conditions)
	})
	if err != nil {
		return fmt.Errorf("wait for node %s to be Ready: %w; kwok log:\n%s", name, err, c.logTail(binKwok, 30))
	}
	return nil
}
