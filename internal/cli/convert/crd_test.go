package convert

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	chart "github.com/rampdev/ramp/charts/ramp"
)

// crdSchema is one kind's schema from Ramp's CRDs, as the API server
// checks it: OpenAPI schema, defaults and CEL rules.
type crdSchema struct {
	structural *schema.Structural
	openAPI    validation.SchemaValidator
	cel        *cel.Validator
}

// crdSchemas holds the schemas by kind, read once for all tests.
var (
	crdSchemasOnce sync.Once
	crdSchemas     map[string]*crdSchema
	crdSchemasErr  error
)

// loadCRDSchemas reads the v1alpha1 schema of every kind in the chart's
// CRDs.
func loadCRDSchemas() (map[string]*crdSchema, error) {
	crdSchemasOnce.Do(func() {
		crdSchemas = map[string]*crdSchema{}
		crdSchemasErr = fs.WalkDir(chart.CRDs, "crds", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(chart.CRDs, p)
			if err != nil {
				return err
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := sigsyaml.UnmarshalStrict(data, &crd); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			for _, v := range crd.Spec.Versions {
				if v.Name != "v1alpha1" || v.Schema == nil {
					continue
				}
				var internal apiextensions.JSONSchemaProps
				if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				s, err := schema.NewStructural(&internal)
				if err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				openAPI, _, err := validation.NewSchemaValidator(&internal)
				if err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				crdSchemas[crd.Spec.Names.Kind] = &crdSchema{
					structural: s, openAPI: openAPI, cel: cel.NewValidator(s, true, celconfig.PerCallLimit),
				}
			}
			return nil
		})
	})
	return crdSchemas, crdSchemasErr
}

// validateAgainstCRD checks a Ramp object, written as YAML, as the API
// server would on create, and returns the problems it finds.
func validateAgainstCRD(t *testing.T, kind string, doc []byte) []string {
	t.Helper()
	schemas, err := loadCRDSchemas()
	if err != nil {
		t.Fatalf("load Ramp's CRDs: %v", err)
	}
	s, ok := schemas[kind]
	if !ok {
		t.Fatalf("no CRD for kind %s", kind)
	}
	// Read numbers as the API server does: integers stay integers.
	var obj map[string]any
	data, err := sigsyaml.YAMLToJSON(doc)
	if err == nil {
		err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, &obj)
	}
	if err != nil {
		t.Fatalf("read the converted %s: %v", kind, err)
	}
	defaulting.Default(obj, s.structural)
	var problems []string
	for _, e := range validation.ValidateCustomResource(nil, obj, s.openAPI) {
		problems = append(problems, e.Error())
	}
	if s.cel != nil {
		errs, _ := s.cel.Validate(context.Background(), nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		for _, e := range errs {
			problems = append(problems, e.Error())
		}
	}
	return problems
}
