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
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "reel:", err)
		}
		os.Exit(1)
	}
}

const usage = `reel is a self-hosted video-on-demand server.

Usage:
	reel serve [flags]    run the server (reel serve -h lists the flags)
	reel worker [flags]   run transcodes only, beside servers on the same database (reel worker -h)
	reel keys ACTION      create, list or revoke API keys (reel keys -h)
	reel migrate          bring the database's tables up to date and exit
	reel upload FILE...   upload videos, resumably (reel upload -h lists the flags)
	reel version          print the version
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return flag.ErrHelp
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
	case "version":
		fmt.Println("reel", version)
		return nil
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}
