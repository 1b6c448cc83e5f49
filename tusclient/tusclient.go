// Package tusclient uploads files to a tus 1.0 server
// (https://tus.io/protocols/resumable-upload): it creates an upload with
// POST, asks for its offset with HEAD and sends the bytes with PATCH, one
// chunk per request, each with an Upload-Checksum (sha256) so that the
// server stores only chunks that arrived whole. Uploader.Resume retries
// after network errors and 5xx answers with backoff, and after 429 when
// the server's Retry-After says, always from the offset the server
// reports, never from what the client believes it sent.
package tusclient

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"reel/api"
)

// Version is the tus protocol version spoken, sent as Tus-Resumable.
const Version = "1.0.0"

// StatusChecksumMismatch is tus's status for a chunk whose checksum does
// not match the bytes received.
const StatusChecksumMismatch = 460

// ErrGone means the server has no such upload (404 or 410): it expired or
// was terminated, and the file must be uploaded again from the start.
var ErrGone = errors.New("upload not found on the server (expired or removed)")

// StatusError is an answer the protocol does not expect.
type StatusError struct {
	Method string
	URL    string
	Status int
	Body   string // the start of the body, for the message
	// RetryAfter is the wait the server asked for with Retry-After (429,
	// 503), 0 if none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Client sends tus requests to one server.
type Client struct {
	// Endpoint is the creation URL, such as http://127.0.0.1:8080/api/uploads/.
	Endpoint string
	// Header is added to every request (such as Authorization).
	Header http.Header
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client
}

func (c *Client) do(ctx context.Context, method, target string, body io.Reader, n int64, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = n
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Tus-Resumable", Version)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(req)
}

// statusError reads the start of resp's body into a StatusError.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		if resp.Request.Method != http.MethodPost {
			return fmt.Errorf("%s %s: %w", resp.Request.Method, resp.Request.URL, ErrGone)
		}
	}
	body := strings.TrimSpace(string(b))
	// reel answers {"error": {"message": ...}}: keep only the sentence.
	var e api.ErrorResponse
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		body = e.Error.Message
	}
	return &StatusError{Method: resp.Request.Method, URL: resp.Request.URL.String(), Status: resp.StatusCode, Body: body,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

// EncodeMetadata spells metadata as the Upload-Metadata header wants it:
// "key base64(value)" pairs separated by commas, keys sorted.
func EncodeMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + " " + base64.StdEncoding.EncodeToString([]byte(meta[k]))
	}
	return strings.Join(pairs, ",")
}

// Create creates an upload of size bytes and returns its absolute URL.
func (c *Client) Create(ctx context.Context, size int64, meta map[string]string) (string, error) {
	h := http.Header{}
	h.Set("Upload-Length", strconv.FormatInt(size, 10))
	if len(meta) > 0 {
		h.Set("Upload-Metadata", EncodeMetadata(meta))
	}
	resp, err := c.do(ctx, http.MethodPost, c.Endpoint, nil, 0, h)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", statusError(resp)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("POST %s: 201 without a Location", c.Endpoint)
	}
	// Location may be relative to the endpoint (reel sends /api/uploads/<id>).
	base, err := url.Parse(c.Endpoint)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("POST %s: bad Location %q", c.Endpoint, loc)
	}
	return base.ResolveReference(ref).String(), nil
}

// Offset asks the server how many bytes of the upload it holds, and the
// upload's length (-1 if the server did not say).
func (c *Client) Offset(ctx context.Context, uploadURL string) (offset, length int64, err error) {
	resp, err := c.do(ctx, http.MethodHead, uploadURL, nil, 0, nil)
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return 0, 0, statusError(resp)
	}
	resp.Body.Close()
	offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		return 0, 0, fmt.Errorf("HEAD %s: bad Upload-Offset %q", uploadURL, resp.Header.Get("Upload-Offset"))
	}
	length = -1
	if l := resp.Header.Get("Upload-Length"); l != "" {
		if length, err = strconv.ParseInt(l, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("HEAD %s: bad Upload-Length %q", uploadURL, l)
		}
	}
	return offset, length, nil
}

// Patch sends the n bytes of src at offset as one PATCH with their sha256
// checksum and returns the server's new offset. sent, if not nil, is called
// with the bytes of this chunk sent so far, as they go.
func (c *Client) Patch(ctx context.Context, uploadURL string, src io.ReaderAt, offset, n int64, sent func(int64)) (int64, error) {
	// Hash first, then send: the chunk is read twice (the second time from
	// the page cache) instead of held in memory.
	sum := sha256.New()
	if _, err := io.Copy(sum, io.NewSectionReader(src, offset, n)); err != nil {
		return 0, fmt.Errorf("read the file: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/offset+octet-stream")
	h.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	h.Set("Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum.Sum(nil)))
	var body io.Reader = io.NewSectionReader(src, offset, n)
	if sent != nil {
		body = &countingReader{r: body, fn: sent}
	}
	resp, err := c.do(ctx, http.MethodPatch, uploadURL, body, n, h)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return 0, statusError(resp)
	}
	resp.Body.Close()
	next, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || next < offset {
		return 0, fmt.Errorf("PATCH %s: bad Upload-Offset %q", uploadURL, resp.Header.Get("Upload-Offset"))
	}
	return next, nil
}

// Terminate deletes the upload and what the server holds of it.
func (c *Client) Terminate(ctx context.Context, uploadURL string) error {
	resp, err := c.do(ctx, http.MethodDelete, uploadURL, nil, 0, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	resp.Body.Close()
	return nil
}

// countingReader reports the running total of bytes read.
type countingReader struct {
	r  io.Reader
	n  int64
	fn func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.fn(c.n)
	}
	return n, err
}
