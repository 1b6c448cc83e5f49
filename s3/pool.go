package s3

import (
	"context"
	"fmt"
	"sync"
)

// PartPool is a fixed set of reusable buffers that multipart uploads fill
// with parts. One pool serves every Put of the process, so the memory that
// uploads hold is at most Buffers × BufferSize, however many uploads run
// and however large they are. A part larger than one buffer spans several.
// Buffers are allocated on first use and then kept for reuse.
type PartPool struct {
	size    int64
	buffers int

	mu      sync.Mutex
	free    [][]byte  // allocated buffers not lent out
	lent    int       // buffers lent out
	maxLent int       // the most ever lent out at once
	waiters []*waiter // Gets waiting for buffers, first come first served
}

// waiter is a Get waiting for n buffers; ready receives them.
type waiter struct {
	n     int
	ready chan [][]byte
}

// Defaults for a process's pool: 8 MiB parts, the smallest part size of
// the planning formula, and 32 buffers (256 MiB), enough for about ten
// uploads at a time with three buffers each.
const (
	DefaultPartSize    = 8 << 20
	DefaultPoolBuffers = 32
)

// NewPartPool returns a pool of buffers of partSize bytes each. partSize
// is also the smallest part size Put uses; it is kept within S3's part
// sizes, 5 MiB to 5 GiB. buffers below 1 become 1.
func NewPartPool(partSize int64, buffers int) *PartPool {
	return &PartPool{
		size:    min(max(partSize, MinPartSize), MaxPartSize),
		buffers: max(buffers, 1),
	}
}

// BufferSize returns the size of each buffer in bytes.
func (p *PartPool) BufferSize() int64 { return p.size }

// Buffers returns how many buffers the pool holds at most.
func (p *PartPool) Buffers() int { return p.buffers }

// InUse returns how many buffers uploads hold right now.
func (p *PartPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lent
}

// MaxInUse returns the most buffers uploads ever held at once.
func (p *PartPool) MaxInUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxLent
}

// get returns n buffers, waiting until that many are free or ctx ends.
// Waiters are served in order, so a large part is not starved by a stream
// of small ones; n is taken at once, never piecemeal, so two uploads can
// never each hold half of what the other needs.
func (p *PartPool) get(ctx context.Context, n int) ([][]byte, error) {
	if n > p.buffers {
		return nil, fmt.Errorf("a part of %d bytes needs %d buffers but the part pool has only %d of %d bytes", int64(n)*p.size, n, p.buffers, p.size)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if len(p.waiters) == 0 && p.buffers-p.lent >= n {
		bufs := p.take(n)
		p.mu.Unlock()
		return bufs, nil
	}
	w := &waiter{n: n, ready: make(chan [][]byte, 1)}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()

	select {
	case bufs := <-w.ready:
		return bufs, nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, o := range p.waiters {
			if o == w {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				p.grant() // those behind us may fit now
				return nil, ctx.Err()
			}
		}
		// Served while ctx ended: hand the buffers back.
		p.release(<-w.ready)
		return nil, ctx.Err()
	}
}

// put returns buffers to the pool.
func (p *PartPool) put(bufs [][]byte) {
	if len(bufs) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.release(bufs)
}

// take lends n buffers, reusing free ones first. p.mu is held.
func (p *PartPool) take(n int) [][]byte {
	bufs := make([][]byte, 0, n)
	for len(bufs) < n && len(p.free) > 0 {
		last := len(p.free) - 1
		bufs = append(bufs, p.free[last])
		p.free = p.free[:last]
	}
	for len(bufs) < n {
		bufs = append(bufs, make([]byte, p.size))
	}
	p.lent += n
	p.maxLent = max(p.maxLent, p.lent)
	return bufs
}

// release takes buffers back and serves waiters. p.mu is held.
func (p *PartPool) release(bufs [][]byte) {
	p.free = append(p.free, bufs...)
	p.lent -= len(bufs)
	p.grant()
}

// grant serves waiters in order while the first one fits. p.mu is held.
func (p *PartPool) grant() {
	for len(p.waiters) > 0 && p.buffers-p.lent >= p.waiters[0].n {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.ready <- p.take(w.n)
	}
}
