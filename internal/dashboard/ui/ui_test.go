package ui

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestFilesReferencesResolve checks that every file the UI refers to
// (index.html's assets, each module's imports) is embedded.
func TestFilesReferencesResolve(t *testing.T) {
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"|from '(\./[^']+)'`)
	for _, name := range files(t) {
		if !strings.HasSuffix(name, ".html") && !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range refs.FindAllStringSubmatch(read(t, name), -1) {
			ref := strings.TrimPrefix(path.Clean(m[1]+m[2]), "/")
			if _, err := fs.Stat(Files, ref); err != nil {
				t.Errorf("%s refers to %s, which is not embedded: %v", name, ref, err)
			}
		}
	}
}

// TestNoInlineCode checks for what the Content-Security-Policy
// (script-src 'self'; style-src 'self') would block: inline scripts,
// style elements and attributes, and event handler attributes.
func TestNoInlineCode(t *testing.T) {
	checks := map[string]*regexp.Regexp{
		"an inline script":           regexp.MustCompile(`<script[^>]*>\s*[^<\s]`),
		"a style element":            regexp.MustCompile(`<style[\s>]`),
		"a style attribute":          regexp.MustCompile(`\sstyle=`),
		"an event handler attribute": regexp.MustCompile(`\son[a-z]+="`),
		"a javascript: URL":          regexp.MustCompile(`(?i)javascript:`),
	}
	scriptTag := regexp.MustCompile(`<script[^>]*>`)
	for _, name := range files(t) {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		text := read(t, name)
		for _, tag := range scriptTag.FindAllString(text, -1) {
			if !strings.Contains(tag, ` src="`) {
				t.Errorf("%s has a script without src, which the CSP blocks: %s", name, tag)
			}
		}
		for what, re := range checks {
			if loc := re.FindStringIndex(text); loc != nil {
				t.Errorf("%s has %s, which the CSP blocks: %q", name, what, text[loc[0]:min(loc[1]+40, len(text))])
			}
		}
	}
	for _, name := range files(t) {
		if strings.HasSuffix(name, ".js") && regexp.MustCompile(`\.innerHTML\s*=|setAttribute\('style'|\beval\(|new Function\(`).MatchString(read(t, name)) {
			t.Errorf("%s sets HTML or styles from strings, or evaluates code", name)
		}
	}
}

// TestIndexLoadsTheApp checks the entry points of the UI.
func TestIndexLoadsTheApp(t *testing.T) {
	index := read(t, "index.html")
	for _, want := range []string{`<script type="module" src="/app.js"></script>`, `href="/app.css"`, `<dialog id="confirm"`, `<main id="main"`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
}

func files(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no file embedded")
	}
	return names
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(Files, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
