package tus

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"reel"
)

// locker hands out per-upload locks kept in the database: a lease row that
// one statement takes when free or run out, so that two requests for one
// upload never interleave, whichever processes they land on. The holder
// renews its lease and, polling, sees when another request asks for the
// lock (tusd's requestUnlock: a client that reconnects interrupts its own
// stale request); a killed holder's lease runs out after ttl.
type locker struct {
	uploads reel.UploadStore
	ttl     time.Duration
	log     *slog.Logger
}

// NewLock returns the unlocked lock of upload id.
func (l *locker) NewLock(id string) (handler.Lock, error) {
	return &lock{locker: l, id: id}, nil
}

// poll is how often a holder renews and looks for requests, and the
// longest a waiter sleeps between attempts.
func (l *locker) poll() time.Duration { return max(l.ttl/10, 50*time.Millisecond) }

// lock is one request's hold on one upload.
type lock struct {
	*locker
	id    string
	owner string

	stop chan struct{}
	done sync.WaitGroup
}

// Lock takes the lock, asking its holder to let go and polling until it
// does or its lease runs out, or ctx ends (tusd then answers 500, which
// clients retry).
func (l *lock) Lock(ctx context.Context, requestUnlock func()) error {
	delay := 20 * time.Millisecond
	var asked time.Time
	for {
		ok, err := l.try(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return handler.ErrLockTimeout
			}
			if reel.ErrorCode(err) == reel.EUNAVAILABLE {
				// The database is gone for now; the client resumes later.
				l.log.Warn("taking an upload's lock", "video", l.id, "err", err)
				return handler.NewError("ERR_UNAVAILABLE", reel.ErrorMessage(err), http.StatusServiceUnavailable)
			}
			l.log.Error("taking an upload's lock", "video", l.id, "err", err)
			return handler.NewError("ERR_INTERNAL_SERVER_ERROR", "internal error", http.StatusInternalServerError)
		}
		if ok {
			l.keep(requestUnlock)
			return nil
		}
		if time.Since(asked) >= time.Second {
			// Asked again now and then: a lock that changed hands
			// forgets the request.
			if err := l.uploads.RequestUploadUnlock(ctx, l.id); err != nil && ctx.Err() == nil {
				l.log.Warn("asking for an upload's lock", "video", l.id, "err", err)
			}
			asked = time.Now()
		}
		select {
		case <-ctx.Done():
			return handler.ErrLockTimeout
		case <-time.After(delay):
		}
		delay = min(delay*2, l.poll())
	}
}

// try takes the lock if it is free, without waiting or keeping it.
func (l *lock) try(ctx context.Context) (bool, error) {
	l.owner = reel.NewID()
	return l.uploads.LockUpload(ctx, l.id, l.owner, time.Now().Add(l.ttl))
}

// keep renews the lease until Unlock, and calls requestUnlock once when
// another request asks for the lock or the lease is lost.
func (l *lock) keep(requestUnlock func()) {
	l.stop = make(chan struct{})
	l.done.Add(1)
	go func() {
		defer l.done.Done()
		t := time.NewTicker(l.poll())
		defer t.Stop()
		renewed, asked := time.Now(), false
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), l.ttl/2)
			requested, err := l.uploads.RenewUploadLock(ctx, l.id, l.owner, time.Now().Add(l.ttl))
			cancel()
			switch {
			case reel.ErrorCode(err) == reel.ECONFLICT:
				l.log.Warn("lost an upload's lock", "video", l.id)
				requested = true
			case err != nil:
				l.log.Warn("renewing an upload's lock", "video", l.id, "err", err)
				requested = time.Since(renewed) > l.ttl/2
			default:
				renewed = time.Now()
			}
			if requested && !asked && requestUnlock != nil {
				asked = true
				requestUnlock()
			}
		}
	}()
}

// Unlock stops renewing and deletes the lease.
func (l *lock) Unlock() error {
	if l.stop != nil {
		close(l.stop)
		l.done.Wait()
		l.stop = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.uploads.UnlockUpload(ctx, l.id, l.owner)
}
