package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

const testCRD = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rollouts.ramp.dev
spec:
  group: ramp.dev
  names:
    kind: Rollout
    listKind: RolloutList
    plural: rollouts
    singular: rollout
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: Spec is kept.
            properties:
              selector:
                type: object
                properties:
                  matchLabels:
                    type: object
                    additionalProperties: {type: string}
                  matchExpressions:
                    type: array
                    items:
                      type: object
                      properties:
                        key: {type: string}
                        operator: {type: string}
                        values: {type: array, items: {type: string}}
              template:
                type: object
                description: Template is kept.
                properties:
                  metadata:
                    type: object
                    properties:
                      labels:
                        type: object
                        additionalProperties: {type: string}
                  spec:
                    type: object
                    description: PodSpec is kept.
                    properties:
                      containers:
                        type: array
                        description: Containers is dropped.
                        items:
                          type: object
                          properties:
                            image: {type: string, description: Image is dropped.}
`

func TestProcessFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(path, []byte(testCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := processFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	tmpl := spec.Properties["template"]
	pod := tmpl.Properties["spec"]
	containers := pod.Properties["containers"]
	if spec.Description == "" || tmpl.Description == "" || pod.Description == "" {
		t.Error("descriptions above the pod spec were dropped")
	}
	if containers.Description != "" || containers.Items.Schema.Properties["image"].Description != "" {
		t.Error("descriptions inside the pod spec were kept")
	}
	sel := spec.Properties["selector"]
	if ml := sel.Properties["matchLabels"]; ml.MaxProperties == nil || ml.AdditionalProperties.Schema.MaxLength == nil {
		t.Error("selector.matchLabels is not bounded")
	}
	if me := sel.Properties["matchExpressions"]; me.MaxItems == nil || me.Items.Schema.Properties["values"].MaxItems == nil {
		t.Error("selector.matchExpressions is not bounded")
	}
	if l := tmpl.Properties["metadata"].Properties["labels"]; l.MaxProperties == nil {
		t.Error("template labels are not bounded")
	}

	// A second run changes nothing.
	if err := processFile(path); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Error("processing twice changed the file")
	}
}

// TestGeneratedCRDsFitKubectlApply checks the committed CRDs: kubectl apply
// stores each object as JSON in an annotation capped at 256 KiB.
func TestGeneratedCRDsFitKubectlApply(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(self), "..", "..", "charts", "ramp", "crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs found (%v)", err)
	}
	const limit = 256 * 1024
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(data, &obj); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		compact, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if len(compact) > limit*9/10 {
			t.Errorf("%s is %d bytes as JSON; keep it well under kubectl apply's %d", filepath.Base(f), len(compact), limit)
		}
	}
}
