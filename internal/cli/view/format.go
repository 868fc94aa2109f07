package view

import (
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/duration"
)

// Options are what rendering depends on besides the objects.
type Options struct {
	// Now is the time ages are counted to.
	Now time.Time
	// Color adds ANSI colors to statuses.
	Color bool
}

// tone is the color of a piece of text.
type tone int

// Tones, by meaning rather than by color.
const (
	// plain text gets no color.
	plain tone = iota
	// good is healthy, running, successful: green.
	good
	// busy is progressing, pending, running an analysis: yellow.
	busy
	// waiting is paused for a person or a timer: cyan.
	waiting
	// bad is degraded, failed, crashing: red.
	bad
	// faint is what is gone or idle, such as scaled-down ReplicaSets.
	faint
)

// ansi are the escape sequences that start each tone.
var ansi = map[tone]string{
	good:    "\x1b[32m",
	busy:    "\x1b[33m",
	waiting: "\x1b[36m",
	bad:     "\x1b[31m",
	faint:   "\x1b[2m",
}

// ansiReset ends a colored piece of text.
const ansiReset = "\x1b[0m"

// paint colors text with t when colors are on.
func (o Options) paint(t tone, text string) string {
	start, ok := ansi[t]
	if !o.Color || !ok || text == "" {
		return text
	}
	return start + text + ansiReset
}

// state is how something is doing: an icon, a word and a tone.
type state struct {
	icon, word string
	tone       tone
}

// text is the icon and the word, such as "✔ Healthy".
func (s state) text() string {
	if s.icon == "" {
		return s.word
	}
	return s.icon + " " + s.word
}

// Icons of states. They stay when colors are off: they carry the meaning
// for readers who turned colors off (NO_COLOR) and in piped output, and the
// word next to them keeps the text easy to grep.
const (
	iconHealthy  = "✔"
	iconBusy     = "◌"
	iconPaused   = "॥"
	iconBad      = "✖"
	iconWarning  = "⚠"
	iconIdle     = "•"
	iconUnknown  = "?"
	notAvailable = "-"
)

// age is how long ago t was, as kubectl prints ages: 5s, 3m, 2h, 4d.
func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return notAvailable
	}
	return duration.ShortHumanDuration(now.Sub(t))
}

// clean makes text from the cluster safe to print on one line: escape
// sequences cannot drive the terminal, and line breaks become spaces.
var clean = strings.NewReplacer("\x1b", "^[", "\r", `\r`, "\n", " ", "\t", " ").Replace

// width is the number of terminal columns text takes (every rune used
// here takes one).
func width(text string) int {
	return utf8.RuneCountInString(text)
}
