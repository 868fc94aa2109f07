package convert

import (
	"bytes"
)

// document is one document of a YAML stream, exactly as written.
type document struct {
	// separator is the "---" line (with its line ending) that opened the
	// document; empty for a first document written without one.
	separator []byte
	// body is the text of the document after the separator.
	body []byte
	// line is the 1-based line of the body's first line in the file.
	line int
}

// splitDocuments cuts a YAML stream at its "---" lines. Joining the
// separators and bodies of the result gives data back byte for byte.
func splitDocuments(data []byte) []document {
	var docs []document
	cur := document{line: 1}
	line := 1
	for rest := data; len(rest) > 0; {
		n := bytes.IndexByte(rest, '\n') + 1
		if n == 0 {
			n = len(rest)
		}
		text := rest[:n]
		if isSeparator(text) {
			if len(cur.separator) > 0 || len(cur.body) > 0 {
				docs = append(docs, cur)
			}
			cur = document{separator: text, line: line + 1}
		} else {
			cur.body = append(cur.body, text...)
		}
		rest = rest[n:]
		line++
	}
	if len(cur.separator) > 0 || len(cur.body) > 0 {
		docs = append(docs, cur)
	}
	return docs
}

// isSeparator reports whether a line is a document separator: "---" alone,
// or followed by spaces or a comment.
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(line[3:], "\r\n")
	trimmed := bytes.TrimLeft(rest, " \t")
	return len(trimmed) == 0 || (len(trimmed) < len(rest) && trimmed[0] == '#')
}

// isBlank reports whether a document holds only spaces and comments.
func isBlank(body []byte) bool {
	for _, line := range bytes.Split(body, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// joinDocuments writes the documents back as one stream. A document
// without a separator after the first gets "---", and every document but
// the last ends with a line break so the next separator starts a line.
func joinDocuments(docs []document) []byte {
	var out bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
				out.WriteByte('\n')
			}
			if len(d.separator) == 0 {
				out.WriteString("---\n")
			}
		}
		out.Write(d.separator)
		out.Write(d.body)
	}
	return out.Bytes()
}

// Join concatenates the outputs of several files into one YAML stream,
// with a "---" between files that do not start with one.
func Join(streams ...[]byte) []byte {
	var docs []document
	for _, s := range streams {
		if len(bytes.TrimSpace(s)) == 0 {
			continue
		}
		docs = append(docs, splitDocuments(s)...)
	}
	return joinDocuments(docs)
}
