package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// argPattern matches {{args.NAME}}, with optional spaces inside the braces.
var argPattern = regexp.MustCompile(`\{\{\s*args\.([A-Za-z_][-A-Za-z0-9_.]*)\s*\}\}`)

// ArgValues resolves a run's arguments to their values: given values as
// they are, Secret references read through secrets. Secret values stay in
// memory for the measurement and are never written anywhere.
func ArgValues(ctx context.Context, args []rampv1alpha1.Argument, secrets SecretReader) (map[string]string, error) {
	values := make(map[string]string, len(args))
	for _, a := range args {
		switch {
		case a.Value != nil:
			values[a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			v, err := secrets.SecretValue(ctx, *a.ValueFrom.SecretKeyRef)
			if err != nil {
				return nil, fmt.Errorf("argument %s: %w", a.Name, err)
			}
			values[a.Name] = v
		case a.ValueFrom != nil && a.ValueFrom.FieldRef != nil:
			return nil, fmt.Errorf("argument %s: valueFrom.fieldRef %s was not resolved when the run was created", a.Name, a.ValueFrom.FieldRef.FieldPath)
		default:
			return nil, fmt.Errorf("argument %s has no value: pass it from the Rollout's analysis args or give it a value in the template", a.Name)
		}
	}
	return values, nil
}

// Substitute returns a copy of the metric with every {{args.NAME}} in its
// provider's settings replaced by the argument's value. An unknown argument
// is an error naming it.
func Substitute(m *rampv1alpha1.Metric, values map[string]string) (*rampv1alpha1.Metric, error) {
	raw, err := json.Marshal(m.Provider)
	if err != nil {
		return nil, fmt.Errorf("metric %s: %w", m.Name, err)
	}
	var missing []string
	replaced := argPattern.ReplaceAllFunc(raw, func(match []byte) []byte {
		name := string(argPattern.FindSubmatch(match)[1])
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return match
		}
		// The placeholder sits inside a JSON string: escape the value as
		// JSON string content.
		quoted, _ := json.Marshal(v)
		return quoted[1 : len(quoted)-1]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("metric %s uses {{args.%s}}, which is not an argument of the run", m.Name, strings.Join(missing, "}}, {{args."))
	}
	out := m.DeepCopy()
	out.Provider = rampv1alpha1.MetricProvider{}
	if err := json.Unmarshal(replaced, &out.Provider); err != nil {
		return nil, fmt.Errorf("metric %s: after replacing arguments: %w", m.Name, err)
	}
	return out, nil
}
