package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"reel"
	"reel/api"
	"reel/tusclient"
)

// UploadCommand uploads files to a reel server with tus resumable
// uploads, each file once. Each file's upload is kept in a state file
// keyed by server, absolute path, size and modification time: an upload
// cut off (network, ^C, kill -9) continues where the server stopped when
// the same command runs again, and a finished one is not sent again
// unless Again.
type UploadCommand struct {
	Server string
	Key    string
	Title  string
	// Options are sent with every file: codecs, downloads, encryption,
	// visibility and description, each left to the server when not given.
	Options   uploadOptions
	ChunkSize byteSize
	Wait      bool
	Again     bool
	StateDir  string
	// Files are the files and folders named on the command line.
	Files []string

	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Stdout gets the ids and playback URLs, Stderr progress and the
	// summary; nil means os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// PollInterval is the wait between status checks with --wait.
	PollInterval time.Duration
	// Backoff, if set, replaces tusclient.Backoff (tests).
	Backoff func(n int) time.Duration
}

// uploadAbout is the help's description of reel upload.
const uploadAbout = `Uploads videos with tus resumable uploads and prints each one's video id
on stdout; progress and a summary table go to stderr. A folder stands for
the video files in it and its subfolders (by extension: .mp4, .mov, .mkv,
.webm, ...; hidden ones skipped); a file named on its own is sent whatever
its extension. Each video's title is its file name without the extension.
--codecs, --downloads, --encrypt, --visibility and --description choose for
every video what the page's upload form does; not given, the server's
defaults apply.

Each file is uploaded once: finished uploads are remembered by server,
path, size and modification time in --state, and a rerun reports them as
already uploaded (--again uploads them anew). An upload stopped by ^C, a
kill or a lost network continues where the server stopped when the same
command runs again, sending at most one --chunk-size again. When the
server limits requests (429), reel upload waits as long as it asks.
The exit status is 1 only if a file failed.`

// cmdLine returns reel upload's flags, bound to c's fields.
func (c *UploadCommand) cmdLine() *cmdLine {
	cl := newCmdLine("reel upload", "reel upload [flags] FILE|DIR...", uploadAbout)
	fs := cl.FlagSet
	fs.StringVar(&c.Server, "server", "http://127.0.0.1:8080", "reel's base `URL`")
	fs.StringVar(&c.Key, "key", "", "API `key`, sent as Authorization: Bearer")
	fs.StringVar(&c.Title, "title", "", "the video's `title`, for a single file (default: the file name without its extension)")
	fs.StringVar(&c.Options.Codecs, "codecs", "", "video `codecs` of each video's ladder: h264, h264,hevc, h264,av1 or h264,hevc,av1 (default: the server's --codecs)")
	fs.Var(&c.Options.Downloads, "downloads", "make each video's downloads (MP4 and M4A), or with =false none (default: the server's --downloads)")
	fs.BoolVar(&c.Options.Encrypt, "encrypt", false, "encrypt each video's segments with HLS AES-128 (default: the server's --encrypt)")
	fs.StringVar(&c.Options.Visibility, "visibility", "", "each video's `visibility`: public, unlisted or private (default: the server's, unlisted)")
	fs.StringVar(&c.Options.Description, "description", "", "each video's `description` (default: none)")
	c.ChunkSize = tusclient.DefaultChunkSize
	fs.Var(&c.ChunkSize, "chunk-size", "bytes per PATCH request, each checked with its sha256: the most a killed run sends again")
	fs.BoolVar(&c.Wait, "wait", false, "wait until transcoded and print the playback URL")
	fs.BoolVar(&c.Again, "again", false, "upload files again that were uploaded already")
	fs.StringVar(&c.StateDir, "state", "", "`dir` remembering unfinished and finished uploads (default: the user cache dir/reel)")
	return cl
}

