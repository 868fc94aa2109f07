// Command crdpostprocess finishes the CRDs that controller-gen writes into
// charts/ramp/crds. It runs as part of `make manifests` and does two things
// that markers cannot express on types Ramp embeds from Kubernetes:
//
//   - It drops the descriptions inside embedded pod specs (a Rollout's
//     template, an analysis Job's template). They repeat the Kubernetes
//     reference documentation and would make each CRD about 900 KB, too big
//     for `kubectl apply` (its last-applied annotation is capped at 256 KB).
//     The schema itself is kept, so a bad pod spec is still rejected when the
//     Rollout is applied.
//   - It bounds the label maps and lists of a Rollout's selector and pod
//     template labels (label values are at most 63 characters in Kubernetes
//     anyway; the counts are generous). The CEL rule that checks the selector
//     against the template labels needs these bounds to fit the API server's
//     cost budget.
//
// Usage: crdpostprocess DIR
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Bounds applied to label maps and selector lists.
const (
	maxLabels          = 64
	maxLabelValueLen   = 63
	maxLabelKeyLen     = 317 // 253 (prefix) + 1 + 63 (name)
	maxMatchExpression = 32
	maxSelectorValues  = 64
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdpostprocess DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdpostprocess:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no CRD files in %s", dir)
	}
	for _, f := range files {
		if err := processFile(f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

func processFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	for i := range crd.Spec.Versions {
		schema := crd.Spec.Versions[i].Schema
		if schema == nil || schema.OpenAPIV3Schema == nil {
			continue
		}
		stripPodSpecDescriptions(schema.OpenAPIV3Schema)
		if crd.Spec.Names.Kind == "Rollout" {
			if err := boundRolloutLabels(schema.OpenAPIV3Schema); err != nil {
				return err
			}
		}
	}
	out, err := marshalCRD(&crd)
	if err != nil {
		return err
	}
	if bytes.Equal(out, data) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}

// marshalCRD writes a CRD the way controller-gen does: a document separator,
// then YAML without status or creationTimestamp.
func marshalCRD(crd *apiextensionsv1.CustomResourceDefinition) ([]byte, error) {
	raw, err := yaml.Marshal(crd)
	if err != nil {
		return nil, err
	}
	var generic map[string]any
	if err := yaml.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	delete(generic, "status")
	if meta, ok := generic["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	raw, err = yaml.Marshal(generic)
	if err != nil {
		return nil, err
	}
	return append([]byte("---\n"), raw...), nil
}

// stripPodSpecDescriptions removes descriptions below every pod spec: any
// object schema with a "containers" property.
func stripPodSpecDescriptions(s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	if _, ok := s.Properties["containers"]; ok && s.Type == "object" {
		desc := s.Description
		clearDescriptions(s)
		s.Description = desc
		return
	}
	forEachChild(s, stripPodSpecDescriptions)
}

func clearDescriptions(s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	s.Description = ""
	forEachChild(s, clearDescriptions)
}

// forEachChild calls fn on every direct sub-schema of s.
func forEachChild(s *apiextensionsv1.JSONSchemaProps, fn func(*apiextensionsv1.JSONSchemaProps)) {
	for k, p := range s.Properties {
		fn(&p)
		s.Properties[k] = p
	}
	if s.Items != nil && s.Items.Schema != nil {
		fn(s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		fn(s.AdditionalProperties.Schema)
	}
	for i := range s.AllOf {
		fn(&s.AllOf[i])
	}
	for i := range s.AnyOf {
		fn(&s.AnyOf[i])
	}
	for i := range s.OneOf {
		fn(&s.OneOf[i])
	}
}

// boundRolloutLabels bounds spec.selector and spec.template.metadata.labels.
func boundRolloutLabels(root *apiextensionsv1.JSONSchemaProps) error {
	edits := []struct {
		path []string
		fn   func(*apiextensionsv1.JSONSchemaProps) error
	}{
		{[]string{"spec", "selector", "matchLabels"}, boundLabelMap},
		{[]string{"spec", "template", "metadata", "labels"}, boundLabelMap},
		{[]string{"spec", "selector", "matchExpressions"}, boundMatchExpressions},
	}
	for _, e := range edits {
		if err := editAt(root, e.path, e.fn); err != nil {
			return err
		}
	}
	return nil
}

func boundLabelMap(s *apiextensionsv1.JSONSchemaProps) error {
	if s.AdditionalProperties == nil || s.AdditionalProperties.Schema == nil {
		return fmt.Errorf("label map has no value schema")
	}
	s.MaxProperties = ptr.To[int64](maxLabels)
	s.AdditionalProperties.Schema.MaxLength = ptr.To[int64](maxLabelValueLen)
	return nil
}

func boundMatchExpressions(s *apiextensionsv1.JSONSchemaProps) error {
	if s.Items == nil || s.Items.Schema == nil {
		return fmt.Errorf("matchExpressions has no item schema")
	}
	s.MaxItems = ptr.To[int64](maxMatchExpression)
	item := s.Items.Schema
	key, ok := item.Properties["key"]
	if !ok {
		return fmt.Errorf("matchExpressions item has no key")
	}
	key.MaxLength = ptr.To[int64](maxLabelKeyLen)
	item.Properties["key"] = key
	op, ok := item.Properties["operator"]
	if !ok {
		return fmt.Errorf("matchExpressions item has no operator")
	}
	op.MaxLength = ptr.To[int64](16)
	item.Properties["operator"] = op
	values, ok := item.Properties["values"]
	if !ok || values.Items == nil || values.Items.Schema == nil {
		return fmt.Errorf("matchExpressions item has no values")
	}
	values.MaxItems = ptr.To[int64](maxSelectorValues)
	values.Items.Schema.MaxLength = ptr.To[int64](maxLabelValueLen)
	item.Properties["values"] = values
	return nil
}

// editAt applies fn to the property schema at path below root.
func editAt(root *apiextensionsv1.JSONSchemaProps, path []string, fn func(*apiextensionsv1.JSONSchemaProps) error) error {
	if len(path) == 0 {
		return fn(root)
	}
	child, ok := root.Properties[path[0]]
	if !ok {
		return fmt.Errorf("schema has no property %q (path %s)", path[0], strings.Join(path, "."))
	}
	if err := editAt(&child, path[1:], fn); err != nil {
		return err
	}
	root.Properties[path[0]] = child
	return nil
}
