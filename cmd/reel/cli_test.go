package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// Flags may follow the arguments; "--" ends the flags.
func TestParseFlagsAnywhere(t *testing.T) {
	cl := newCmdLine("reel test", "reel test [flags] FILE...", "")
	wait := cl.Bool("wait", false, "")
	title := cl.String("title", "", "")
	rest, err := cl.parse([]string{"a.mp4", "--wait", "b.mp4", "--title", "T", "--", "--c.mp4", "-h"})
	if err != nil {
		t.Fatal(err)
	}
	if !*wait || *title != "T" || strings.Join(rest, " ") != "a.mp4 b.mp4 --c.mp4 -h" {
		t.Errorf("wait %v, title %q, args %q", *wait, *title, rest)
	}

	var help bytes.Buffer
	cl = newCmdLine("reel test", "reel test", "")
	cl.help = &help
	cl.String("server", "", "")
	if _, err := cl.parse([]string{"x", "--help"}); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "REEL_SERVER") {
		t.Errorf("--help after an argument: %v\n%s", err, help.String())
	}
	_, err = cl.parse([]string{"x", "--sever", "y"})
	var ue *usageError
	if !errors.As(err, &ue) || err.Error() != "reel test: unknown flag --sever; did you mean --server? (reel test -h lists the flags)" {
		t.Errorf("misspelt flag: %v", err)
	}
	_, err = cl.parse([]string{"--server"})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "flag needs an argument: --server") {
		t.Errorf("flag without its value: %v", err)
	}
}

