package jobs

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// SQLite has no LISTEN/NOTIFY: River's SQLite driver writes notifications
// (a job inserted, a job cancelled, a leader resigning) to the table
// river_notification, and its listener reads the table every 50 ms:
// twenty queries a second in every idle process, most of an idle reel's
// CPU. The quiet listener reads it every quietPoll, and every burstPoll
// for wakeBurst after this process inserted a job, so that a transcode
// enqueued here still starts at once. Notifications of other processes
// sharing the file arrive within quietPoll.
const (
	quietPoll = 2 * time.Second
	burstPoll = 50 * time.Millisecond
	wakeBurst = 2 * time.Second
)

// SQLiteDriver is River's SQLite driver on db with a quiet listener. The
// Queue built on it wakes the listener of the Runner built on the same
// driver whenever it inserts a job.
type SQLiteDriver struct {
	*riversqlite.Driver
	db    *sql.DB
	wake  chan struct{}
	quiet time.Duration // quietPoll; tests change it
}

// NewSQLiteDriver returns the driver on db.
func NewSQLiteDriver(db *sql.DB) *SQLiteDriver {
	return &SQLiteDriver{Driver: riversqlite.New(db), db: db, wake: make(chan struct{}, 1), quiet: quietPoll}
}

// GetListener returns the quiet listener.
func (d *SQLiteDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	table := "river_notification"
	if params.Schema != "" {
		table = params.Schema + "." + table
	}
	return &quietListener{db: d.db, table: table, schema: params.Schema, wake: d.wake, quiet: d.quiet}
}

// jobInserted tells the listener that a transaction of this process
// inserted a job; its notification is in the table once it commits.
func (d *SQLiteDriver) jobInserted() {
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// quietListener is a riverdriver.Listener on river_notification, read on
// the schedule above. Like River's own SQLite listener it keeps the last
// id it read as its cursor, which is safe because SQLite has one writer at
// a time: no transaction can commit a lower id after a higher one is seen.
type quietListener struct {
	db     *sql.DB
	table  string
	schema string
	wake   <-chan struct{}
	quiet  time.Duration

	mu        sync.Mutex
	connected bool
	lastID    int64
	topics    map[string]int64 // topic → last id when subscribed
	pending   []notification
	afterConn string

	// Only WaitForNotification, called by one goroutine at a time, reads
	// and writes these; River's notifier interrupts each wait every 5 s to
	// ping, so the schedule outlives a call.
	polled  time.Time // last read
	burstTo time.Time // read every burstPoll until then
}

type notification struct {
	id int64
	riverdriver.Notification
}

func (l *quietListener) Connect(ctx context.Context) error {
	l.mu.Lock()
	after := l.afterConn
	l.mu.Unlock()
	if after != "" {
		if _, err := l.db.ExecContext(ctx, after); err != nil {
			return err
		}
	}
	last, err := l.maxID(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.connected {
		return errors.New("listener already connected")
	}
	l.connected, l.lastID, l.topics, l.pending = true, last, map[string]int64{}, nil
	return nil
}

func (l *quietListener) maxID(ctx context.Context) (int64, error) {
	var id int64
	err := l.db.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM "+l.table).Scan(&id)
	return id, err
}

func (l *quietListener) Close(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.connected, l.topics, l.pending = false, nil, nil
	return nil
}

// Listen subscribes to topic from now on: earlier rows are not delivered.
func (l *quietListener) Listen(ctx context.Context, topic string) error {
	last, err := l.maxID(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errors.New("listener is not connected")
	}
	if _, ok := l.topics[topic]; !ok {
		l.topics[topic] = max(l.lastID, last)
	}
	return nil
}

func (l *quietListener) Unlisten(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.topics, topic)
	return nil
}

func (l *quietListener) Ping(ctx context.Context) error { return l.db.PingContext(ctx) }

func (l *quietListener) Schema() string { return l.schema }

func (l *quietListener) SetAfterConnectExec(sql string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.afterConn = sql
}

// WaitForNotification returns the next notification of a subscribed topic,
// reading the table when due or woken.
func (l *quietListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if n := l.pop(); n != nil {
			return n, nil
		}
		now := time.Now()
		due := l.polled.Add(l.quiet)
		if now.Before(l.burstTo) {
			due = l.polled.Add(burstPoll)
		}
		if now.Before(due) {
			timer := time.NewTimer(due.Sub(now))
			select {
			case <-ctx.Done():
				timer.Stop()
				return nil, ctx.Err()
			case <-l.wake:
				l.burstTo = time.Now().Add(wakeBurst)
			case <-timer.C:
			}
			timer.Stop()
		}
		l.polled = time.Now()
		full, err := l.read(ctx)
		if err != nil {
			return nil, err
		}
		if full {
			l.polled = time.Time{} // more rows wait: read again at once
		}
	}
}

// pop returns the first pending notification of a topic still subscribed.
func (l *quietListener) pop() *riverdriver.Notification {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.pending) > 0 {
		n := l.pending[0]
		l.pending = l.pending[1:]
		if since, ok := l.topics[n.Topic]; ok && n.id > since {
			return &n.Notification
		}
	}
	return nil
}

// readBatch is the most rows one read takes.
const readBatch = 256

// read appends the rows past the cursor to the pending ones; full says
// that more may follow.
func (l *quietListener) read(ctx context.Context) (full bool, err error) {
	l.mu.Lock()
	after, connected := l.lastID, l.connected
	l.mu.Unlock()
	if !connected {
		return false, errors.New("listener is not connected")
	}
	rows, err := l.db.QueryContext(ctx, "SELECT id, payload, topic FROM "+l.table+" WHERE id > ? ORDER BY id LIMIT ?", after, readBatch)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var got []notification
	for rows.Next() {
		var n notification
		if err := rows.Scan(&n.id, &n.Payload, &n.Topic); err != nil {
			return false, err
		}
		got = append(got, n)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(got) == 0 {
		return false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, got...)
	l.lastID = got[len(got)-1].id
	return len(got) == readBatch, nil
}
