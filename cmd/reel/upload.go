package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"reel"
	"reel/api"
	"reel/tusclient"
)

// UploadCommand uploads files to a reel server with tus resumable
// uploads. An upload cut off (network, ^C, kill -9) continues where the
// server stopped when the same command runs again: each file's upload URL
// is kept in a state file keyed by server, absolute path, size and
// modification time.
type UploadCommand struct {
	Server    string
	Key       string
	Title     string
	ChunkSize byteSize
	Wait      bool
	StateDir  string
	Files     []string

	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Stdout gets the ids and playback URLs, Stderr progress; nil means
	// os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// PollInterval is the wait between status checks with --wait.
	PollInterval time.Duration
	// Backoff, if set, replaces tusclient.Backoff (tests).
	Backoff func(n int) time.Duration
}

// ParseFlags reads flags, then REEL_SERVER and REEL_API_KEY for flags not
// given, then validates.
func (c *UploadCommand) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("reel upload", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: reel upload [flags] FILE...\n\nUploads videos (resumable: run it again to continue) and prints their ids.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Server, "server", "http://127.0.0.1:8080", "reel's base `URL` (env REEL_SERVER)")
	fs.StringVar(&c.Key, "key", "", "API `key`, sent as Authorization: Bearer (env REEL_API_KEY)")
	fs.StringVar(&c.Title, "title", "", "title of the video(s) (default: the file name)")
	c.ChunkSize = 64 << 20
	fs.Var(&c.ChunkSize, "chunk-size", "bytes per PATCH request, each checked with its sha256")
	fs.BoolVar(&c.Wait, "wait", false, "wait until transcoded and print the playback URL")
	fs.StringVar(&c.StateDir, "state", "", "`dir` remembering unfinished uploads (default: the user cache dir/reel)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Files = fs.Args()
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if v, ok := lookup("REEL_SERVER"); ok && !given["server"] {
		c.Server = v
	}
	if v, ok := lookup("REEL_API_KEY"); ok && !given["key"] {
		c.Key = v
	}
	c.Server = strings.TrimSuffix(c.Server, "/")
	switch {
	case len(c.Files) == 0:
		return errors.New("reel upload: name at least one file")
	case !strings.HasPrefix(c.Server, "http://") && !strings.HasPrefix(c.Server, "https://"):
		return fmt.Errorf("--server %q must start with http:// or https://", c.Server)
	case c.ChunkSize < 1<<10:
		return errors.New("--chunk-size must be at least 1KiB")
	}
	if c.StateDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no cache dir for the upload state (%v): pass --state", err)
		}
		c.StateDir = filepath.Join(dir, "reel")
	}
	return nil
}