func TestHumanDefaults(t *testing.T) {
	for d, want := range map[time.Duration]string{
		6 * time.Hour: "6h", 2 * time.Minute: "2m", 30 * time.Second: "30s", 90 * time.Minute: "1h30m",
		168 * time.Hour: "168h", 1500 * time.Millisecond: "1.5s", time.Hour + time.Second: "1h0m1s",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(fmtDuration(d)); err != nil || back != d {
			t.Errorf("%q does not read back as %v", fmtDuration(d), d)
		}
	}
	for n, want := range map[int64]string{50 << 30: "50GiB", 8 << 20: "8MiB", 1536: "1536B", 3 << 10: "3KiB"} {
		if got := fmtByteSize(n); got != want {
			t.Errorf("fmtByteSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := parseByteSize(fmtByteSize(n)); err != nil || back != n {
			t.Errorf("%q does not read back as %d", fmtByteSize(n), n)
		}
	}
}

func TestDescribeVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261130025000-cabbbf414243"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "cabbbf41"}, {Key: "vcs.time", Value: "2026-11-30T02:50:20Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		ver, commit string
		bi          *debug.BuildInfo
		want        string
	}{
		{"dev", "", bi, "reel v0.0.0-20261130025000-cabbbf414243 commit cabbbf41 (2026-11-30T02:50:20Z) with uncommitted changes go1.26.8"},
		{"v1.2.0", "ignored", bi, "reel v1.2.0 commit cabbbf41 (2026-11-30T02:50:20Z) with uncommitted changes go1.26.8"},
		{"dev", "e78ecc-dirty", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "reel (devel) commit e78ecc with uncommitted changes go1.26.8"},
		{"dev", "", nil, "reel dev (no commit recorded: built outside a git checkout)"},
	} {
		if got := describeVersion(tc.ver, tc.commit, tc.bi); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// runReel runs the reel binary in dir with args and returns its exit
// status, stdout and stderr.
func runReel(t *testing.T, bin, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = dieWithTest
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("reel %q: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestCommandLine runs the built reel as a person would: help on every
// command exits 0 and names the REEL_* variables with human defaults; a
// bad flag or command is one line with a hint and exit 2; version names
// the commit; reel keys where no database is says so and creates none.
func TestCommandLine(t *testing.T) {
	bin := buildReel(t)
	dir := t.TempDir()

	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"}, {"help", "upload"},
		{"serve", "-h"}, {"worker", "--help"}, {"keys", "-h"}, {"keys", "list", "--help"},
		{"migrate", "-h"}, {"upload", "-h"}, {"upload", "a.mp4", "--help"}, {"version", "-h"},
	} {
		code, stdout, stderr := runReel(t, bin, dir, nil, args...)
		if code != 0 || !strings.Contains(stdout, "Usage") || stderr != "" {
			t.Errorf("reel %q: exit %d\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
	}
	_, help, _ := runReel(t, bin, dir, nil, "serve", "-h")
	for _, want := range []string{"--max-upload-size size", "default 50GiB; env REEL_MAX_UPLOAD_SIZE", "default 6h; env REEL_PLAYBACK_TTL",
		"default 127.0.0.1:8080; env REEL_ADDR", "default 24h; env REEL_MAX_PLAYBACK_TTL", "env REEL_UPLOAD_EXPIRY"} {
		if !strings.Contains(help, want) {
			t.Errorf("reel serve -h lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "0m0s") || strings.Contains(help, "53687091200") {
		t.Errorf("reel serve -h shows machine units:\n%s", help)
	}
	_, help, _ = runReel(t, bin, dir, nil, "upload", "--help")
	for _, want := range []string{"env REEL_SERVER", "env REEL_API_KEY", "default 8MiB; env REEL_CHUNK_SIZE", "--again"} {
		if !strings.Contains(help, want) {
			t.Errorf("reel upload -h lacks %q:\n%s", want, help)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upload", "a.mp4", "--bogus"}, "reel upload: unknown flag --bogus (reel upload -h lists the flags)\n"},
		{[]string{"serve", "--adr", "x"}, "reel serve: unknown flag --adr; did you mean --addr? (reel serve -h lists the flags)\n"},
		{[]string{"serve", "--workers", "many"}, "reel serve: invalid value \"many\" for flag --workers: parse error (reel serve -h lists the flags)\n"},
		{[]string{"keys", "list", "--role"}, "reel keys: flag needs an argument: --role (reel keys -h lists the flags)\n"},
		{[]string{"frobnicate"}, "reel: unknown command \"frobnicate\" (reel -h lists the commands)\n"},
		{[]string{"upload"}, "reel upload: name at least one file or folder (reel upload -h lists the flags)\n"},
	} {
		code, stdout, stderr := runReel(t, bin, dir, nil, tc.args...)
		if code != 2 || stdout != "" || stderr != tc.want {
			t.Errorf("reel %q: exit %d, stdout %q\nstderr %q\nwant   %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := runReel(t, bin, dir, nil); code != 2 || !strings.Contains(stderr, "Usage") {
		t.Errorf("reel alone: exit %d, %s", code, stderr)
	}

	// The version and the commit the binary was built from: one of this
	// repository's commits (HEAD may have moved since the build).
	_, gitErr := exec.Command("git", "rev-parse", "HEAD").Output()
	named := regexp.MustCompile(` commit ([0-9a-f]{40}) `)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, _ := runReel(t, bin, dir, nil, args...)
		if code != 0 || !regexp.MustCompile(`^reel \S+ `).MatchString(stdout) || !strings.Contains(stdout, "go1.") {
			t.Errorf("reel %q: exit %d, %q", args, code, stdout)
		}
		if gitErr != nil {
			continue // not built from a git checkout
		}
		m := named.FindStringSubmatch(stdout)
		if m == nil || exec.Command("git", "cat-file", "-e", m[1]+"^{commit}").Run() != nil {
			t.Errorf("reel %q names no commit of this repository: %q", args, stdout)
		}
	}

	// reel keys where no database is: says so, creates nothing.
	for _, args := range [][]string{{"keys", "list"}, {"keys", "create", "--name", "a", "--role", "admin"}, {"keys", "revoke", "a", "--data", "elsewhere"}} {
		code, _, stderr := runReel(t, bin, dir, nil, args...)
		if code != 1 || !strings.Contains(stderr, "no reel database at") || !strings.Contains(stderr, "--data DIR or --db") ||
			strings.Count(stderr, "\n") != 1 {
			t.Errorf("reel %q without a database: exit %d, %q", args, code, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("reel left %v in the folder", entries)
	}
}

// A port in use is reported with the flag, and its variable, that moves
// the listener: --addr for the API, --metrics-addr for the operator's.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--addr", busy}, busy + " is already in use: stop the program listening there, or choose another address with --addr (or REEL_ADDR)"},
		{[]string{"--addr", "127.0.0.1:0", "--metrics-addr", busy}, "--metrics-addr (or REEL_METRICS_ADDR)"},
	} {
		c := &ServeCommand{Lookup: func(string) (string, bool) { return "", false }}
		if err := c.ParseFlags(append([]string{"--data", t.TempDir(), "--workers", "0", "--log-level", "error"}, tc.flags...)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := c.Run(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %q on a port in use: %v", tc.flags, err)
		}
	}
	c := &WorkerCommand{Lookup: func(string) (string, bool) { return "", false }}
	if err := c.ParseFlags([]string{"--data", t.TempDir(), "--metrics-addr", busy, "--log-level", "error"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "--metrics-addr (or REEL_METRICS_ADDR)") {
		t.Errorf("worker on a port in use: %v", err)
	}
}

// Whatever the command line, parse returns the arguments that are not
// flags in their order, or an error; it never panics, and a line with no
// flags comes back whole.
func FuzzParseArgs(f *testing.F) {
	f.Add("a.mp4\x00--wait\x00b.mp4")
	f.Add("--title\x00--\x00x")
	f.Add("-\x00--\x00--wait")
	f.Add("--chunk-size=1KiB\x00--again=false\x00dir/")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		c := &UploadCommand{}
		cl := c.cmdLine()
		cl.help = io.Discard
		rest, err := cl.parse(args)
		if err != nil {
			return
		}
		if len(rest) > len(args) {
			t.Fatalf("%q: %d arguments from %d", args, len(rest), len(args))
		}
		plain := true
		for _, a := range args {
			plain = plain && !strings.HasPrefix(a, "-")
		}
		if plain && strings.Join(rest, "\x00") != line {
			t.Errorf("%q: parsed to %q", args, rest)
		}
	})
}
