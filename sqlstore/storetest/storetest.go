// Package storetest is the conformance suite of sqlstore.Store, in the
// style of testing/fstest.TestFS: one suite per seam the store implements
// (reel.VideoStore with its enqueue-with-state-change, reel.KeyStore and
// reel.SessionStore, reel.UploadStore with its leases, the signing key,
// webhooks and the event log, the pieces of split transcodes),
// run against every database reel supports, SQLite and PostgreSQL alike.
package storetest

import (
	"context"
	"database/sql"
	"testing"

	"reel/sqlstore"
)

// Backend names a database engine under test.
type Backend struct {
	// NewDSN returns the name of a fresh, empty database that lives as
	// long as the test: a SQLite path or a postgres:// URL. Every call
	// names another database; opening one name twice gives two
	// connection pools on the same database, as two processes have.
	NewDSN func(t testing.TB) string
}

// Run runs every suite against b.
func Run(t *testing.T, b Backend) {
	t.Run("Videos", func(t *testing.T) { RunVideos(t, b) })
	t.Run("Enqueue", func(t *testing.T) { RunEnqueue(t, b) })
	t.Run("KeysAndSessions", func(t *testing.T) { RunKeys(t, b) })
	t.Run("Uploads", func(t *testing.T) { RunUploads(t, b) })
	t.Run("SigningKey", func(t *testing.T) { RunSigningKey(t, b) })
	t.Run("Webhooks", func(t *testing.T) { RunWebhooks(t, b) })
	t.Run("Pieces", func(t *testing.T) { RunPieces(t, b) })
}

// RunVideos checks reel.VideoStore: lifecycle, pagination, visibility,
// search, status filter and order, one video per original, a video's own
// codecs and downloads.
func RunVideos(t *testing.T, b Backend) {
	t.Run("Lifecycle", func(t *testing.T) { testVideoLifecycle(t, b) })
	t.Run("Pagination", func(t *testing.T) { testVideosPagination(t, b) })
	t.Run("VisibilityFilter", func(t *testing.T) { testVisibilityFilter(t, b) })
	t.Run("Search", func(t *testing.T) { testVideosSearch(t, b) })
	t.Run("OriginalKeyUnique", func(t *testing.T) { testOriginalKeyUnique(t, b) })
	t.Run("Choices", func(t *testing.T) { testChoices(t, b) })
}

// RunEnqueue checks that a video's state change and its job commit in one
// transaction, or neither does.
func RunEnqueue(t *testing.T, b Backend) {
	t.Run("EnqueueIsAtomic", func(t *testing.T) { testEnqueueIsAtomic(t, b) })
	t.Run("CreateQueued", func(t *testing.T) { testCreateQueued(t, b) })
	t.Run("RequeueStalled", func(t *testing.T) { testRequeueStalled(t, b) })
}

// RunKeys checks reel.KeyStore and reel.SessionStore.
func RunKeys(t *testing.T, b Backend) {
	testKeys(t, b)
}

// RunUploads checks reel.UploadStore: upload state and the leases that
// several processes race for.
func RunUploads(t *testing.T, b Backend) {
	t.Run("Lifecycle", func(t *testing.T) { testUploadLifecycle(t, b) })
	t.Run("Lock", func(t *testing.T) { testUploadLock(t, b) })
	t.Run("LockProcesses", func(t *testing.T) { testUploadLockProcesses(t, b) })
}

// open opens and migrates the database dsn names, with a table jobs that
// tableEnqueue inserts into.
func open(t *testing.T, dsn string, enqueue sqlstore.EnqueueFunc) (*sqlstore.Store, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := sqlstore.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	ddl := `CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, video_id TEXT)`
	if sqlstore.IsPostgres(db) {
		ddl = `CREATE TABLE IF NOT EXISTS jobs (id BIGSERIAL PRIMARY KEY, video_id TEXT)`
	}
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	return sqlstore.New(db, enqueue), db
}

// tableEnqueue records jobs in the table jobs inside the caller's
// transaction, so a rollback removes them too. Both dialects read $1.
func tableEnqueue(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
	var jobID int64
	err := tx.QueryRowContext(ctx, `INSERT INTO jobs (video_id) VALUES ($1) RETURNING id`, id).Scan(&jobID)
	return jobID, err
}