// ParseFlags reads flags, then REEL_* variables for flags not given, then
// validates.
func (c *UploadCommand) ParseFlags(args []string) error {
	cl := c.cmdLine()
	fs := cl.FlagSet
	rest, err := cl.parse(args)
	if err != nil {
		return err
	}
	c.Files = rest
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := envDefaults(fs, lookup); err != nil {
		return err
	}
	c.Server = strings.TrimSuffix(c.Server, "/")
	switch {
	case len(c.Files) == 0:
		return &usageError{msg: "reel upload: name at least one file or folder", hint: flagHint("reel upload")}
	case !strings.HasPrefix(c.Server, "http://") && !strings.HasPrefix(c.Server, "https://"):
		return fmt.Errorf("--server %q must start with http:// or https://", c.Server)
	case c.ChunkSize < 1<<10:
		return errors.New("--chunk-size must be at least 1KiB")
	}
	if err := c.Options.check(); err != nil {
		return err
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

// Outcomes of one file, in the summary.
const (
	outcomeUploaded = "uploaded"
	outcomeResumed  = "uploaded (resumed)"
	outcomeAlready  = "already uploaded"
	outcomeFailed   = "failed"
	outcomeStopped  = "stopped (a rerun resumes)"
)

// uploadResult is what became of one file.
type uploadResult struct {
	path    string
	size    int64 // -1 if unknown
	outcome string
	id      string
	err     error
	// transcode is the video's end with --wait: "ready" or the failure.
	transcode string
}

// Run uploads every file, printing each video's id once its upload is
// complete, then with Wait follows each transcode and prints its playback
// URL, then a summary. A file that fails does not stop the others; the
// error counts them.
func (c *UploadCommand) Run(ctx context.Context) error {
	stdout, stderr := c.Stdout, c.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	files, results := expandUploadArgs(c.Files)
	if c.Title != "" && len(files)+len(results) > 1 {
		return &usageError{msg: fmt.Sprintf("reel upload: --title names one video, and %d files are named; without it each video is titled after its file", len(files)+len(results)), hint: flagHint("reel upload")}
	}
	header := http.Header{}
	if c.Key != "" {
		header.Set("Authorization", "Bearer "+c.Key)
	}
	client := &tusclient.Client{Endpoint: c.Server + "/api/uploads/", Header: header}

	for _, r := range results {
		fmt.Fprintf(stderr, "reel: %s: %v\n", r.path, r.err)
	}
	for _, path := range files {
		r := c.upload(ctx, client, path, stderr)
		if ctx.Err() != nil {
			// Interrupted: what was done so far, then how to go on.
			r.outcome, r.err = outcomeStopped, errors.New("stopped")
			printSummary(stderr, append(results, r), false)
			return fmt.Errorf("%s: stopped; run the same command again to resume", path)
		}
		if r.err != nil {
			fmt.Fprintf(stderr, "reel: %s: %v\n", path, r.err)
		} else {
			fmt.Fprintln(stdout, r.id)
		}
		results = append(results, r)
	}
	if c.Wait {
		for i := range results {
			r := &results[i]
			if r.id == "" {
				continue
			}
			url, err := c.waitReady(ctx, header, r.id, stderr)
			if ctx.Err() != nil {
				return fmt.Errorf("stopped waiting for the transcodes: %w", ctx.Err())
			}
			if err != nil {
				fmt.Fprintf(stderr, "reel: video %s: %v\n", r.id, err)
				r.transcode, r.err = "failed", err
				continue
			}
			r.transcode = "ready"
			fmt.Fprintln(stdout, url)
		}
	}
	failed := printSummary(stderr, results, c.Wait)
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(results))
	}
	return nil
}

