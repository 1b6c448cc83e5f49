package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"reel"
	"reel/sqlstore"
)

// keysUsage describes reel keys.
const keysUsage = `Usage:
	reel keys create --name NAME --role admin|uploader|viewer [--data DIR] [--db FILE|URL]
	reel keys list [--data DIR] [--db FILE|URL]
	reel keys revoke [--data DIR] [--db FILE|URL] ID|NAME

create prints the new key once, alone on its last line; reel keeps only
its SHA-256. Send it as "Authorization: Bearer <key>", or sign in with it
on the web page. Roles: admin may do everything; uploader may upload and
manage its own videos; viewer may only read. revoke takes effect at once,
also for the web page's sessions of the key.
`

// KeysCommand manages API keys in the database of reel serve.
type KeysCommand struct {
	Data string
	DB   string
	Name string
	Role string

	// Out receives the output; nil means os.Stdout.
	Out io.Writer
	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
}

// Run runs `reel keys <action> ...` with args starting at the action.
func (c *KeysCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, keysUsage)
		return flag.ErrHelp
	}
	action := args[0]
	fs := flag.NewFlagSet("reel keys "+action, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), keysUsage) }
	fs.StringVar(&c.Data, "data", "./data", "data `dir` of reel serve")
	registerDBFlag(fs, &c.DB)
	switch action {
	case "create":
		fs.StringVar(&c.Name, "name", "", "`name` of the key, such as the person or program holding it")
		fs.StringVar(&c.Role, "role", "", "admin, uploader or viewer")
	case "list", "revoke":
	case "help", "-h", "--help":
		fmt.Fprint(c.out(), keysUsage)
		return nil
	default:
		return fmt.Errorf("unknown keys action %q\n\n%s", action, keysUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := envDefaults(fs, lookup); err != nil {
		return err
	}
	var target string
	switch {
	case action == "revoke" && fs.NArg() != 1:
		return errors.New("reel keys revoke takes one key id or name")
	case action == "revoke":
		target = fs.Arg(0)
	case fs.NArg() > 0:
		return fmt.Errorf("reel keys %s takes no arguments, got %q", action, fs.Args())
	}
	if action == "create" {
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" || len(c.Name) > 100 || reel.Sanitize(c.Name, 100) != c.Name {
			return errors.New("--name must be 1 to 100 printable characters")
		}
		if !reel.ValidRole(reel.Role(c.Role)) {
			return errors.New("--role must be admin, uploader or viewer")
		}
	}

	db, err := openDatabase(ctx, c.Data, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	store := sqlstore.New(db.SQL, nil) // keys never enqueue a transcode
	switch action {
	case "create":
		return c.create(ctx, store)
	case "list":
		return c.list(ctx, store)
	}
	return c.revoke(ctx, store, target)
}

func (c *KeysCommand) out() io.Writer {
	if c.Out == nil {
		return os.Stdout
	}
	return c.Out
}

func (c *KeysCommand) create(ctx context.Context, store reel.KeyStore) error {
	secret := reel.NewSecret()
	k := &reel.Key{Name: c.Name, Role: reel.Role(c.Role)}
	if err := store.CreateKey(ctx, k, reel.HashSecret(secret)); err != nil {
		return userError(err)
	}
	fmt.Fprintf(c.out(), "Created %s key %s named %q. It is shown only now; reel keeps only its hash:\n%s\n", k.Role, k.ID, k.Name, secret)
	return nil
}

func (c *KeysCommand) list(ctx context.Context, store reel.KeyStore) error {
	keys, err := store.Keys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role,
			keyTime(k.CreatedAt, "-"), keyTime(k.LastUsedAt, "never"), keyTime(k.RevokedAt, "-"))
	}
	return tw.Flush()
}

func (c *KeysCommand) revoke(ctx context.Context, store reel.KeyStore, target string) error {
	k, err := store.RevokeKey(ctx, target, time.Now())
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(c.out(), "Revoked %s key %s named %q.\n", k.Role, k.ID, k.Name)
	return nil
}

// keyTime shows a time of a key in UTC, or the placeholder if zero.
func keyTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// userError returns a domain error as its message alone, for the terminal,
// and any other error whole.
func userError(err error) error {
	if reel.ErrorCode(err) == reel.EINTERNAL {
		return err
	}
	return errors.New(reel.ErrorMessage(err))
}
