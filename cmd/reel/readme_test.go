package main

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// flagTable is one "| flag | default | meaning |" table of the README.
type flagTable struct {
	section string // the heading above it
	before  string // the section's text before the table
	rows    []flagRow
}

// flagRow is a row: the flags of its first cell and the backquoted
// values of its second, in order.
type flagRow struct {
	flags    []string
	defaults []string
	line     string
}

var (
	readmeFlag  = regexp.MustCompile("`--([a-z0-9-]+)`")
	readmeValue = regexp.MustCompile("`([^`]*)`")
)

// readmeFlagTables reads the README's flag tables.
func readmeFlagTables(t *testing.T) []flagTable {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var tables []flagTable
	var section string
	var text strings.Builder
	var cur *flagTable
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			section, cur = strings.TrimLeft(line, "# "), nil
			text.Reset()
		case strings.HasPrefix(line, "| flag | default | meaning |"):
			tables = append(tables, flagTable{section: section, before: text.String()})
			cur = &tables[len(tables)-1]
		case cur != nil && strings.HasPrefix(line, "|---"):
		case cur != nil && strings.HasPrefix(line, "| "):
			cells := strings.Split(line, " | ")
			if len(cells) < 3 {
				t.Fatalf("README flag table row of fewer than 3 cells: %q", line)
			}
			row := flagRow{line: line}
			for _, m := range readmeFlag.FindAllStringSubmatch(cells[0], -1) {
				row.flags = append(row.flags, m[1])
			}
			for _, m := range readmeValue.FindAllStringSubmatch(cells[1], -1) {
				row.defaults = append(row.defaults, m[1])
			}
			cur.rows = append(cur.rows, row)
		default:
			cur = nil
			text.WriteString(line + "\n")
		}
	}
	return tables
}

// flagNames lists the flags of a command line.
func flagNames(cl *cmdLine) map[string]*flag.Flag {
	m := map[string]*flag.Flag{}
	cl.VisitAll(func(f *flag.Flag) { m[f.Name] = f })
	return m
}

// TestReadmeFlagTables compares the README's flag tables with the flags
// reel defines, so the README stays true: reel serve's table under
// "Running" lists every flag of reel serve and no other; the worker's
// section names every flag of reel worker; reel upload's table under
// "Resumable uploads" lists its flags. Where a row gives a default in
// backquotes and the flag has one, they must match (as help shows it).
func TestReadmeFlagTables(t *testing.T) {
	tables := readmeFlagTables(t)
	find := func(section string) flagTable {
		for _, tb := range tables {
			if strings.HasPrefix(tb.section, section) {
				return tb
			}
		}
		t.Fatalf("README has no flag table under %q", section)
		return flagTable{}
	}
	serve := flagNames((&ServeCommand{}).cmdLine())
	worker := flagNames((&WorkerCommand{}).cmdLine())
	upload := flagNames((&UploadCommand{}).cmdLine())

	check := func(tb flagTable, defined map[string]*flag.Flag, all bool) {
		t.Helper()
		listed := map[string]bool{}
		for _, row := range tb.rows {
			if len(row.flags) == 0 {
				t.Errorf("README %q: a row names no flag: %q", tb.section, row.line)
			}
			for i, name := range row.flags {
				listed[name] = true
				f, ok := defined[name]
				if !ok {
					t.Errorf("README %q lists --%s, which reel does not define", tb.section, name)
					continue
				}
				if len(row.defaults) != len(row.flags) || humanDefault(f) == "" {
					continue // a default in words, or one only the README knows (DATA/...)
				}
				if got := row.defaults[i]; !sameDefault(f, got) {
					t.Errorf("README %q: --%s defaults to %q, reel to %q", tb.section, name, got, humanDefault(f))
				}
			}
		}
		if !all {
			return
		}
		for name := range defined {
			if !listed[name] {
				t.Errorf("README %q does not list --%s (%s)", tb.section, name, defined[name].Usage)
			}
		}
	}
	check(find("Running"), serve, true)
	check(find("Resumable uploads"), upload, true)

	// The worker's section names the flags it shares with serve in its
	// text and its own in its table.
	wt := find("Workers")
	own := map[string]*flag.Flag{}
	for name, f := range worker {
		if serve[name] == nil {
			own[name] = f
		} else if !strings.Contains(wt.before, "`--"+name+"`") {
			t.Errorf("README %q does not name the worker's --%s", wt.section, name)
		}
	}
	check(wt, own, true)

	var names []string
	for _, tb := range tables {
		names = append(names, tb.section)
	}
	if !slices.Contains(names, "Running") {
		t.Errorf("flag tables under %q", names)
	}
}

// sameDefault reports whether the README's default v is f's: the same
// duration or size however written (60s is 1m), else the same text.
func sameDefault(f *flag.Flag, v string) bool {
	if g, ok := f.Value.(flag.Getter); ok {
		if d, ok := g.Get().(time.Duration); ok {
			rd, err := time.ParseDuration(v)
			return err == nil && rd == d
		}
	}
	if b, ok := f.Value.(*byteSize); ok {
		n, err := parseByteSize(v)
		return err == nil && n == int64(*b)
	}
	return v == humanDefault(f)
}
