package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"reel/api/apitest"
	"reel/mediatest"
)

// keys runs `reel keys args...` on the data dir and returns its output.
// The data dir's database is created first if missing, as reel serve or
// reel migrate would: reel keys never creates one.
func keys(t *testing.T, data string, args ...string) (string, error) {
	t.Helper()
	db := filepath.Join(data, "reel.db")
	if i := slices.Index(args, "--db"); i >= 0 && i+1 < len(args) {
		db = args[i+1]
	}
	if _, err := os.Stat(db); err != nil && !strings.Contains(db, "://") {
		migrate(t, "--db", db)
	}
	var out bytes.Buffer
	cmd := &KeysCommand{Out: &out, Lookup: func(string) (string, bool) { return "", false }}
	err := cmd.Run(context.Background(), append(append(args[:1:1], "--data", data), args[1:]...))
	return out.String(), err
}

// createKey creates a key and returns the secret, the output's last line.
func createKey(t *testing.T, data, name, role string, flags ...string) string {
	t.Helper()
	out, err := keys(t, data, append([]string{"create", "--name", name, "--role", role}, flags...)...)
	if err != nil {
		t.Fatalf("keys create %s: %v", name, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if len(secret) != 43 || strings.ContainsAny(secret, " \t") {
		t.Fatalf("keys create printed %q: the last line is no key", out)
	}
	return secret
}

func TestKeysCommand(t *testing.T) {
	data := t.TempDir()
	a := createKey(t, data, "alice", "uploader")
	b := createKey(t, data, "ci", "admin")
	if a == b {
		t.Fatal("two keys are the same")
	}
	for _, args := range [][]string{
		{"create", "--name", "x", "--role", "root"},
		{"create", "--role", "viewer"},
		{"create", "--name", "alice", "--role", "viewer"}, // a valid key has the name
		{"revoke"},
		{"revoke", "nobody"},
		{"list", "extra"},
		{"rotate"},
	} {
		if out, err := keys(t, data, args...); err == nil {
			t.Errorf("keys %v succeeded: %s", args, out)
		}
	}

	out, err := keys(t, data, "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "LAST USED") || !strings.Contains(out, "alice") || !strings.Contains(out, "uploader") ||
		!strings.Contains(out, "never") || strings.Contains(out, a) {
		t.Errorf("keys list:\n%s", out)
	}
	if out, err := keys(t, data, "revoke", "alice"); err != nil || !strings.Contains(out, "Revoked uploader key") {
		t.Errorf("keys revoke alice: %v %s", err, out)
	}
	if out, err := keys(t, data, "revoke", "alice"); err == nil || !strings.Contains(err.Error(), "revoked already") {
		t.Errorf("revoking alice twice by name: %v %s", err, out)
	}
	out, _ = keys(t, data, "list")
	id := strings.Fields(out[strings.Index(out, "\n")+1:])[0]
	if out, err := keys(t, data, "revoke", id); err == nil || !strings.Contains(err.Error(), "revoked already") {
		t.Errorf("revoking alice twice by id %s: %v %s", id, err, out)
	}
	out, _ = keys(t, data, "list")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "alice") && strings.HasSuffix(strings.TrimSpace(line), "-") {
			t.Errorf("revoked key listed without its revocation time: %q", line)
		}
	}

	// --db puts the database anywhere; the data dir is then not needed.
	// reel keys does not create it: reel migrate (or serve) does.
	db := filepath.Join(t.TempDir(), "elsewhere.db")
	direct := &KeysCommand{Out: io.Discard, Lookup: func(string) (string, bool) { return "", false }}
	if err := direct.Run(context.Background(), []string{"create", "--db", db, "--name", "far", "--role", "viewer"}); err == nil ||
		!strings.Contains(err.Error(), "no reel database at "+db) {
		t.Errorf("keys create on a missing --db: %v", err)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("keys created the missing --db %s", db)
	}
	migrate(t, "--db", "sqlite:"+db)
	if _, err := keys(t, data, "create", "--db", db, "--name", "far", "--role", "viewer"); err != nil {
		t.Fatal(err)
	}
}

// migrate runs reel migrate with args.
func migrate(t *testing.T, args ...string) {
	t.Helper()
	cmd := &MigrateCommand{Out: io.Discard, Lookup: func(string) (string, bool) { return "", false }}
	if err := cmd.Run(context.Background(), args); err != nil {
		t.Fatalf("reel migrate %q: %v", args, err)
	}
}

// TestKeysWithoutDatabase: reel keys run where no database is says so,
// names the flags that point at one, and creates nothing.
func TestKeysWithoutDatabase(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"list"},
		{"create", "--name", "a", "--role", "admin"},
		{"--data", filepath.Join(dir, "nothing"), "revoke", "a"},
	} {
		cmd := &KeysCommand{Out: io.Discard, Lookup: func(string) (string, bool) { return "", false }}
		t.Chdir(dir)
		err := cmd.Run(context.Background(), args)
		if err == nil || !strings.Contains(err.Error(), "no reel database at") || !strings.Contains(err.Error(), "--data") ||
			!strings.Contains(err.Error(), "--db") {
			t.Errorf("keys %q: %v", args, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("keys created %v", entries)
	}
}

// call makes an API request with the key, if any, and decodes JSON into v.
func call(t *testing.T, method, url, key string, body io.Reader, ctype string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := apitest.Client(t, nil).Do(req) // answers checked against the OpenAPI document
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode
}

// TestServeWithKeys runs reel serve with keys: a private upload is
// transcoded and played by its owner, hidden from everyone else, and a
// revoked key stops working at once.
func TestServeWithKeys(t *testing.T) {
	data := t.TempDir()
	uploader := createKey(t, data, "alice", "uploader")
	viewer := createKey(t, data, "watcher", "viewer")
	s := startServerCtx(t, context.Background(), data)

	var session struct{ Open bool }
	if status := call(t, "GET", s.url+"/api/session", "", nil, "", &session); status != 200 || session.Open {
		t.Fatalf("GET /api/session: %d %+v", status, session)
	}
	clip, err := os.ReadFile(mediatest.Path(t, mediatest.Anamorphic))
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartBody(t, "bbb.mp4", [2]string{"visibility", "private"}, [2]string{"file", string(clip)})
	if status := call(t, "POST", s.url+"/api/videos", "", bytes.NewReader(body.Bytes()), ctype, nil); status != 401 {
		t.Errorf("anonymous upload: %d, want 401", status)
	}
	if status := call(t, "POST", s.url+"/api/videos", viewer, bytes.NewReader(body.Bytes()), ctype, nil); status != 403 {
		t.Errorf("viewer upload: %d, want 403", status)
	}
	var v struct {
		ID, Status, Visibility, Owner string
		Playback                      *struct{ URL string }
	}
	if status := call(t, "POST", s.url+"/api/videos", uploader, body, ctype, &v); status != 201 || v.Visibility != "private" || v.Owner == "" {
		t.Fatalf("upload: %d %+v", status, v)
	}

	deadline := time.Now().Add(3 * time.Minute)
	for v.Status != "ready" && v.Status != "failed" && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		call(t, "GET", s.url+"/api/videos/"+v.ID, uploader, nil, "", &v)
	}
	if v.Status != "ready" || v.Playback == nil {
		t.Fatalf("video did not get ready: %+v", v)
	}
	resp, playlist := s.get(v.Playback.URL)
	mustStatus(t, "owner's playback URL", resp, playlist, 200)

	if status := call(t, "GET", s.url+"/api/videos/"+v.ID, "", nil, "", nil); status != 404 {
		t.Errorf("anonymous GET of the private video: %d, want 404", status)
	}
	var list struct{ Videos []any }
	if status := call(t, "GET", s.url+"/api/videos", "", nil, "", &list); status != 200 || len(list.Videos) != 0 {
		t.Errorf("anonymous list: %d, %d videos", status, len(list.Videos))
	}
	if status := call(t, "GET", s.url+"/api/videos/"+v.ID, viewer, nil, "", nil); status != 200 {
		t.Errorf("viewer GET of the private video: %d, want 200", status)
	}
	if status := call(t, "DELETE", s.url+"/api/videos/"+v.ID, viewer, nil, "", nil); status != 403 {
		t.Errorf("viewer DELETE: %d, want 403", status)
	}

	// The server answers 431 to a header over its limit.
	req, _ := http.NewRequest("GET", s.url+"/api/videos", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 128<<10))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 431 {
		t.Errorf("oversized header: %v %v, want 431", resp, err)
	} else {
		resp.Body.Close()
	}

	// Revoking with reel keys while reel serves takes effect at once.
	if _, err := keys(t, data, "revoke", "alice"); err != nil {
		t.Fatal(err)
	}
	if status := call(t, "GET", s.url+"/api/videos/"+v.ID, uploader, nil, "", nil); status != 401 {
		t.Errorf("revoked key: %d, want 401", status)
	}
	if status := call(t, "DELETE", s.url+"/api/videos/"+v.ID, uploader, nil, "", nil); status != 401 {
		t.Errorf("revoked key DELETE: %d, want 401", status)
	}
	if status := call(t, "GET", s.url+"/api/videos/"+v.ID, viewer, nil, "", nil); status != 200 {
		t.Errorf("video after the refused DELETE: %d, want 200", status)
	}
}

// TestServeRefusesPublicAddressWithoutKey: no key, no public listener.
func TestServeRefusesPublicAddressWithoutKey(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	data := t.TempDir()
	run := func() (string, error) {
		cmd := &ServeCommand{Lookup: func(string) (string, bool) { return "", false }}
		if err := cmd.ParseFlags([]string{"--data", data, "--addr", "0.0.0.0:0", "--signing-key", testKey, "--workers", "0", "--log-level", "error"}); err != nil {
			t.Fatal(err)
		}
		ready := make(chan string, 1)
		cmd.Ready = func(addr string) { ready <- addr }
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- cmd.Run(ctx) }()
		select {
		case err := <-done:
			return "", err
		case addr := <-ready:
			cancel()
			return addr, <-done
		case <-time.After(30 * time.Second):
			t.Fatal("reel serve neither started nor failed")
		}
		return "", nil
	}
	_, err := run()
	if err == nil || !strings.Contains(err.Error(), "reel keys create") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("serve on 0.0.0.0 without a key: %v; want a one-line error naming reel keys create", err)
	}
	createKey(t, data, "admin", "admin")
	if addr, err := run(); err != nil || addr == "" {
		t.Errorf("serve on 0.0.0.0 with a key: %q, %v", addr, err)
	}
}
