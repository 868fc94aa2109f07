package lint

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	chart "github.com/rampdev/ramp/charts/ramp"
)

// kindSchema checks objects of one Ramp kind the way the API server does
// on create: the structural schema (for pruning and defaulting), the
// OpenAPI validator and the CEL rules, all built from the CRD that the
// chart installs.
type kindSchema struct {
	// kind is the CRD's kind, such as Rollout.
	kind string
	// namespaced is true for kinds that live in a namespace.
	namespaced bool
	// hasStatus is true when the kind has a status subresource: the API
	// server drops status on create, so lint does not check it.
	hasStatus bool
	// structural is the version's schema in structural form.
	structural *structuralschema.Structural
	// openAPI validates types, formats, enums, limits and required fields.
	openAPI apiservervalidation.SchemaValidator
	// cel runs the x-kubernetes-validations rules.
	cel *cel.Validator
}

// crdSchemas maps each kind served by ramp.dev/v1alpha1 to a function that
// builds its kindSchema once, the first time an object of the kind is
// linted: building the CEL programs of a kind costs more than linting a
// whole directory, so kinds never seen are never built.
var crdSchemas = sync.OnceValues(indexCRDs)

// indexCRDs reads the kind of every CRD of the chart (from the head of the
// file only) and returns the lazy builders by kind.
func indexCRDs() (map[string]func() (*kindSchema, error), error) {
	entries, err := fs.ReadDir(chart.CRDs, "crds")
	if err != nil {
		return nil, fmt.Errorf("read the embedded CRDs: %w", err)
	}
	out := map[string]func() (*kindSchema, error){}
	for _, e := range entries {
		name := path.Join("crds", e.Name())
		data, err := fs.ReadFile(chart.CRDs, name)
		if err != nil {
			return nil, fmt.Errorf("read the embedded CRD %s: %w", name, err)
		}
		var head struct {
			Spec struct {
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(crdHead(data), &head); err != nil {
			return nil, fmt.Errorf("read the kind of the embedded CRD %s: %w", name, err)
		}
		if head.Spec.Names.Kind == "" {
			return nil, fmt.Errorf("the embedded CRD %s names no kind", name)
		}
		out[head.Spec.Names.Kind] = sync.OnceValues(func() (*kindSchema, error) { return buildSchema(name, data) })
	}
	return out, nil
}

// crdHead cuts a CRD before spec.versions, which holds the large schema:
// the names come before it in the files controller-gen writes. A file in
// another order is read whole.
func crdHead(data []byte) []byte {
	if i := bytes.Index(data, []byte("\n  versions:\n")); i > 0 {
		return data[:i+1]
	}
	return data
}

// schemaFor returns the kindSchema of a Ramp kind; ok is false for a kind
// that ramp.dev/v1alpha1 does not serve.
func schemaFor(kind string) (s *kindSchema, ok bool, err error) {
	builders, err := crdSchemas()
	if err != nil {
		return nil, false, err
	}
	build, ok := builders[kind]
	if !ok {
		return nil, false, nil
	}
	s, err = build()
	return s, true, err
}

// rampKinds lists the kinds ramp.dev/v1alpha1 serves, for messages.
func rampKinds() []string {
	builders, err := crdSchemas()
	if err != nil {
		return nil
	}
	kinds := make([]string, 0, len(builders))
	for k := range builders {
		kinds = append(kinds, k)
	}
	return kinds
}

// buildSchema builds the validators of the served version of a CRD.
func buildSchema(name string, data []byte) (*kindSchema, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		return nil, fmt.Errorf("decode the embedded CRD %s: %w", name, err)
	}
	var version *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == rampv1alpha1.GroupVersion.Version {
			version = &crd.Spec.Versions[i]
		}
	}
	if version == nil || version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("the embedded CRD %s has no schema for version %s", name, rampv1alpha1.GroupVersion.Version)
	}
	internal := &apiextensionsinternal.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(version.Schema.OpenAPIV3Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("convert the schema of the embedded CRD %s: %w", name, err)
	}
	structural, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, fmt.Errorf("the schema of the embedded CRD %s is not structural: %w", name, err)
	}
	openAPI, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, fmt.Errorf("build the validator of the embedded CRD %s: %w", name, err)
	}
	return &kindSchema{
		kind:       crd.Spec.Names.Kind,
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:  version.Subresources != nil && version.Subresources.Status != nil,
		structural: structural,
		openAPI:    openAPI,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// celBudget is the cost budget of all CEL rules of one object, the API
// server's.
const celBudget = celconfig.RuntimeCELCostBudget
