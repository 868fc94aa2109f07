package analysis_test

import (
	"testing"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func TestSecretArgsScrubbed(t *testing.T) {
	args := []rampv1alpha1.Argument{
		{Name: "key", ValueFrom: &rampv1alpha1.ValueFrom{SecretKeyRef: &rampv1alpha1.SecretKeyRef{Name: "s", Key: "k"}}},
		{Name: "service", Value: new("checkout")},
	}
	s := analysis.SecretArgs(args, map[string]string{"key": `a b/c"d`, "service": "checkout"})
	for _, tc := range []struct{ in, want string }{
		{`GET /x?key=a+b%2Fc%22d answered 500`, `GET /x?key=[redacted] answered 500`},
		{`path /a%20b%2Fc%22d/`, `path /[redacted]/`},
		{`{"echo":"a b/c\"d"}`, `{"echo":"[redacted]"}`},
		{`raw a b/c"d here`, `raw [redacted] here`},
		{`service checkout is fine`, `service checkout is fine`},
	} {
		if got := s.Scrub(tc.in); got != tc.want {
			t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var none *analysis.Scrubber
	if got := none.Scrub("x"); got != "x" {
		t.Errorf("a nil Scrubber changed the text: %q", got)
	}
}
