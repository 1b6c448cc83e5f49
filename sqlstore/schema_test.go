package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"reel/pgtest"
	"reel/sqlstore"
)

// Every migration has its twin in the other dialect's folder, and the two
// schemas have the same tables with the same columns: a table or column
// added for one database only fails here.
func TestSchemasMatch(t *testing.T) {
	names := func(dir string) []string {
		entries, err := os.ReadDir(filepath.Join("migrations", dir))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if lite, pg := names("sqlite"), names("postgres"); !slices.Equal(lite, pg) {
		t.Errorf("migrations differ:\nsqlite   %q\npostgres %q", lite, pg)
	}

	ctx := context.Background()
	lite, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := sqlstore.Open(ctx, pgtest.New(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := sqlstore.Migrate(ctx, pg); err != nil {
		t.Fatal(err)
	}
	want := columns(t, lite, `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`)
	got := columns(t, pg, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("columns differ:\nsqlite   %q\npostgres %q", want, got)
	}
}

// columns returns the sorted first column of query's rows.
func columns(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
