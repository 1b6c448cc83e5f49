// Command bench runs reel's benchmarks, each against a reference measured
// in the same run on the same machine, and writes their figures to
// docs/benchmarks*.md. `make bench` runs them all.
//
//	go run ./bench                       # every benchmark, full size
//	go run ./bench -only play,tus -runs 5
//	go run ./bench -quick                # smaller inputs, fewer runs
//	go run ./bench -list
//
// Each benchmark is one file of this folder and one line of benchmarks()
// below. A benchmark runs reel and its reference interleaved (ABAB...,
// alternating who goes first), reports every figure as its median and the
// range of its runs, and records what the rest of the machine did
// meanwhile: a run taken on a busy machine says so in its document.
//
// The command also hosts the small reference servers the benchmarks
// start as processes of their own (`bench ref NAME ...`, see refs.go), so
// that they can be pinned to a core apart from the load generator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// benchmarks is the registry: every benchmark, in the order `make bench`
// runs them. Adding one is a file with a func returning a benchmark and a
// line here.
func benchmarks() []benchmark {
	return []benchmark{
		ingestBenchmark(),
		s3Benchmark(),
		transcodeBenchmark(),
		playBenchmark(),
		tusBenchmark(),
		idleBenchmark(),
		audioBenchmark(),
		dbBenchmark(),
		lbBenchmark(),
		splitBenchmark(),
		codecsBenchmark(),
	}
}

// benchmark is one benchmark: what it measures and how to run it.
type benchmark struct {
	// Name selects it with -only; its document is docs/benchmarks-NAME.md
	// unless Doc says otherwise.
	Name, Doc string
	// Title heads its document; About is its line in -list.
	Title, About string
	// Runs is how many runs of each case it makes by default, QuickRuns
	// with -quick.
	Runs, QuickRuns int
	// Run measures and writes the document's body into d.
	Run func(ctx context.Context, b *B, d *Doc) error
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "ref" {
		// A reference server started by a benchmark as its own process.
		if err := runRef(os.Args[2], os.Args[3:]); err != nil {
			log.Fatalf("bench ref %s: %v", os.Args[2], err)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Config is what the flags set for every benchmark.
type Config struct {
	Root  string // the repository's root
	Docs  string // where the documents go
	Runs  int    // runs per case; 0: each benchmark's own default
	Quick bool   // smaller inputs and fewer runs
	Reel  string // the reel binary under test
	Keep  bool   // keep the work dirs
	Args  string // the command line, for the documents
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	only := fs.String("only", "", "comma-separated `names` of the benchmarks to run (default: all; -list names them)")
	list := fs.Bool("list", false, "list the benchmarks and exit")
	c := &Config{}
	fs.IntVar(&c.Runs, "runs", 0, "runs of each case (default: each benchmark's own)")
	fs.BoolVar(&c.Quick, "quick", false, "a short run: smaller inputs, fewer runs (figures flagged as such)")
	fs.StringVar(&c.Reel, "reel", "", "reel `binary` under test (default: built from this tree)")
	fs.StringVar(&c.Docs, "docs", "", "`folder` of the documents (default: docs/ of the repository)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the work folders (logs, configs) for a look afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	all := benchmarks()
	if *list {
		for _, bm := range all {
			fmt.Printf("%-10s %s\n", bm.Name, bm.About)
		}
		return nil
	}
	selected := all
	if *only != "" {
		selected = nil
		for _, name := range strings.Split(*only, ",") {
			i := slices.IndexFunc(all, func(bm benchmark) bool { return bm.Name == strings.TrimSpace(name) })
			if i < 0 {
				return fmt.Errorf("no benchmark called %q (-list names them)", name)
			}
			selected = append(selected, all[i])
		}
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c.Root = root
	if c.Docs == "" {
		c.Docs = filepath.Join(root, "docs")
	}
	c.Args = strings.Join(append([]string{"go run ./bench"}, args...), " ")

	work, err := os.MkdirTemp(workBase(root), "bench-")
	if err != nil {
		return err
	}
	if !c.Keep {
		defer os.RemoveAll(work)
	}
	if c.Reel == "" {
		c.Reel = filepath.Join(work, "reel")
		logf("building reel from %s", root)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", c.Reel, "./cmd/reel")
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build reel: %w", err)
		}
	} else if c.Reel, err = filepath.Abs(c.Reel); err != nil {
		return err
	}
	var failed []string
	for _, bm := range selected {
		if err := runOne(ctx, c, bm, work); err != nil {
			if ctx.Err() != nil {
				return err
			}
			logf("%s: %v", bm.Name, err)
			failed = append(failed, bm.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s (the others wrote their documents)", strings.Join(failed, ", "))
	}
	return nil
}

// runOne runs one benchmark in its own work folder and writes its document.
func runOne(ctx context.Context, c *Config, bm benchmark, work string) error {
	b := &B{Config: c, Name: bm.Name, Work: filepath.Join(work, bm.Name)}
	if err := os.MkdirAll(b.Work, 0o755); err != nil {
		return err
	}
	defer b.cleanup()
	b.RunCount = bm.Runs
	if c.Quick {
		b.RunCount = bm.QuickRuns
	}
	if c.Runs > 0 {
		b.RunCount = c.Runs
	}
	b.started, b.loadStart = time.Now(), loadAvg()
	logf("%s: %s (%d runs; load average %s)", bm.Name, bm.About, b.RunCount, b.loadStart)
	d := &Doc{}
	if err := bm.Run(ctx, b, d); err != nil {
		return err
	}
	b.loadEnd = loadAvg()
	name := bm.Doc
	if name == "" {
		name = "benchmarks-" + bm.Name + ".md"
	}
	path := filepath.Join(c.Docs, name)
	if err := os.WriteFile(path, []byte(b.document(bm, d)), 0o644); err != nil {
		return err
	}
	logf("%s: written to %s in %s", bm.Name, path, time.Since(b.started).Round(time.Second))
	return nil
}

// repoRoot finds the module root: the folder holding go.mod with module reel.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module reel\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bench inside reel's repository")
		}
		dir = parent
	}
}

// workBase picks where work folders go: TMPDIR (or /tmp). Not inside
// the repository: `go vet ./...` and `go test ./...` walk every folder of
// the module, and a running benchmark's files come and go under them.
func workBase(root string) string { return os.TempDir() }

// logf logs progress to stderr with the time of day.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
