package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"reel"
	"reel/sqlstore"
)

// keysSynopsis and keysAbout are reel keys' help.
const (
	keysSynopsis = `reel keys create --name NAME --role admin|uploader|viewer [--data DIR | --db FILE|URL]
       reel keys list [--data DIR | --db FILE|URL]
       reel keys revoke ID|NAME [--data DIR | --db FILE|URL]`
	keysAbout = `Manages the API keys in the database of reel serve: run it with the same
--data (or --db) as reel serve. It never creates a database: reel serve or
reel migrate does.

create prints the new key once, alone on its last line; reel keeps only
its SHA-256. Send it as "Authorization: Bearer <key>", or sign in with it
on the web page. Roles: admin may do everything; uploader may upload and
manage its own videos; viewer may only read. revoke takes effect at once,
also for the web page's sessions of the key.`
)

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

// Run runs `reel keys ACTION ...`; flags may come before or after the
// action and its argument.
func (c *KeysCommand) Run(ctx context.Context, args []string) error {
	cl := newCmdLine("reel keys", keysSynopsis, keysAbout)
	cl.help = c.Out
	fs := cl.FlagSet
	fs.StringVar(&c.Data, "data", "./data", "data `dir` of reel serve (holds the default SQLite database)")
	registerDBFlag(fs, &c.DB)
	fs.StringVar(&c.Name, "name", "", "create: `name` of the key, such as the person or program holding it")
	fs.StringVar(&c.Role, "role", "", "create: `role` of the key: admin, uploader or viewer")
	rest, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return &usageError{msg: "reel keys: name an action: create, list or revoke", hint: flagHint("reel keys")}
	}
	action, rest := rest[0], rest[1:]
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := envDefaults(fs, lookup); err != nil {
		return err
	}
	var target string
	switch {
	case action == "help":
		cl.printHelp(c.out())
		return nil
	case action != "create" && action != "list" && action != "revoke":
		return &usageError{msg: fmt.Sprintf("reel keys: unknown action %q: create, list or revoke", action), hint: flagHint("reel keys")}
	case action == "revoke" && len(rest) != 1:
		return &usageError{msg: "reel keys revoke takes one key id or name", hint: flagHint("reel keys")}
	case action == "revoke":
		target = rest[0]
	case len(rest) > 0:
		return &usageError{msg: fmt.Sprintf("reel keys %s takes no arguments, got %q", action, rest), hint: flagHint("reel keys")}
	case action != "create" && (given["name"] || given["role"]):
		return &usageError{msg: "reel keys: --name and --role are for create", hint: flagHint("reel keys")}
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
	if err := existingDatabase(c.Data, c.DB); err != nil {
		return err
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

// existingDatabase checks that the SQLite database --data or --db names
// exists, so that a command run in the wrong folder says so instead of
// creating an empty database there. A PostgreSQL URL is checked by
// connecting.
func existingDatabase(data, dsn string) error {
	path, flagName := filepath.Join(data, "reel.db"), "--data"
	switch {
	case dsn == "":
	case strings.HasPrefix(dsn, "sqlite:"):
		path, flagName = strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"), "--db"
	case strings.Contains(dsn, "://"):
		return nil
	default:
		path, flagName = dsn, "--db"
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no reel database at %s (from %s): run this where reel serve keeps its data, or pass --data DIR or --db FILE|URL naming reel serve's; reel migrate creates a new one", path, flagName)
	} else if err != nil {
		return err
	}
	return nil
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
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		// The store looks names up among valid keys only: a name whose
		// keys are all revoked is no unknown name.
		if keys, lerr := store.Keys(ctx); lerr == nil {
			for _, k := range keys {
				if k.Name == target && k.Revoked() {
					return fmt.Errorf("the key %s named %q was revoked already, at %s", k.ID, k.Name, keyTime(k.RevokedAt, "-"))
				}
			}
		}
	}
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
