// Package framework holds what every end-to-end suite needs on top of
// test/cluster: a client with Ramp's scheme, a namespace per test and YAML
// helpers (this file); Ramp's controller run in process (controller.go);
// API calls that fail the test, and object builders (objects.go); Rollout
// builders, waits and descriptions (rollouts.go); waits on one object
// (wait.go), on lists and whole histories of changes (watch.go), and on
// Events (events.go).
package framework

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/internal/manager"
	"github.com/rampdev/ramp/test/cluster"
)

// Client returns a client of the current test plane that knows the
// Kubernetes kinds and Ramp's, and can watch.
func Client(t testing.TB) client.WithWatch {
	t.Helper()
	c := cluster.Current()
	if c == nil {
		t.Fatal("no control plane: call cluster.RunTestMain from TestMain")
	}
	scheme, err := manager.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	k8s, err := client.NewWithWatch(c.RESTConfig(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return k8s
}

// Namespace creates a namespace for one test, named after it, and deletes it
// when the test ends.
func Namespace(t testing.TB, k8s client.Client) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())}}
	ctx, cancel := APIContext()
	defer cancel()
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := APIContext()
		defer cancel()
		_ = k8s.Delete(ctx, ns)
	})
	return ns.Name
}

// namespacePrefix turns a test name into a valid namespace name prefix.
func namespacePrefix(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		name = strings.TrimRight(name[:40], "-")
	}
	return name + "-"
}

// DecodeYAML splits a multi-document YAML stream into objects, skipping empty
// documents.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("decode YAML: %w", err)
		}
		if len(raw) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: raw})
	}
}

// DecodeYAMLFile reads and splits a YAML file.
func DecodeYAMLFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := DecodeYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}
