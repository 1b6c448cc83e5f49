package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reel"
	"reel/mediatest"
	"reel/nginx"
)

// requireNginxEnv makes a missing nginx fail the test instead of skipping
// it (make test sets it).
const requireNginxEnv = "REEL_REQUIRE_NGINX"

// TestNginxEdge puts Debian's nginx, configured from docs/nginx.conf, in
// front of reel --signing nginx: signed URLs play through it, bad ones are
// refused by nginx itself, and segments come from its cache.
func TestNginxEdge(t *testing.T) {
	bin := nginxBinary(t)
	const oldSecret = "old-nginx-secret-0123456789abcdefghij"
	s := startServer(t, "--signing", "nginx", "--signing-key-id", "k2", "--signing-old-keys", "k1="+oldSecret)

	// A counting reverse proxy between nginx and reel sees every request
	// that reaches reel.
	target, _ := url.Parse(s.url)
	var reached atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		rp.ServeHTTP(w, r)
	}))
	defer counter.Close()
	edge := startNginx(t, bin, counter.Listener.Addr().String(), map[string]string{"k2": testKey, "k1": oldSecret})

	status, v, e := s.upload(mediatest.Path(t, mediatest.AudioFirst), "edge")
	if status != http.StatusAccepted && status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	v = s.waitFinal(v.ID, 4*time.Minute)
	if v.Status != "ready" || v.Playback == nil {
		t.Fatalf("video not ready: %+v", v)
	}
	direct := strings.TrimSuffix(v.Playback.URL, reel.MasterPlaylist)
	via := edge + strings.TrimPrefix(direct, s.url) // same path through nginx

	// master → variant → init and every segment, through nginx, byte for
	// byte what reel serves.
	resp, master := s.get(via + reel.MasterPlaylist)
	mustStatus(t, "master via nginx", resp, master, http.StatusOK)
	variants, _ := uris(string(master))
	if len(variants) == 0 {
		t.Fatalf("no variants in\n%s", master)
	}
	vdir := variants[0][:strings.LastIndexByte(variants[0], '/')+1]
	resp, media := s.get(via + variants[0])
	mustStatus(t, "variant via nginx", resp, media, http.StatusOK)
	segments, initURI := uris(string(media))
	if initURI == "" || len(segments) == 0 {
		t.Fatalf("media playlist without init or segments:\n%s", media)
	}
	for _, f := range append([]string{initURI}, segments...) {
		resp, body := s.get(via + vdir + f)
		mustStatus(t, "via nginx "+f, resp, body, http.StatusOK)
		_, want := s.get(direct + vdir + f)
		if !bytes.Equal(body, want) {
			t.Errorf("%s via nginx: %d bytes differ from reel's %d", f, len(body), len(want))
		}
	}

	// A Range request is answered 206 with the right bytes, from the cache.
	seg := via + vdir + segments[0]
	_, whole := s.get(direct + vdir + segments[0])
	resp, part := s.get(seg, "Range", "bytes=100-1123")
	mustStatus(t, "range via nginx", resp, part, http.StatusPartialContent)
	if !bytes.Equal(part, whole[100:1124]) {
		t.Errorf("range via nginx: wrong bytes (%d)", len(part))
	}
	// The second fetch of a segment is a cache hit.
	resp, _ = s.get(seg)
	if got := resp.Header.Get("X-Cache-Status"); got != "HIT" {
		t.Errorf("second fetch of a segment: X-Cache-Status %q, want HIT", got)
	}

	// Refused by nginx itself: reel sees none of these.
	tok := strings.Split(strings.TrimPrefix(direct, s.url+"/play/"), "/")[0]
	bad := map[string]string{}
	const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, i := range []int{3, 10, 24} { // in the hash; 24 is its last character
		// Flip the character's top bit: the last character of a 16-byte
		// hash carries 4 spare bits that nginx's decoder ignores, so
		// changing only those would spell the same hash.
		c := b64url[strings.IndexByte(b64url, tok[i])^0x20]
		bad[fmt.Sprintf("hash byte %d", i)] = tok[:i] + string(c) + tok[i+1:]
	}
	bad["unknown key id"] = "k9" + strings.TrimPrefix(tok, "k2")
	bad["other expiry"] = tok[:strings.IndexByte(tok, ',')] + ",4102444800"
	oldSigner, err := nginx.New(reel.SigningKey{ID: "k1", Secret: []byte(oldSecret)})
	if err != nil {
		t.Fatal(err)
	}
	expired := oldSigner.Sign(v.ID, time.Now().Add(-time.Minute))
	before := reached.Load()
	if before == 0 {
		t.Fatal("reel saw no request: the counting proxy is not between nginx and reel")
	}
	for name, b := range bad {
		resp, body := s.get(edge + "/play/" + b + "/" + v.ID + "/" + vdir + segments[0])
		mustStatus(t, name, resp, body, http.StatusForbidden)
	}
	resp, body := s.get(edge + "/play/" + expired + "/" + v.ID + "/" + reel.MasterPlaylist)
	mustStatus(t, "expired", resp, body, http.StatusGone)
	if n := reached.Load() - before; n != 0 {
		t.Errorf("refused links: reel saw %d requests, want none", n)
	}

	// A link signed with the old key before a rotation still plays.
	old := oldSigner.Sign(v.ID, time.Now().Add(time.Hour))
	resp, body = s.get(edge + "/play/" + old + "/" + v.ID + "/" + reel.MasterPlaylist)
	mustStatus(t, "old key via nginx", resp, body, http.StatusOK)
	resp, body = s.get(s.url + "/play/" + old + "/" + v.ID + "/" + reel.MasterPlaylist)
	mustStatus(t, "old key at reel", resp, body, http.StatusOK)
}

