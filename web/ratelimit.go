package web

import (
	"sync"
	"time"
)

// maxLimitedClients bounds the memory of a limiter. Past it, the buckets
// that have refilled (idle clients) are dropped; if every bucket is busy,
// all are, which only gives clients a fresh burst.
const maxLimitedClients = 100_000

// limiter is a token bucket per client, in memory: each client may make
// burst requests at once and rate more per second after that. Every
// process limits on its own; several API nodes multiply the limits.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is one client's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token of the client's, or reports how long until one is
// there. A nil limiter allows everything.
func (l *limiter) allow(client string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) >= maxLimitedClients {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[client] = b
	}
	b.refill(now, l.rate, l.burst)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(burst, b.tokens+elapsed*rate)
	}
	b.last = now
}

// sweep drops the buckets of idle clients, or all of them if none is idle.
func (l *limiter) sweep(now time.Time) {
	for client, b := range l.buckets {
		if b.refill(now, l.rate, l.burst); b.tokens >= l.burst {
			delete(l.buckets, client)
		}
	}
	if len(l.buckets) >= maxLimitedClients {
		clear(l.buckets)
	}
}
