package main

import (
	"context"
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
	cl := newCmdLine("reel migrate", "reel migrate [flags]", `Creates the database if it does not exist, brings reel's and River's tables
up to date, and exits. reel serve and reel worker migrate at start too.`)
	fs := cl.FlagSet
	fs.StringVar(&c.Data, "data", "./data", "data `dir` of reel serve (holds the default SQLite database)")
	registerDBFlag(fs, &c.DB)
	rest, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("reel migrate takes no arguments, got %q", rest), hint: flagHint("reel migrate")}
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
