package lint

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// rampAPIVersion is the apiVersion of every Ramp kind.
var rampAPIVersion = rampv1alpha1.GroupVersion.String()

// validateAll checks every Ramp object against its CRD. Objects of other
// kinds are read only for the cross-checks.
func (l *linter) validateAll(ctx context.Context) error {
	if err := prebuild(l.docs); err != nil {
		return err
	}
	for _, d := range l.docs {
		group, _, _ := strings.Cut(d.apiVersion, "/")
		if group != rampv1alpha1.GroupVersion.Group {
			continue
		}
		if d.apiVersion != rampAPIVersion {
			l.add(d.finding(Error, "apiVersion", fmt.Sprintf("unsupported value %q: Ramp serves only %s; write apiVersion: %s", d.apiVersion, rampAPIVersion, rampAPIVersion)))
			continue
		}
		s, ok, err := schemaFor(d.kind)
		if err != nil {
			return err
		}
		if !ok {
			l.add(d.finding(Error, "kind", unknownKindMessage(d.kind)))
			continue
		}
		d.ramp = true
		if !s.namespaced {
			d.namespace = ""
		}
		for _, f := range s.validate(ctx, d) {
			l.add(f)
		}
	}
	return nil
}

// prebuild builds, side by side, the validators of the Ramp kinds among
// docs, so that a first lint of several kinds waits for the slowest one
// only.
func prebuild(docs []*document) error {
	seen := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, d := range docs {
		if d.apiVersion != rampAPIVersion || seen[d.kind] {
			continue
		}
		seen[d.kind] = true
		wg.Go(func() {
			if _, _, err := schemaFor(d.kind); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// unknownKindMessage says that kind is not Ramp's, suggesting the closest
// one.
func unknownKindMessage(kind string) string {
	kinds := rampKinds()
	slices.Sort(kinds)
	msg := fmt.Sprintf("unsupported value %q: %s serves %s", kind, rampAPIVersion, strings.Join(kinds, ", "))
	if near := closest(kind, kinds); near != "" {
		msg += fmt.Sprintf("; did you mean %s?", near)
	}
	return msg
}

// validate checks one object as the API server does on create: unknown
// and duplicate fields (kubectl's default strict field validation), then
// pruning and defaulting, then metadata, the OpenAPI schema, embedded
// objects, list keys, and the CEL rules unless an error above would stop
// the API server from running them. It records on d the fields it
// complains about.
func (s *kindSchema) validate(ctx context.Context, d *document) []Finding {
	obj := d.obj
	if s.hasStatus {
		// The API server drops status on create: only the controller
		// writes it.
		delete(obj, "status")
	}
	var errs field.ErrorList
	var findings []Finding
	unknown := structuralpruning.PruneWithOptions(obj, s.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		findings = append(findings, d.finding(Error, p, s.unknownFieldMessage(p)))
		d.apiFields[p] = true
	}
	metaFindings, metaErrs := s.validateMetadata(d)
	findings = append(findings, metaFindings...)
	errs = append(errs, metaErrs...)
	structuraldefaulting.Default(obj, s.structural)

	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, s.openAPI)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, s.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	if blocking(errs) {
		findings = append(findings, d.finding(Warning, "", "the CRD's CEL rules were not checked because of this object's other errors; fix them and lint again"))
	} else {
		celErrs, _ := s.cel.Validate(ctx, nil, s.structural, obj, nil, celBudget)
		errs = append(errs, celErrs...)
	}
	for _, e := range errs {
		findings = append(findings, d.finding(Error, e.Field, fieldErrorMessage(e)))
		d.apiFields[e.Field] = true
	}
	return findings
}

// blocking reports whether errs hold an error after which the API server
// does not run the CEL rules.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// validateMetadata checks metadata as the API server does: no unknown
// fields, then the name, namespace, labels, annotations and the rest. The
// namespace and a generated name are filled in first, as the server does
// from the request.
func (s *kindSchema) validateMetadata(d *document) ([]Finding, field.ErrorList) {
	raw, ok := d.obj["metadata"].(map[string]any)
	if !ok {
		if _, set := d.obj["metadata"]; set {
			return nil, field.ErrorList{field.TypeInvalid(field.NewPath("metadata"), d.obj["metadata"], "must be an object")}
		}
		return nil, field.ErrorList{field.Required(field.NewPath("metadata", "name"), "name or generateName is required")}
	}
	var findings []Finding
	known := objectMetaFields()
	for k := range raw {
		if !known[k] {
			p := "metadata." + k
			msg := fmt.Sprintf("unknown field %q: the API server rejects it; remove it or fix its spelling", k)
			if near := closest(k, slices.Sorted(maps.Keys(known))); near != "" {
				msg = fmt.Sprintf("unknown field %q: did you mean %q? The API server rejects unknown fields", k, near)
			}
			findings = append(findings, d.finding(Error, p, msg))
			d.apiFields[p] = true
			delete(raw, k)
		}
	}
	meta := &metav1.ObjectMeta{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, meta); err != nil {
		return findings, field.ErrorList{field.Invalid(field.NewPath("metadata"), "", fmt.Sprintf("cannot read metadata: %v", err))}
	}
	if meta.Name == "" && meta.GenerateName != "" {
		meta.Name = meta.GenerateName + "x"
	}
	meta.Namespace = ""
	if s.namespaced {
		meta.Namespace = d.namespace
	}
	return findings, apivalidation.ValidateObjectMetaAccessor(meta, s.namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

// objectMetaFields are the JSON names of ObjectMeta's fields.
var objectMetaFields = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeFor[metav1.ObjectMeta]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
})

// unknownFieldMessage says that the field at path is not in the schema,
// suggesting the closest field the schema has there.
func (s *kindSchema) unknownFieldMessage(path string) string {
	steps := splitPath(path)
	name := steps[len(steps)-1]
	if parent := structuralAt(s.structural, steps[:len(steps)-1]); parent != nil {
		names := slices.Sorted(maps.Keys(parent.Properties))
		if near := closest(name, names); near != "" {
			return fmt.Sprintf("unknown field %q: did you mean %q? The API server rejects unknown fields", name, near)
		}
	}
	return fmt.Sprintf("unknown field %q: the API server rejects it; remove it or fix its spelling", name)
}

// structuralAt walks a structural schema along the steps of a field path.
func structuralAt(s *structuralschema.Structural, steps []string) *structuralschema.Structural {
	for _, step := range steps {
		if s == nil {
			return nil
		}
		if p, ok := s.Properties[step]; ok {
			s = &p
			continue
		}
		switch {
		case s.Items != nil:
			s = s.Items
		case s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil:
			s = s.AdditionalProperties.Structural
		default:
			return nil
		}
	}
	return s
}

// fieldErrorMessage words an API server field error for a person: the
// API server's own text, with a hint on what to do where it has none.
func fieldErrorMessage(e *field.Error) string {
	switch e.Type {
	case field.ErrorTypeRequired:
		if e.Detail != "" {
			return "required: " + e.Detail
		}
		return "required: add this field"
	case field.ErrorTypeDuplicate:
		return "duplicate entry " + shortValue(e.BadValue) + ": each key may appear once in this list; merge or remove the duplicate"
	case field.ErrorTypeTypeInvalid:
		if m := wrongType.FindStringSubmatch(e.Detail); m != nil {
			return fmt.Sprintf("must be of type %s, not %s", m[1], m[2])
		}
	case field.ErrorTypeInvalid:
		if _, omitted := e.BadValue.(field.OmitValueType); omitted {
			// A CEL rule: its message is the whole story.
			return e.Detail
		}
	}
	// The OpenAPI validator repeats the path in its detail.
	e2 := *e
	e2.Detail = strings.TrimPrefix(e.Detail, e.Field+" in body ")
	return e2.ErrorBody()
}

// wrongType matches the OpenAPI validator's detail for a value of the
// wrong type.
var wrongType = regexp.MustCompile(`must be of type (\w+): "(\w+)"$`)

// shortValue renders a value for a message.
func shortValue(v any) string {
	if m, ok := v.(map[string]any); ok {
		keys := slices.Sorted(maps.Keys(m))
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %v", k, m[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%v", v)
}
