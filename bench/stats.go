package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Sample holds one figure's values, one per run, in the order measured.
type Sample []float64

// sorted returns a sorted copy: the runs keep their order for the report.
func (s Sample) sorted() []float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) by linear interpolation
// between the closest ranks (the "type 7" rule of R and numpy), NaN for
// an empty sample.
func (s Sample) quantile(q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	v := s.sorted()
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return v[lo] + (v[hi]-v[lo])*(pos-float64(lo))
}

// Median is the middle value, the mean of the two middle ones for an even
// count.
func (s Sample) Median() float64 { return s.quantile(0.5) }

// Min is the smallest value.
func (s Sample) Min() float64 { return s.quantile(0) }

// Max is the largest value.
func (s Sample) Max() float64 { return s.quantile(1) }

// IQR returns the first and third quartiles.
func (s Sample) IQR() (q1, q3 float64) { return s.quantile(0.25), s.quantile(0.75) }

// Spread is how far apart the runs are, relative to the median:
// (max - min) / median. 0.05 means the runs lie within 5 % of each other.
func (s Sample) Spread() float64 {
	m := s.Median()
	if m == 0 || len(s) == 0 {
		return math.NaN()
	}
	return (s.Max() - s.Min()) / math.Abs(m)
}

// Ratios divides a by b run by run: with a and b measured interleaved
// (ABAB...), each ratio compares two runs taken a few seconds apart, so a
// burst of other load moves both and the ratios spread less than a or b.
func Ratios(a, b Sample) Sample {
	n := min(len(a), len(b))
	r := make(Sample, n)
	for i := range n {
		r[i] = a[i] / b[i]
	}
	return r
}

// Map applies f to every value.
func (s Sample) Map(f func(float64) float64) Sample {
	r := make(Sample, len(s))
	for i, v := range s {
		r[i] = f(v)
	}
	return r
}

// num formats x with digits decimals; NaN and infinities as a dash.
func num(x float64, digits int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", digits, x)
}

// Fig formats the sample as the report shows every figure: the median,
// then the smallest and largest run, "3126 (3064–3217)". One run shows
// the value alone.
func (s Sample) Fig(digits int) string {
	if len(s) <= 1 {
		return num(s.Median(), digits)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.Median(), digits), num(s.Min(), digits), num(s.Max(), digits))
}

// Runs lists every run's value in order, "3217, 3064, 3126".
func (s Sample) Runs(digits int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = num(v, digits)
	}
	return strings.Join(parts, ", ")
}

// Table is a markdown table. Align holds one letter per column, 'l' or
// 'r' (numbers read best right-aligned); missing letters mean 'l'.
type Table struct {
	Header []string
	Align  string
	Rows   [][]string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// Markdown renders the table, one line per row, with pipes in cells
// escaped so a cell cannot break the table.
func (t *Table) Markdown() string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for i := range t.Header {
			c := ""
			if i < len(cells) {
				c = strings.ReplaceAll(cells[i], "|", `\|`)
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for i := range t.Header {
		if i < len(t.Align) && t.Align[i] == 'r' {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

// verdict says whether a figure met its target.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}
