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
type table struct {
	rows [][]cell
}

// add appends a row.
func (t *table) add(cells ...cell) {
	t.rows = append(t.rows, cells)
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
	for _, row := range t.rows {
		writeRow(b, row, w, o)
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
