// Command reel is the video-on-demand server. `reel serve` runs it on
// embedded defaults: SQLite, local disk and in-process transcoding workers.
// `reel worker` runs transcodes alone, beside any number of servers on the
// same database and stores.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// errUsageShown means the usage was printed for a command line that does
// not run (reel alone): exit 2 with nothing more to say.
var errUsageShown = errors.New("usage shown")

// exitCode prints err, if any, and returns the exit status: 0 for success
// and for help asked for, 2 for a command line that cannot run, 1 for a
// failure.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsageShown):
		return 2
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, err) // names its command already
		return 2
	}
	fmt.Fprintln(stderr, "reel:", err)
	return 1
}

const usage = `reel is a self-hosted video-on-demand server.

Usage:
	reel serve [flags]                run the server
	reel worker [flags]               run transcodes only, beside servers on the same database
	reel keys ACTION [flags]          create, list or revoke API keys
	reel migrate [flags]              create or bring the database's tables up to date, and exit
	reel upload [flags] FILE|DIR...   upload videos, resumably, each once
	reel version                      print the version and commit (also reel --version)

"reel COMMAND -h" (or "reel help COMMAND") shows a command's flags, each
with its REEL_* environment variable. Flags may follow the arguments.
`

// version is set at build time with -ldflags "-X main.version=..."; if
// not, the version the Go toolchain recorded is shown.
var version = "dev"

// commit is set at build time with -ldflags "-X main.commit=..." (`make
// build` does), for builds where the Go toolchain records no commit.
var commit = ""

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errUsageShown
	}
	switch args[0] {
	case "serve":
		cmd := &ServeCommand{}
		if err := cmd.ParseFlags(args[1:]); err != nil {
			return err
		}
		return cmd.Run(ctx)
	case "worker":
		cmd := &WorkerCommand{}
		if err := cmd.ParseFlags(args[1:]); err != nil {
			return err
		}
		return cmd.Run(ctx)
	case "upload":
		cmd := &UploadCommand{}
		if err := cmd.ParseFlags(args[1:]); err != nil {
			return err
		}
		return cmd.Run(ctx)
	case "keys":
		return (&KeysCommand{}).Run(ctx, args[1:])
	case "migrate":
		return (&MigrateCommand{}).Run(ctx, args[1:])
	case "version", "--version", "-version":
		cl := newCmdLine("reel version", "reel version", "Prints reel's version and the commit it was built from.")
		rest, err := cl.parse(args[1:])
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return &usageError{msg: fmt.Sprintf("reel version takes no arguments, got %q", rest)}
		}
		fmt.Println(versionLine())
		return nil
	case "help", "-h", "--help", "-help":
		if len(args) > 1 && args[1] != "help" {
			return run(ctx, []string{args[1], "-h"})
		}
		fmt.Print(usage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("reel: unknown command %q", args[0]), hint: "reel -h lists the commands"}
}