// Run uploads every file, printing each video's id once its upload is
// complete, then with Wait follows each transcode and prints its playback
// URL. A file that fails does not stop the others; the error names them.
func (c *UploadCommand) Run(ctx context.Context) error {
	stdout, stderr := c.Stdout, c.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	header := http.Header{}
	if c.Key != "" {
		header.Set("Authorization", "Bearer "+c.Key)
	}
	client := &tusclient.Client{Endpoint: c.Server + "/api/uploads/", Header: header}

	var ids []string
	var failed []string
	for _, path := range c.Files {
		id, err := c.upload(ctx, client, path, stderr)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: stopped; run the same command again to resume", path)
		}
		if err != nil {
			fmt.Fprintf(stderr, "reel: %s: %v\n", path, err)
			failed = append(failed, path)
			continue
		}
		fmt.Fprintln(stdout, id)
		ids = append(ids, id)
	}
	if c.Wait {
		for _, id := range ids {
			url, err := c.waitReady(ctx, header, id, stderr)
			if err != nil {
				fmt.Fprintf(stderr, "reel: video %s: %v\n", id, err)
				failed = append(failed, id)
				continue
			}
			fmt.Fprintln(stdout, url)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// uploadState is what the state file remembers of one unfinished upload.
type uploadState struct {
	Server    string    `json:"server"`
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	ModTime   time.Time `json:"mtime"`
	UploadURL string    `json:"upload_url"`
	CreatedAt time.Time `json:"created_at"`
}

// stateFile names the state file of a file as it is now: a changed file
// (size or mtime) or another server starts a new upload.
func (c *UploadCommand) stateFile(abs string, fi os.FileInfo) string {
	key := fmt.Sprintf("%s\n%s\n%d\n%d", c.Server, abs, fi.Size(), fi.ModTime().UnixNano())
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.StateDir, "upload-"+hex.EncodeToString(sum[:12])+".json")
}

func readState(path string) (*uploadState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var st uploadState
	if err := json.Unmarshal(b, &st); err != nil || st.UploadURL == "" {
		return nil, nil // a torn or foreign file: start over
	}
	return &st, nil
}

// writeState writes st atomically: a crash leaves the old file or the new.
func writeState(path string, st *uploadState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// upload sends one file, resuming a remembered upload, and returns the
// video's id.
func (c *UploadCommand) upload(ctx context.Context, client *tusclient.Client, path string, stderr io.Writer) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", errors.New("not a regular file")
	}
	statePath := c.stateFile(abs, fi)
	st, err := readState(statePath)
	if err != nil {
		return "", err
	}
	bar := newProgressBar(stderr, filepath.Base(abs), fi.Size())
	defer bar.done()
	up := &tusclient.Uploader{Client: client, ChunkSize: int64(c.ChunkSize), Backoff: c.Backoff,
		Progress: bar.set,
		Retrying: func(err error, wait time.Duration) {
			bar.note(fmt.Sprintf("%v; retrying in %v", err, wait.Round(time.Millisecond)))
		}}

	if st != nil {
		bar.note("resuming " + st.UploadURL)
		err := up.Resume(ctx, st.UploadURL, f, fi.Size())
		if err == nil {
			os.Remove(statePath)
			return videoID(st.UploadURL), nil
		}
		if !errors.Is(err, tusclient.ErrGone) {
			return "", err
		}
		bar.note("the server no longer has the unfinished upload: starting again")
		os.Remove(statePath)
	}

	meta := map[string]string{"filename": filepath.Base(abs), "filetype": contentType(abs)}
	if c.Title != "" {
		meta["title"] = c.Title
	}
	loc, err := client.Create(ctx, fi.Size(), meta)
	if err != nil {
		return "", err
	}
	st = &uploadState{Server: c.Server, Path: abs, Size: fi.Size(), ModTime: fi.ModTime(), UploadURL: loc, CreatedAt: time.Now().UTC()}
	if err := writeState(statePath, st); err != nil {
		// Uploading still works; only resuming after a kill would not.
		bar.note(fmt.Sprintf("cannot remember the upload for resuming: %v", err))
	}
	if err := up.Resume(ctx, loc, f, fi.Size()); err != nil {
		return "", err
	}
	os.Remove(statePath)
	return videoID(loc), nil
}

// videoID is the last path element of an upload URL: reel's upload id is
// the video's id.
func videoID(uploadURL string) string {
	return uploadURL[strings.LastIndex(strings.TrimSuffix(uploadURL, "/"), "/")+1:]
}

// contentType guesses the file's type from its extension.
func contentType(path string) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(path))); t != "" {
		return t
	}
	return "application/octet-stream"
}

