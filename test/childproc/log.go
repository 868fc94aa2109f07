package childproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// DefaultLogBytes is how much output a LogBuffer keeps unless told.
const DefaultLogBytes = 1 << 20

// tailFileBytes is how much of the end of a file TailFile reads.
const tailFileBytes = 256 << 10

// LogBuffer is an io.Writer that keeps the last output written to it, such
// as a child's stdout and stderr. It is safe for concurrent use; the zero
// value keeps DefaultLogBytes.
type LogBuffer struct {
	// MaxBytes is how much output is kept, 0 meaning DefaultLogBytes. Set
	// it before the first Write.
	MaxBytes int

	mu  sync.Mutex
	buf []byte
}

// Write appends b, then drops the oldest whole lines beyond MaxBytes.
func (l *LogBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := l.MaxBytes
	if limit <= 0 {
		limit = DefaultLogBytes
	}
	l.buf = append(l.buf, b...)
	if over := len(l.buf) - limit; over > 0 {
		cut := over
		if i := bytes.IndexByte(l.buf[over:], '\n'); i >= 0 {
			cut += i + 1
		}
		l.buf = append([]byte(nil), l.buf[cut:]...)
	}
	return len(b), nil
}

// String returns the kept output.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// Tail returns the last n lines of s, without the final newline.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TailFile returns the last n lines of a file (found in its last 256 KiB),
// or a note saying why the file could not be read.
func TailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	offset := max(info.Size()-tailFileBytes, 0)
	buf := make([]byte, info.Size()-offset)
	if _, err := f.ReadAt(buf, offset); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	if offset > 0 {
		// The first line is probably cut.
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		} else {
			buf = nil
		}
	}
	return Tail(string(buf), n)
}
