package main

// The command line's conventions, the same for every command: flags may
// come before, between or after the arguments ("--" ends them); -h and
// --help print the command's help on stdout and exit 0; an unknown or bad
// flag is reported in one line with a hint, not the whole help; the help
// names each flag's REEL_* variable and shows defaults in human units
// (64MiB, 6h), as they may be typed back.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"
)

// usageError is a command line that cannot run: main prints it in one
// line and exits 2, as for a misspelt command.
type usageError struct {
	msg  string
	hint string // where to read more, such as "reel upload -h lists the flags"
}

func (e *usageError) Error() string {
	if e.hint == "" {
		return e.msg
	}
	return e.msg + " (" + e.hint + ")"
}

// flagHint is the hint of a usage error of the command called name.
func flagHint(name string) string { return name + " -h lists the flags" }

// cmdLine is one command's flags and help.
type cmdLine struct {
	*flag.FlagSet
	// usage is the synopsis, such as "reel upload [flags] FILE|DIR...".
	usage string
	// about is what the command does, shown under the synopsis.
	about string
	// help receives the help on -h; nil means os.Stdout.
	help io.Writer
}

// newCmdLine returns the flags of the command called name ("reel serve").
func newCmdLine(name, usage, about string) *cmdLine {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print the whole help after any error: parse
	// prints what is needed itself.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdLine{FlagSet: fs, usage: usage, about: about}
}

// parse parses args, flags anywhere among them, and returns the other
// arguments in order. On -h or --help it prints the help and returns
// flag.ErrHelp; a bad flag is a *usageError.
func (c *cmdLine) parse(args []string) ([]string, error) {
	var rest []string
	for {
		err := c.FlagSet.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			w := c.help
			if w == nil {
				w = os.Stdout
			}
			c.printHelp(w)
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, c.flagError(err)
		}
		left := c.FlagSet.Args()
		if len(left) == 0 {
			return rest, nil
		}
		// Parse stopped at "--" (everything after it is an argument) or
		// at an argument, after which flags may follow.
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// flagError turns the flag package's message into one line naming the
// flag as the help does (--name), with a guess for a misspelt one.
func (c *cmdLine) flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		if guess := c.closest(name); guess != "" {
			msg += "; did you mean --" + guess + "?"
		}
	} else {
		// "invalid value "x" for flag -n: ...", "invalid boolean value
		// "x" for -n: ...", "flag needs an argument: -n".
		for _, at := range []string{"for flag -", "for -", "argument: -"} {
			if i := strings.LastIndex(msg, at); i >= 0 {
				msg = msg[:i+len(at)] + "-" + msg[i+len(at):]
				break
			}
		}
	}
	return &usageError{msg: c.Name() + ": " + msg, hint: flagHint(c.Name())}
}

// closest names the flag name is the start of, or else the one within
// two edits of it, or "".
func (c *cmdLine) closest(name string) string {
	best, bestD := "", 3
	c.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) {
			d = 0
		}
		if d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// printHelp writes the synopsis, what the command does and its flags,
// each with its default in human units and its REEL_* variable.
func (c *cmdLine) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n", c.usage)
	if c.about != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(c.about))
	}
	n := 0
	c.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "Flags (each also read from its environment variable when not given):")
	c.VisitAll(func(f *flag.Flag) {
		placeholder, usage := flag.UnquoteUsage(f)
		switch f.Value.(type) {
		case *byteSize:
			placeholder = "size"
		}
		if isBool(f) {
			placeholder = ""
		}
		line := "  --" + f.Name
		if placeholder != "" {
			line += " " + placeholder
		}
		fmt.Fprintln(w, line)
		var notes []string
		if d := humanDefault(f); d != "" {
			notes = append(notes, "default "+d)
		}
		notes = append(notes, "env "+envName(f.Name))
		// A default the usage gives in words, "(default: ...)", takes
		// the notes inside its parentheses.
		if i := strings.LastIndex(usage, "(default"); i >= 0 && strings.HasSuffix(usage, ")") && len(notes) == 1 {
			fmt.Fprintf(w, "        %s; %s)\n", strings.TrimSuffix(usage, ")"), notes[0])
			return
		}
		fmt.Fprintf(w, "        %s (%s)\n", usage, strings.Join(notes, "; "))
	})
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// humanDefault is f's default as one would type it (50GiB, 6h, 2m30s),
// or "" for an empty or false one, which reads as "none".
func humanDefault(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		if d, ok := g.Get().(time.Duration); ok {
			return fmtDuration(d)
		}
	}
	if b, ok := f.Value.(*byteSize); ok {
		return fmtByteSize(int64(*b))
	}
	switch f.DefValue {
	case "", "false":
		return ""
	}
	return f.DefValue
}

// fmtDuration writes d as time.ParseDuration reads it, without the zero
// units Duration.String adds (6h, not 6h0m0s).
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fmtByteSize writes n in the largest binary unit that divides it
// (64MiB, 50GiB), as parseByteSize reads it.
func fmtByteSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// versionLine says which reel this is (describeVersion) from what the Go
// toolchain recorded in the binary.
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return describeVersion(version, commit, bi)
}

// describeVersion names the version set at build time, or else the
// module's version, and the commit the binary was built from: vcs.revision
// as the Go toolchain records it, or else the commit set at build time
// (`make build` sets it, for builds where Go records none: a git worktree,
// GOFLAGS=-buildvcs=false).
func describeVersion(ver, setCommit string, bi *debug.BuildInfo) string {
	var rev, when, goVersion string
	modified := false
	if bi != nil {
		if ver == "dev" && bi.Main.Version != "" {
			ver = bi.Main.Version
		}
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		rev, modified = strings.CutSuffix(setCommit, "-dirty")
	}
	line := "reel " + ver
	if rev != "" {
		line += " commit " + rev
		if when != "" {
			line += " (" + when + ")"
		}
		if modified {
			line += " with uncommitted changes"
		}
	} else {
		line += " (no commit recorded: built outside a git checkout)"
	}
	if goVersion != "" {
		line += " " + goVersion
	}
	return line
}
