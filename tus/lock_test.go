package tus_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"reel"
	"reel/disk"
	"reel/s3"
)

// recordLastPart sends the tail and the last byte of data as the last
// part of the upload's multipart upload and records it, as the last PATCH
// does before it finishes.
func (e *env) recordLastPart(id string, data []byte) {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.videos.Upload(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	ps := e.originals.(*s3.Store)
	rest := data[st.PartsSize():]
	p, err := ps.ReadPart(ctx, bytes.NewReader(rest), int64(len(rest)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer p.Release()
	n := len(st.Parts) + 1
	etag, err := ps.UploadPart(ctx, reel.OriginalKey(id), st.MultipartID, n, p)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.videos.AdvanceUpload(ctx, id, st.Offset, reel.UploadAdvance{
		Offset: st.Size, TailSeq: st.TailSeq, ExpiresAt: st.ExpiresAt,
		Parts: []reel.UploadPart{{Number: n, ETag: etag, Size: int64(len(rest))}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestInterleave runs two reel "processes" on one database and one
// store. A PATCH to the first stalls halfway through its body; a PATCH to
// the second asks for the lock, the first lets go, keeping every byte it
// received, and the second is refused with 409 since the offset moved.
// The upload then resumes on the second from where the first stopped.
func TestInterleave(t *testing.T) {
	backends(t, func(t *testing.T, a *env) {
		b := newEnv(t, "", a)
		data := random(9<<20 + 99)
		path := a.create(int64(len(data)), "")
		sent := 7 << 20 // on S3, a part and a tail

		pr, pw := io.Pipe()
		req, _ := http.NewRequest("PATCH", a.srv.URL+path, pr)
		req.ContentLength = int64(len(data))
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Offset", "0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		answer := make(chan *http.Response, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				close(answer)
				return
			}
			answer <- resp
		}()
		if _, err := pw.Write(data[:sent]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the server reads what was sent, then waits for more

		resp, body := b.patch(path, 0, []byte("other bytes"), nil)
		b.expect(resp, body, http.StatusConflict)
		if r := <-answer; r != nil {
			msg, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusBadRequest || !bytes.Contains(msg, []byte("ERR_UPLOAD_INTERRUPTED")) {
				t.Errorf("interrupted PATCH: %d %q, want 400 ERR_UPLOAD_INTERRUPTED", r.StatusCode, msg)
			}
		}
		pw.CloseWithError(io.ErrClosedPipe)

		off := b.offset(path)
		if off != int64(sent) {
			t.Fatalf("offset after the interrupted PATCH %d, want the %d bytes received", off, sent)
		}
		b.send(path, data, off, 4<<20)
		if got := b.original(idOf(path)); !bytes.Equal(got, data) {
			t.Fatalf("original holds %d bytes, not the %d sent", len(got), len(data))
		}
	})
}

// TestCutOff checks that the bytes of a PATCH whose client vanishes
// midway count.
func TestCutOff(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		data := random(8 << 20)
		path := e.create(int64(len(data)), "")
		sent := 6<<20 + 5

		pr, pw := io.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "PATCH", e.srv.URL+path, pr)
		req.ContentLength = int64(len(data))
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Offset", "0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		pw.Write(data[:sent])
		time.Sleep(time.Second)
		cancel() // the connection closes
		pw.CloseWithError(io.ErrClosedPipe)
		<-done

		// The server finishes the request it lost; HEAD waits for its lock.
		off := e.offset(path)
		if off != int64(sent) {
			t.Fatalf("offset %d after a cut-off PATCH, want the %d bytes received", off, sent)
		}
		e.send(path, data, off, 3<<20)
		if got := e.original(idOf(path)); !bytes.Equal(got, data) {
			t.Fatal("original differs")
		}
	})
}

// TestFinishRecovery: every byte was recorded but the finish did not
// happen (the process died in between); the next request finishes it.
func TestFinishRecovery(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := random(6<<20 + 1)
		path := e.create(int64(len(data)), "")
		id := idOf(path)
		e.send(path, data[:len(data)-1], 0, 6<<20)
		// As if the last PATCH recorded its bytes and then died: append
		// the last byte the way the store does, without finishing.
		if e.s3 == nil {
			st, _ := e.videos.Upload(ctx, id)
			a := e.originals.(*disk.Store)
			if _, err := a.Append(ctx, reel.OriginalKey(id), st.Offset, bytes.NewReader(data[len(data)-1:])); err != nil {
				t.Fatal(err)
			}
			if err := e.videos.AdvanceUpload(ctx, id, st.Offset, reel.UploadAdvance{Offset: st.Size, ExpiresAt: st.ExpiresAt}); err != nil {
				t.Fatal(err)
			}
		} else {
			e.recordLastPart(id, data)
		}
		if e.jobs(id) != 0 {
			t.Fatal("enqueued already")
		}
		resp, body := e.do("HEAD", path, nil, nil)
		e.expect(resp, body, http.StatusOK)
		if resp.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) || e.jobs(id) != 1 {
			t.Fatalf("HEAD after a lost finish: %v, %d jobs", resp.Header, e.jobs(id))
		}
		if got := e.original(id); !bytes.Equal(got, data) {
			t.Fatal("original differs")
		}
		e.checkOnlyOriginal(id)
	})
}
