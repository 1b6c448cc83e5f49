// Command refserver is the reference that reel's ingest is benchmarked
// against: the least an HTTP server can do to receive a multipart upload
// onto disk. Its handler streams the part named "file" with
// MultipartReader, NextPart and io.Copy into a temp file in --dir, renames
// it, and answers 201. No database, no limits, no checks: whatever reel
// does beyond this is what the benchmark's ratio prices.
//
// Usage:
//
//	refserver --addr 127.0.0.1:0 --dir DIR
//
// It logs "addr=http://HOST:PORT" to stderr once listening, as reel does,
// and stops on SIGINT or SIGTERM.
package main

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
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen `address`")
	dir := flag.String("dir", "", "`folder` that receives the uploads, on the disk under test")
	flag.Parse()
	if *dir == "" {
		log.Fatal("refserver: --dir is required")
	}
	if err := run(*addr, *dir); err != nil {
		log.Fatalf("refserver: %v", err)
	}
}

// run serves uploads into dir on addr until SIGINT or SIGTERM.
func run(addr, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /api/videos", uploadHandler{dir: dir})
	srv := &http.Server{Handler: mux}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	fmt.Fprintf(os.Stderr, "refserver addr=http://%s dir=%s\n", ln.Addr(), dir)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// uploadHandler writes the "file" part of each multipart body to dir.
type uploadHandler struct {
	dir string
}

// ServeHTTP streams the body's "file" part to a temp file, renames it to
// its final name, and answers 201 with that name and the byte count.
func (h uploadHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if part.FormName() != "file" {
			continue // NextPart skips the rest of this part
		}
		name, n, err := h.store(part)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "{\"name\":%q,\"size\":%d}\n", name, n)
		return
	}
	http.Error(w, "no part named \"file\"", http.StatusBadRequest)
}

// store copies r into a temp file in h.dir and renames it, as reel's disk
// store does (no fsync there either). It returns the final name.
func (h uploadHandler) store(r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(h.dir, ".part-*")
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
	if err := os.Rename(f.Name(), filepath.Join(h.dir, name)); err != nil {
		os.Remove(f.Name())
		return "", n, err
	}
	return name, n, nil
}
