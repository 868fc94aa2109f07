package view

import (
	"strings"
)

// cell is one table cell: text from the cluster (cleaned when added) and
// its tone.
type cell struct {
	text string
	tone tone
}

// plainCell is a cell without color.
func plainCell(text string) cell { return cell{text: clean(text)} }

// stateCell is a cell showing a state, colored by its tone.
func stateCell(s state) cell { return cell{text: clean(s.text()), tone: s.tone} }

// table lays out rows in left-aligned columns two spaces apart, as kubectl
// does. Columns are as wide as their widest cell, or as the widths given.
// Lines of text may follow a row: they are written as they are, outside
// the columns, and do not widen them.
type table struct {
	rows [][]cell
	// after holds the lines of text that follow each row, by row index.
	after map[int][]string
}

// add appends a row.
func (t *table) add(cells ...cell) {
	t.rows = append(t.rows, cells)
}

// addLines appends lines of text after the last row (before the first
// when there is none yet); each must be clean (and painted, if colored)
// already, without its line break.
func (t *table) addLines(lines ...string) {
	if len(lines) == 0 {
		return
	}
	if t.after == nil {
		t.after = map[int][]string{}
	}
	i := len(t.rows) - 1
	t.after[i] = append(t.after[i], lines...)
}

// widths returns the width of each column, at least min's.
func (t *table) widths(minimum []int) []int {
	w := append([]int(nil), minimum...)
	for _, row := range t.rows {
		for i, c := range row {
			for len(w) <= i {
				w = append(w, 0)
			}
			w[i] = max(w[i], width(c.text))
		}
	}
	return w
}

// write renders the rows into b with column widths w.
func (t *table) write(b *strings.Builder, w []int, o Options) {
	for _, line := range t.after[-1] {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	for i, row := range t.rows {
		writeRow(b, row, w, o)
		for _, line := range t.after[i] {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
}

// writeRow renders one row with column widths w; trailing blanks are left
// out.
func writeRow(b *strings.Builder, row []cell, w []int, o Options) {
	last := len(row) - 1
	for last >= 0 && row[last].text == "" {
		last--
	}
	for i := 0; i <= last; i++ {
		c := row[i]
		b.WriteString(o.paint(c.tone, c.text))
		if i < last {
			pad := 2
			if i < len(w) {
				pad += w[i] - width(c.text)
			}
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	b.WriteByte('\n')
}
