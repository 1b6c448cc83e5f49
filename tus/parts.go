package tus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"reel"
)

// sentPart is the outcome of one UploadPart.
type sentPart struct {
	part reel.UploadPart
	err  error
}

// sender sends the parts of one request, up to cap(slots) at once while
// the next one fills, and keeps their outcomes in the order sent.
type sender struct {
	ps            PartStore
	key, uploadID string
	slots         chan struct{}
	wg            sync.WaitGroup

	mu      sync.Mutex
	results []sentPart
	failed  error
}

// send sends p as part number, waiting for a free slot first; the part's
// buffers go back to the pool once sent.
func (s *sender) send(ctx context.Context, number int, p reel.Part) {
	s.slots <- struct{}{}
	s.mu.Lock()
	i := len(s.results)
	s.results = append(s.results, sentPart{})
	s.mu.Unlock()
	n := p.Len()
	s.wg.Go(func() {
		defer func() { p.Release(); <-s.slots }()
		etag, err := s.ps.UploadPart(ctx, s.key, s.uploadID, number, p)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.results[i] = sentPart{reel.UploadPart{Number: number, ETag: etag, Size: n}, err}
		if err != nil && s.failed == nil {
			s.failed = err
		}
	})
}

// err returns the first failure so far, so that reading stops early.
func (s *sender) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// wait waits for every part and returns those sent before the first that
// failed (only an unbroken run of parts can be recorded), and its error.
func (s *sender) wait() ([]reel.UploadPart, error) {
	s.wg.Wait()
	var sent []reel.UploadPart
	for _, r := range s.results {
		if r.err != nil {
			return sent, r.err
		}
		sent = append(sent, r.part)
	}
	return sent, nil
}

// writeParts streams the previous tail and then src into whole parts of
// the multipart upload, a few parts sending while the next fills; what is
// left shorter than a part becomes the new tail object. Then it records
// the parts, the tail and the offset in one transaction. With a checksum,
// nothing is recorded unless the whole chunk arrived and matches.
func (u *upload) writeParts(ctx context.Context, src io.Reader, sum *checksum) (int64, error) {
	ps, st := u.s.parts, u.st
	key := reel.OriginalKey(st.ID)
	body := &countReader{r: src}
	var in io.Reader = body
	if st.TailSize > 0 {
		tail, err := ps.Open(ctx, reel.TailKey(st.ID, st.TailSeq))
		if err != nil {
			return 0, fmt.Errorf("open the tail of upload %s: %w", st.ID, err)
		}
		defer tail.Close()
		if tail.Size() != st.TailSize {
			return 0, fmt.Errorf("the tail of upload %s holds %d bytes, not the %d recorded", st.ID, tail.Size(), st.TailSize)
		}
		in = io.MultiReader(tail, body)
	}

	var (
		base    = st.PartsSize() // bytes in parts, recorded or sent
		next    = 1              // number of the next part
		tail    reel.Part        // what is left shorter than a part
		readErr error
		snd     = &sender{ps: ps, key: key, uploadID: st.MultipartID, slots: make(chan struct{}, max(ps.PartsInFlight(), 1))}
	)
	if n := len(st.Parts); n > 0 {
		next = st.Parts[n-1].Number + 1
	}
	for snd.err() == nil {
		size := ps.PartSize(st.Size, next)
		p, err := ps.ReadPart(ctx, in, size)
		if err != nil {
			readErr = err
			break
		}
		n := p.Len()
		if n == 0 {
			p.Release()
			break
		}
		last := base+n == st.Size
		if n < size && !last {
			tail = p // the body ended inside a part
			break
		}
		snd.send(ctx, next, p)
		base += n
		next++
		if last {
			break
		}
	}
	sent, sendErr := snd.wait()
	defer func() {
		if tail != nil {
			tail.Release()
		}
	}()

	failed := errors.Join(readErr, sendErr)
	if sum != nil {
		// Only a chunk received whole and matching counts at all; its
		// parts sent so far are never recorded, and sending the same
		// numbers again replaces them.
		if failed != nil {
			return 0, failed
		}
		if !sum.ok() {
			return 0, errChecksum
		}
	}

	if body.n == 0 && len(sent) == 0 && failed == nil {
		return 0, nil // an empty chunk: the tail stays as it is
	}

	// What the parts recorded and sent hold: the previous tail is in them
	// once one part was sent.
	partsEnd := st.PartsSize()
	for _, p := range sent {
		partsEnd += p.Size
	}
	adv := reel.UploadAdvance{Offset: partsEnd, TailSeq: st.TailSeq, ExpiresAt: st.ExpiresAt}
	var tailErr error
	switch {
	case failed != nil:
		// Record the parts that made it; the rest is sent again.
	case tail != nil:
		adv.TailSeq = st.TailSeq + 1
		if tailErr = ps.PutPart(ctx, reel.TailKey(st.ID, adv.TailSeq), tail); tailErr != nil {
			adv.TailSeq = st.TailSeq
		} else {
			adv.Offset, adv.TailSize = partsEnd+tail.Len(), tail.Len()
		}
	}
	failed = errors.Join(failed, tailErr)
	if len(sent) == 0 && adv.TailSeq == st.TailSeq {
		// Nothing new is durable: the recorded state, previous tail
		// included, stays as it was.
		return 0, failed
	}
	if adv.Offset < st.Offset {
		return 0, errors.Join(failed, fmt.Errorf("upload %s would go back from %d to %d bytes", st.ID, st.Offset, adv.Offset))
	}
	from, oldTail := st.Offset, st.TailSeq
	hadTail := st.TailSize > 0
	if err := u.advance(ctx, adv, sent); err != nil {
		if adv.TailSeq != oldTail {
			u.s.originals.Delete(context.WithoutCancel(ctx), reel.TailKey(st.ID, adv.TailSeq))
		}
		return 0, errors.Join(failed, err)
	}
	if hadTail {
		// The previous tail is in a part now, or replaced.
		if err := u.s.originals.Delete(ctx, reel.TailKey(st.ID, oldTail)); err != nil {
			u.s.log.Warn("deleting an upload's previous tail", "video", st.ID, "err", err)
		}
	}
	return st.Offset - from, failed
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
