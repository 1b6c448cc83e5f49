// Command playref serves reel's own /play/ handler alone over an outputs
// directory, for bench/play.sh to price signing: with --signing-key it
// checks nginx-scheme tokens as reel serve --signing nginx does; without,
// its signer accepts every token. The two differ only in the check, which
// is what their ratio measures; reel serve adds the rest of the server.
//
// Usage:
//
//	playref --addr 127.0.0.1:0 --outputs DIR [--signing-key KEY --signing-key-id ID]
//
// It logs "addr=http://HOST:PORT" to stderr once listening and stops on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"reel"
	"reel/disk"
	"reel/nginx"
	"reel/web"
)

// unsigned is a reel.Signer that grants everything.
type unsigned struct{}

func (unsigned) Sign(videoID string, expires time.Time) string     { return "unsigned" }
func (unsigned) Verify(token, videoID string, now time.Time) error { return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	outputs := flag.String("outputs", "", "outputs directory, as reel's DATA/outputs")
	key := flag.String("signing-key", "", "check nginx-scheme tokens signed with this key (default: accept all)")
	keyID := flag.String("signing-key-id", "", "id of --signing-key")
	flag.Parse()
	var signer reel.Signer = unsigned{}
	if *key != "" {
		s, err := nginx.New(reel.SigningKey{ID: *keyID, Secret: []byte(*key)})
		if err != nil {
			log.Fatal(err)
		}
		signer = s
	}
	store, err := disk.New(*outputs)
	if err != nil {
		log.Fatal(err)
	}
	srv := &web.Server{Outputs: store, Signer: signer, AllowOrigin: "*", PlaybackTTL: time.Hour}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("addr=http://%s", ln.Addr())
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		hs.Shutdown(context.Background())
	}()
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
