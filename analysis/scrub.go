package analysis

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// Redacted replaces secret values in what the controller records.
const Redacted = "[redacted]"

// Scrubber replaces secret values in texts: as written, escaped inside a
// JSON string, and escaped in a URL's query or path, the ways a provider or
// the server it asks may repeat them.
type Scrubber struct {
	values []string
}

// SecretArgs returns a Scrubber of the values of the run's arguments that
// come from Secrets.
func SecretArgs(args []rampv1alpha1.Argument, values map[string]string) *Scrubber {
	s := &Scrubber{}
	for _, a := range args {
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			s.Add(values[a.Name])
		}
	}
	return s
}

// Add remembers a secret value.
func (s *Scrubber) Add(v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	if quoted, err := json.Marshal(v); err == nil {
		forms = append(forms, string(quoted[1:len(quoted)-1]))
	}
	for _, f := range forms {
		s.AddForm(f)
	}
}

// AddForm remembers one exact text to replace, such as a secret value as
// a provider's answers write it.
func (s *Scrubber) AddForm(form string) {
	if form == "" || slices.Contains(s.values, form) {
		return
	}
	s.values = append(s.values, form)
	// Longer forms first, so that a value holding another is replaced whole.
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Scrub returns text with every secret value replaced by Redacted.
func (s *Scrubber) Scrub(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, Redacted)
	}
	return text
}

// ScrubMap scrubs the values of m in place.
func (s *Scrubber) ScrubMap(m map[string]string) {
	for k, v := range m {
		m[k] = s.Scrub(v)
	}
}