// waitReady polls the video until it is ready and returns its playback
// URL, or its error once it failed.
func (c *UploadCommand) waitReady(ctx context.Context, header http.Header, id string, stderr io.Writer) (string, error) {
	poll := c.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	last := ""
	failures := 0
	for {
		var v api.Video
		err := getJSON(ctx, c.Server+"/api/videos/"+id, header, &v)
		switch {
		case ctx.Err() != nil:
			return "", ctx.Err()
		case err != nil:
			// The server may be restarting: keep asking for a while, but
			// not about a video it does not have or will not show.
			var se *httpError
			if errors.As(err, &se) && se.status < 500 {
				return "", err
			}
			if failures++; failures > 30 {
				return "", err
			}
		case v.Status == reel.StatusReady && v.Playback != nil:
			fmt.Fprintf(stderr, "%s: ready\n", id)
			return v.Playback.URL, nil
		case v.Status == reel.StatusFailed:
			return "", fmt.Errorf("transcoding failed: %s", v.Error)
		default:
			failures = 0
			line := string(v.Status)
			if v.Status == reel.StatusProcessing {
				line = fmt.Sprintf("processing %d %%", int(v.Progress*100))
			}
			if line != last {
				fmt.Fprintf(stderr, "%s: %s\n", id, line)
				last = line
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(poll):
		}
	}
}

func getJSON(ctx context.Context, url string, header http.Header, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorResponse
		json.Unmarshal(body, &e)
		return &httpError{url: url, status: resp.StatusCode, msg: e.Error.Message}
	}
	return json.Unmarshal(body, v)
}

// httpError is an API answer other than 200, with reel's error message.
type httpError struct {
	url    string
	status int
	msg    string
}

func (e *httpError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("GET %s: %d %s", e.url, e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("GET %s: %d: %s", e.url, e.status, e.msg)
}

// progressBar draws an upload's progress on stderr: bytes, speed over the
// last seconds, ETA. On a terminal it redraws one line; otherwise it
// writes a line every few seconds, for logs.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	tty   bool
	now   func() time.Time

	mu       sync.Mutex
	cur      int64
	samples  []sample // recent (time, offset), for the speed
	drawn    time.Time
	drawnOff int64
	started  bool
}

type sample struct {
	t   time.Time
	off int64
}

func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progressBar{w: w, name: name, total: total, tty: tty, now: time.Now}
}

// set records that off bytes are uploaded; it may go back after a retry.
func (b *progressBar) set(off int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if off < b.cur {
		b.samples = nil // the speed of lost bytes means nothing
	}
	b.cur = off
	b.samples = append(b.samples, sample{now, off})
	for len(b.samples) > 2 && now.Sub(b.samples[0].t) > 5*time.Second {
		b.samples = b.samples[1:]
	}
	every := 5 * time.Second
	if b.tty {
		every = 200 * time.Millisecond
	}
	if !b.started || now.Sub(b.drawn) >= every || off == b.total && b.drawnOff != off {
		b.draw(now)
	}
}

// speed is bytes per second over the recent samples.
func (b *progressBar) speed() float64 {
	if len(b.samples) < 2 {
		return 0
	}
	first, last := b.samples[0], b.samples[len(b.samples)-1]
	if d := last.t.Sub(first.t).Seconds(); d > 0 {
		return float64(last.off-first.off) / d
	}
	return 0
}

func (b *progressBar) line() string {
	pct := 100.0
	if b.total > 0 {
		pct = float64(b.cur) * 100 / float64(b.total)
	}
	const width = 24
	fill := int(pct / 100 * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	speed := b.speed()
	eta := "--:--"
	if speed > 0 {
		eta = fmtETA(time.Duration(float64(b.total-b.cur) / speed * float64(time.Second)))
	}
	return fmt.Sprintf("%s %5.1f%% [%s] %s / %s  %s/s  ETA %s",
		b.name, pct, bar, fmtSize(b.cur), fmtSize(b.total), fmtSize(int64(speed)), eta)
}

func (b *progressBar) draw(now time.Time) {
	b.started, b.drawn, b.drawnOff = true, now, b.cur
	if b.tty {
		fmt.Fprintf(b.w, "\r%s\x1b[K", b.line())
	} else {
		fmt.Fprintln(b.w, b.line())
	}
}

// note prints a message above the bar.
func (b *progressBar) note(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty {
		fmt.Fprintf(b.w, "\r\x1b[K%s: %s\n", b.name, msg)
		if b.started {
			fmt.Fprintf(b.w, "%s\x1b[K", b.line())
		}
		return
	}
	fmt.Fprintf(b.w, "%s: %s\n", b.name, msg)
}

// done ends the bar's line.
func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.started {
		fmt.Fprintln(b.w)
	}
}

func fmtSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

func fmtETA(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
