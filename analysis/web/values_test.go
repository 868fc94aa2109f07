package web

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

const object = `{"data": {"rate": 0.012, "ok": true, "name": "canary", "items": [1, 2, 3],
	"pods": [{"name": "a", "ready": true}, {"name": "b", "ready": false}], "none": null, "html": "<b>&"}}`

func TestMeasureValues(t *testing.T) {
	long := "[" + strings.Repeat("12345,", 100) + "1]"
	tests := []struct {
		name     string
		body     string
		jsonPath string
		want     any
		wantText string
	}{
		{name: "number", body: object, jsonPath: "{$.data.rate}", want: 0.012, wantText: "0.012"},
		{name: "bool", body: object, jsonPath: "{.data.ok}", want: true, wantText: "true"},
		{name: "string", body: object, jsonPath: "{.data.name}", want: "canary", wantText: `"canary"`},
		{name: "list", body: object, jsonPath: "{.data.items}", want: []any{1.0, 2.0, 3.0}, wantText: "[1,2,3]"},
		{name: "one element of a list", body: object, jsonPath: "{.data.items[1]}", want: 2.0, wantText: "2"},
		{name: "several matches", body: object, jsonPath: "{.data.pods[*].ready}", want: []any{true, false}, wantText: "[true,false]"},
		{name: "filter", body: object, jsonPath: `{.data.pods[?(@.name=="b")].ready}`, want: false, wantText: "false"},
		{name: "null", body: object, jsonPath: "{.data.none}", want: nil, wantText: "null"},
		{name: "object", body: object, jsonPath: "{.data.pods[0]}", want: map[string]any{"name": "a", "ready": true}, wantText: `{"name":"a","ready":true}`},
		{name: "path without braces", body: object, jsonPath: "$.data.name", want: "canary", wantText: `"canary"`},
		{name: "path without braces or dollar", body: object, jsonPath: ".data.rate", want: 0.012, wantText: "0.012"},
		{name: "html is not escaped in text", body: object, jsonPath: "{.data.html}", want: "<b>&", wantText: `"<b>&"`},
		{
			name:     "whole object",
			body:     `{"b": 1, "a": {"ok": true}}`,
			want:     map[string]any{"a": map[string]any{"ok": true}, "b": 1.0},
			wantText: `{"a":{"ok":true},"b":1}`,
		},
		{name: "whole array", body: `[{"v": 1}, {"v": 2}]`, want: []any{map[string]any{"v": 1.0}, map[string]any{"v": 2.0}}, wantText: `[{"v":1},{"v":2}]`},
		{name: "path into an array", body: `[{"v": 1}, {"v": 2}]`, jsonPath: "{[1].v}", want: 2.0, wantText: "2"},
		{name: "whole number", body: "42\n", want: 42.0, wantText: "42"},
		{name: "text body", body: "  healthy\n", want: "healthy", wantText: `"healthy"`},
		{name: "empty body", body: "", want: "", wantText: `""`},
		{name: "long text is cut", body: long, want: nil, wantText: long[:253] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, answer(http.StatusOK, tt.body))
			got, err := measure(t, rampv1alpha1.WebMetric{URL: srv.URL + "/status", JSONPath: tt.jsonPath}, nil)
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if tt.want != nil && !reflect.DeepEqual(got.Value, tt.want) {
				t.Errorf("Value = %#v, want %#v", got.Value, tt.want)
			}
			if got.Text != tt.wantText {
				t.Errorf("Text = %q, want %q", got.Text, tt.wantText)
			}
			if len(got.Text) > maxTextBytes {
				t.Errorf("Text is %d bytes, more than %d", len(got.Text), maxTextBytes)
			}
			if got.Phase != "" || got.Message != "" {
				t.Errorf("Phase = %q, Message = %q, want both empty", got.Phase, got.Message)
			}
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want string
	}{
		{text: "short", n: 10, want: "short"},
		{text: "exactly10!", n: 10, want: "exactly10!"},
		{text: "abcdefghijk", n: 10, want: "abcdefg…"},
		// "é" is two bytes: the cut must not split it.
		{text: "abcdeéééééé", n: 10, want: "abcdeé…"},
		{text: "ééééééé", n: 10, want: "ééé…"},
	}
	for _, tt := range tests {
		if got := cut(tt.text, tt.n); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
		if got := cut(tt.text, tt.n); len(got) > tt.n {
			t.Errorf("cut(%q, %d) is %d bytes", tt.text, tt.n, len(got))
		}
	}
}
