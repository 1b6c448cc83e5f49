package main

// The reference programs the benchmarks start as processes of their own,
// as `bench ref NAME FLAGS...` (the bench binary itself, re-executed): a
// process can be pinned to a core and its CPU read from /proc apart from
// the bench's own.
//
//	ref play     reel's /play/ handler alone over an outputs folder
//	ref upload   the least an HTTP server does to receive a multipart upload
//	ref ticker   a Go program that only wakes every 50 ms
//	ref s3put    a local file into S3 by multipart upload, nothing else

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"reel"
	"reel/disk"
	"reel/nginx"
	"reel/web"
)

// runRef runs the reference program called name.
func runRef(name string, args []string) error {
	switch name {
	case "play":
		return refPlay(args)
	case "upload":
		return refUpload(args)
	case "ticker":
		// River v0.51.1's batch completer wakes every 50 ms in every
		// process that works jobs: the floor of an idle worker's CPU.
		t := time.NewTicker(50 * time.Millisecond)
		for range t.C {
		}
	case "s3put":
		return refS3Put(context.Background(), args)
	}
	return fmt.Errorf("no reference called %q", name)
}

// refArgs starts a reference with the bench binary itself.
func refArgs(name string, args ...string) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return append([]string{self, "ref", name}, args...), nil
}

// serveUntilSignal serves h on addr, logs "addr=http://..." once
// listening, and returns on SIGINT or SIGTERM. noSendfile hides the
// connections' ReadFrom (copyListener).
func serveUntilSignal(addr string, h http.Handler, noSendfile bool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if noSendfile {
		ln = copyListener{ln}
	}
	log.Printf("addr=http://%s", ln.Addr())
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		hs.Shutdown(context.Background())
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// unsigned is a reel.Signer that grants everything.
type unsigned struct{}

func (unsigned) Sign(videoID string, expires time.Time) string     { return "unsigned" }
func (unsigned) Verify(token, videoID string, now time.Time) error { return nil }

// refPlay serves reel's own /play/ handler alone over an outputs folder:
// with --signing-key it checks nginx-scheme tokens as `reel serve
// --signing nginx` does; without, its signer accepts every token. The two
// differ only in the check, which is what their ratio prices; reel serve
// adds the rest of the server (logs, metrics, the video's state).
func refPlay(args []string) error {
	fs := flag.NewFlagSet("ref play", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	outputs := fs.String("outputs", "", "outputs folder, as reel's DATA/outputs")
	key := fs.String("signing-key", "", "check nginx-scheme tokens signed with this key (default: accept all)")
	keyID := fs.String("signing-key-id", "", "id of --signing-key")
	noSendfile := fs.Bool("no-sendfile", false, "hide the connections' ReadFrom, so files are copied through a 32 KiB buffer (what reel serve did before its connections kept ReadFrom)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var signer reel.Signer = unsigned{}
	if *key != "" {
		s, err := nginx.New(reel.SigningKey{ID: *keyID, Secret: []byte(*key)})
		if err != nil {
			return err
		}
		signer = s
	}
	store, err := disk.New(*outputs)
	if err != nil {
		return err
	}
	srv := &web.Server{Outputs: store, Signer: signer, AllowOrigin: "*", PlaybackTTL: time.Hour}
	return serveUntilSignal(*addr, srv.Handler(), *noSendfile)
}

// copyListener hands out connections without ReadFrom: net/http then
// copies a response body through a buffer instead of sendfile(2).
type copyListener struct{ net.Listener }

func (l copyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return struct{ net.Conn }{c}, nil
}

// refUpload is the reference of reel's ingest: it streams the part named
// "file" of each multipart body with MultipartReader, NextPart and io.Copy
// into a temp file in --dir, renames it, and answers 201. No database, no
// limits, no checks: whatever reel does beyond this is what the ratio
// prices.
func refUpload(args []string) error {
	fs := flag.NewFlagSet("ref upload", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	dir := fs.String("dir", "", "folder that receives the uploads, on the disk under test")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/videos", func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				http.Error(w, "no part named \"file\"", http.StatusBadRequest)
				return
			}
			if part.FormName() != "file" {
				continue // NextPart skips the rest of this part
			}
			name, n, err := storeUpload(*dir, part)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "{\"id\":%q,\"size\":%d}\n", name, n)
			return
		}
	})
	return serveUntilSignal(*addr, mux, false)
}

// storeUpload copies r into a temp file in dir and renames it, as reel's
// disk store does (no fsync there either).
func storeUpload(dir string, r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", n, err
	}
	name := "upload-" + strings.TrimPrefix(filepath.Base(f.Name()), ".part-")
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		os.Remove(f.Name())
		return "", n, err
	}
	return name, n, nil
}