// nginxBinary finds nginx, or skips the test if it is missing and not
// required.
func nginxBinary(t *testing.T) string {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/nginx"); e == nil {
			return "/usr/sbin/nginx" // PATH of non-root users lacks sbin
		}
		if os.Getenv(requireNginxEnv) != "" {
			t.Fatalf("nginx not installed and %s is set (Debian: apt-get install nginx; make test-deps)", requireNginxEnv)
		}
		t.Skipf("nginx not installed (Debian: apt-get install nginx; make test-deps installs it); set %s=1 to fail instead", requireNginxEnv)
	}
	return bin
}

// startNginx runs nginx as the current user on a free port with
// docs/nginx.conf, proxying to upstream, until the test ends. It returns
// its base URL.
func startNginx(t *testing.T, bin, upstream string, secrets map[string]string) string {
	t.Helper()
	conf, err := os.ReadFile("../../docs/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nginx binds it next; a race with another test is unlikely
	prefix := t.TempDir()
	// The map gets one line per key, in place of the placeholder's.
	var keys []string
	for id, secret := range secrets {
		keys = append(keys, fmt.Sprintf("%s %q;", id, secret))
	}
	text := strings.NewReplacer(
		`@KEY_ID@ "@SECRET@";`, strings.Join(keys, "\n        "),
		"@LISTEN@", addr,
		"@UPSTREAM@", upstream,
		"@CACHE_DIR@", prefix,
	).Replace(string(conf))
	return runNginx(t, bin, prefix, addr, text)
}

// runNginx runs nginx as the current user with the config text, under
// prefix, until the test ends, and returns its base URL once it accepts
// connections on addr.
func runNginx(t *testing.T, bin, prefix, addr, text string) string {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); !strings.HasPrefix(l, "#") && strings.Contains(l, "@") {
			t.Fatalf("placeholder left in the generated config: %s", l)
		}
	}
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	global := "daemon off; pid " + filepath.Join(prefix, "nginx.pid") + "; error_log stderr;"
	if os.Getuid() == 0 {
		// As root, workers would drop to nobody, who cannot enter t.TempDir().
		if u, err := user.Current(); err == nil {
			global += " user " + u.Username + ";"
		}
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-p", prefix, "-e", "stderr", "-c", confPath, "-g", global)
	cmd.Stderr = &stderr
	cmd.SysProcAttr = dieWithTest
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx stderr:\n%s", stderr.String())
		}
	})
	// Ready when it accepts connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("nginx exited: %v\n%s", err, stderr.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s:\n%s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
