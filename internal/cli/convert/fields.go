package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	sigsjson "sigs.k8s.io/json"
)

// converter converts one document and collects what it has to say.
type converter struct {
	// file names the input in messages.
	file string
	// tree gives lines and comments of the input document.
	tree *tree
	// diags are the warnings and errors so far.
	diags []Diagnostic
	// failed is set once an error makes the document unconvertible.
	failed bool
	// maxWeight is Argo Rollouts' trafficRouting.maxTrafficWeight when it
	// is not 100; setWeight steps are scaled from it.
	maxWeight int32
	// moves maps output paths to the input paths their comments come from,
	// for fields Ramp names or places differently.
	moves []move
}

// move says that the output field at to came from the input field at from.
type move struct {
	to, from path
}

// warn reports a field that Ramp handles differently or drops.
func (c *converter) warn(at path, format string, args ...any) {
	c.report(Warning, at, format, args...)
}

// fail reports why the document cannot be converted.
func (c *converter) fail(at path, format string, args ...any) {
	c.failed = true
	c.report(Error, at, format, args...)
}

// report records a diagnostic about the field at at.
func (c *converter) report(sev Severity, at path, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{
		File: c.file, Line: c.tree.line(at), Field: at.String(), Severity: sev,
		Message: fmt.Sprintf(format, args...),
	})
}

// moved records that the output field at to holds the input field at from.
func (c *converter) moved(to, from path) {
	c.moves = append(c.moves, move{to: to, from: from})
}

// object is an input object being read: every key must be handled (read,
// or dropped with a warning) before done, which warns about the rest.
type object struct {
	c *converter
	// at is the object's path in the document.
	at path
	// m holds the object's fields as read from YAML.
	m map[string]any
	// used marks the keys handled so far.
	used map[string]bool
}

// asObject returns v as an object, or nil after an error when it is not one.
func (c *converter) asObject(at path, v any) *object {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(at, "must be an object, not %s", describe(v))
		return nil
	}
	return &object{c: c, at: at, m: m, used: map[string]bool{}}
}

// has reports whether key is set.
func (o *object) has(key string) bool {
	v, ok := o.m[key]
	return ok && v != nil
}

// take marks key handled and returns its value; ok is false when it is
// absent or null.
func (o *object) take(key string) (v any, ok bool) {
	o.used[key] = true
	v, ok = o.m[key]
	return v, ok && v != nil
}

// child returns the object at key, or nil when it is absent.
func (o *object) child(key string) *object {
	v, ok := o.take(key)
	if !ok {
		return nil
	}
	return o.c.asObject(o.at.key(key), v)
}

// items returns the objects of the list at key.
func (o *object) items(key string) []*object {
	v, ok := o.take(key)
	if !ok {
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		o.c.fail(o.at.key(key), "must be a list, not %s", describe(v))
		return nil
	}
	out := make([]*object, 0, len(list))
	for i, item := range list {
		if obj := o.c.asObject(o.at.key(key).index(i), item); obj != nil {
			out = append(out, obj)
		}
	}
	return out
}

// decode reads key into a Ramp or Kubernetes typed value. Fields the type
// lacks are dropped with a warning each; a value of the wrong type is an
// error. It reports whether key was set and read.
func (o *object) decode(key string, into any) bool {
	v, ok := o.take(key)
	if !ok {
		return false
	}
	return o.c.decodeValue(o.at.key(key), v, into)
}

// decodeValue reads v, found at at, into a typed value (see decode).
func (c *converter) decodeValue(at path, v any, into any) bool {
	data, err := json.Marshal(v)
	if err != nil {
		c.fail(at, "cannot read the value: %v", err)
		return false
	}
	strict, err := sigsjson.UnmarshalStrict(data, into, sigsjson.DisallowUnknownFields)
	if err != nil {
		c.fail(at, "%s", strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	name := typeName(into)
	for _, e := range strict {
		var fe sigsjson.FieldError
		if errors.As(e, &fe) {
			c.warn(append(at[:len(at):len(at)], parseFieldPath(fe.FieldPath())...), "%s has no such field; dropped", name)
			continue
		}
		c.warn(at, "%s", strings.TrimPrefix(e.Error(), "json: "))
	}
	return true
}

// typeName is the name of the type v points to, through pointers and
// slices: PodTemplateSpec for a **corev1.PodTemplateSpec.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Name()
}

// drop warns that key, when set, is dropped, saying what Ramp does instead.
func (o *object) drop(key, format string, args ...any) {
	if _, ok := o.take(key); ok {
		o.c.warn(o.at.key(key), format, args...)
	}
}

// done warns about every key that was not handled.
func (o *object) done() {
	for _, k := range o.keys() {
		if !o.used[k] {
			o.c.warn(o.at.key(k), "Ramp has no such field; dropped")
		}
	}
}

// keys returns the object's keys in the order they are written.
func (o *object) keys() []string {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := o.c.tree.line(o.at.key(keys[i])), o.c.tree.line(o.at.key(keys[j]))
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// describe names the JSON type of v for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("%v", v)
	}
	return fmt.Sprintf("the number %v", v)
}