// printSummary writes a table of what became of each file and returns
// how many failed.
func printSummary(w io.Writer, results []uploadResult, wait bool) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "FILE\tSIZE\tRESULT\tVIDEO"
	if wait {
		head += "\tTRANSCODE"
	}
	fmt.Fprintln(tw, head)
	counts := map[string]int{}
	failed := 0
	for _, r := range results {
		size, id := "-", r.id
		if r.size >= 0 {
			size = fmtSize(r.size)
		}
		if id == "" {
			id = "-"
		}
		outcome := r.outcome
		if r.outcome == outcomeFailed {
			outcome = "failed: " + oneLine(r.err)
		}
		counts[r.outcome]++
		if r.err != nil {
			failed++
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", r.path, size, outcome, id)
		if wait {
			tc := r.transcode
			if tc == "failed" {
				counts["transcode failed"]++
				tc = "failed: " + oneLine(r.err)
			} else if tc == "" {
				tc = "-"
			}
			line += "\t" + tc
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	var parts []string
	for _, o := range []string{outcomeUploaded, outcomeResumed, outcomeAlready, outcomeFailed, outcomeStopped} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	if counts["transcode failed"] > 0 {
		parts = append(parts, fmt.Sprintf("%d failed to transcode", counts["transcode failed"]))
	}
	noun := "files"
	if len(results) == 1 {
		noun = "file"
	}
	fmt.Fprintf(w, "%d %s: %s.\n", len(results), noun, strings.Join(parts, ", "))
	return failed
}

// oneLine keeps an error's message on one line of the table.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// videoTitle is the title a file's video gets by default: its name
// without the extension.
func videoTitle(path string) string {
	base := filepath.Base(path)
	if t := strings.TrimSuffix(base, filepath.Ext(base)); strings.TrimSpace(t) != "" {
		return t
	}
	return base
}

// upload sends one file, resuming a remembered unfinished upload, or
// reports a finished one, and says what became of it.
func (c *UploadCommand) upload(ctx context.Context, client *tusclient.Client, path string, stderr io.Writer) uploadResult {
	res := uploadResult{path: path, size: -1, outcome: outcomeFailed}
	fail := func(err error) uploadResult { res.err = err; return res }
	abs, err := filepath.Abs(path)
	if err != nil {
		return fail(err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return fail(errors.New("not a regular file"))
	}
	res.size = fi.Size()
	statePath := c.stateFile(abs, fi)
	st, err := readState(statePath)
	if err != nil {
		return fail(err)
	}
	if st != nil && !st.FinishedAt.IsZero() {
		if !c.Again {
			res.outcome, res.id = outcomeAlready, st.VideoID
			fmt.Fprintf(stderr, "%s: already uploaded as video %s (--again uploads it anew)\n", path, st.VideoID)
			return res
		}
		st = nil
	}
	bar := newProgressBar(stderr, filepath.Base(abs), fi.Size())
	defer bar.done()
	up := &tusclient.Uploader{Client: client, ChunkSize: int64(c.ChunkSize), Backoff: c.Backoff,
		Progress: bar.set,
		Retrying: func(err error, wait time.Duration) {
			bar.note(fmt.Sprintf("%v; retrying in %v", err, wait.Round(time.Millisecond)))
		}}
	done := func(outcome string) uploadResult {
		st.VideoID, st.FinishedAt = videoID(st.UploadURL), time.Now().UTC()
		if err := writeState(statePath, st); err != nil {
			bar.note(fmt.Sprintf("cannot remember the finished upload (a rerun would send it again): %v", err))
		}
		res.outcome, res.id = outcome, st.VideoID
		return res
	}

	if st != nil {
		bar.note("resuming " + st.UploadURL)
		err := up.Resume(ctx, st.UploadURL, f, fi.Size())
		if err == nil {
			return done(outcomeResumed)
		}
		if !errors.Is(err, tusclient.ErrGone) {
			return fail(err)
		}
		bar.note("the server no longer has the unfinished upload: starting again")
		os.Remove(statePath)
	}

	title := c.Title
	if title == "" {
		title = videoTitle(abs)
	}
	meta := map[string]string{"filename": filepath.Base(abs), "filetype": contentType(abs), "title": title}
	c.Options.metadata(meta)
	loc, err := up.Create(ctx, fi.Size(), meta)
	if err != nil {
		return fail(err)
	}
	st = &uploadState{Server: c.Server, Path: abs, Size: fi.Size(), ModTime: fi.ModTime(), UploadURL: loc, CreatedAt: time.Now().UTC()}
	if err := writeState(statePath, st); err != nil {
		// Uploading still works; only resuming after a kill would not.
		bar.note(fmt.Sprintf("cannot remember the upload for resuming: %v", err))
	}
	if err := up.Resume(ctx, loc, f, fi.Size()); err != nil {
		return fail(err)
	}
	return done(outcomeUploaded)
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
