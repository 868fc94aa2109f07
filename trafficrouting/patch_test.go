package trafficrouting

import (
	"errors"
	"net/http"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestStaleWrite(t *testing.T) {
	gr := schema.GroupResource{Group: "gateway.networking.k8s.io", Resource: "httproutes"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"resourceVersion conflict", apierrors.NewConflict(gr, "web", errors.New("the object has been modified")), true},
		{"operations that no longer apply", apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "",
			"remove operation does not apply: doc is missing path: /spec/rules/9", 0, false), true},
		{"validation of the result", apierrors.NewInvalid(schema.GroupKind{Group: gr.Group, Kind: "HTTPRoute"}, "web",
			field.ErrorList{field.Invalid(field.NewPath("spec", "rules"), 17, "must have at most 16 items")}), false},
		{"not found", apierrors.NewNotFound(gr, "web"), false},
		{"other error", errors.New("connection refused"), false},
	} {
		if got := staleWrite(tc.err); got != tc.want {
			t.Errorf("%s: staleWrite(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestConfigWeights(t *testing.T) {
	for _, tc := range []struct {
		cfg                      Config
		weight                   int32
		stable, canary, baseline int32
	}{
		{Config{}, 25, 75, 25, 0},
		{Config{BaselineService: "web-baseline"}, 25, 75, 25, 0},
		{Config{BaselineService: "web-baseline", BaselineActive: true}, 25, 50, 25, 25},
		{Config{BaselineService: "web-baseline", BaselineActive: true}, 50, 0, 50, 50},
		{Config{BaselineService: "web-baseline", BaselineActive: true}, 80, 0, 80, 20},
		{Config{BaselineService: "web-baseline", BaselineActive: true}, 100, 0, 100, 0},
		{Config{BaselineService: "web-baseline", BaselineActive: true}, 0, 100, 0, 0},
		{Config{}, 130, 0, 100, 0},
	} {
		s, c, b := tc.cfg.Weights(tc.weight)
		if s != tc.stable || c != tc.canary || b != tc.baseline || s+c+b != 100 {
			t.Errorf("%+v weight %d: %d/%d/%d, want %d/%d/%d", tc.cfg, tc.weight, s, c, b, tc.stable, tc.canary, tc.baseline)
		}
	}
}
