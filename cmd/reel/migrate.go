package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
)

// MigrateCommand brings the database's tables, reel's and River's, up to
// date and exits. serve and worker migrate at start too; running `reel
// migrate` first lets a deployment upgrade the schema in one step before
// starting new processes.
type MigrateCommand struct {
	Data string
	DB   string

	// Out receives the output; nil means os.Stdout.
	Out io.Writer
	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
}

// Run runs `reel migrate` with its flags.
func (c *MigrateCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reel migrate", flag.ContinueOnError)
	fs.StringVar(&c.Data, "data", "./data", "data `dir` of reel serve (holds the default SQLite database)")
	registerDBFlag(fs, &c.DB)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reel migrate takes no arguments, got %q", fs.Args())
	}
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := envDefaults(fs, lookup); err != nil {
		return err
	}
	db, err := openDatabase(ctx, c.Data, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	out := c.Out
	if out == nil {
		out = os.Stdout
	}
	kind := "SQLite"
	if db.Postgres {
		kind = "PostgreSQL"
	}
	fmt.Fprintf(out, "The %s database is up to date.\n", kind)
	return nil
}
