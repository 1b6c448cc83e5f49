package web

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/api/apitest"
	"reel/disk"
	"reel/sqlstore"
	"reel/token"
)

var authNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// authEnv is a server with access control on a real SQLite store and disk
// stores, the keys admin, alice and bob (uploaders), viewer and old
// (revoked), and the videos of alice and bob in every visibility.
type authEnv struct {
	t         *testing.T
	s         *Server
	ts        *httptest.Server
	client    *http.Client // checks every answer against the OpenAPI document
	store     *sqlstore.Store
	originals reel.BlobStore
	secret    map[string]string // key name → secret
	keyID     map[string]string // key name → id
	video     map[string]string // "alice-private" → video id

	mu  sync.Mutex
	now time.Time
}

// noJobs cancels nothing: the videos of these tests have no job.
type noJobs struct{}

func (noJobs) Cancel(context.Context, int64) error { return nil }

// newAuthEnv builds the server; each option may change it (its stores,
// its tus endpoint) before its handler is made.
func newAuthEnv(t *testing.T, access AccessConfig, options ...func(*authEnv)) *authEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := sqlstore.New(db, func(context.Context, *sql.Tx, string) (int64, error) { return 1, nil })
	originals, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.New(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &authEnv{t: t, store: store, originals: originals, now: authNow,
		secret: map[string]string{}, keyID: map[string]string{}, video: map[string]string{}}
	access.Keys, access.Sessions = store, store
	e.s = &Server{
		Videos: store, Originals: originals, Outputs: outputs, Signer: signer, Jobs: noJobs{},
		MaxUploadSize: 1 << 20, AllowOrigin: "*", PlaybackTTL: time.Hour, Access: access,
		Logger: slog.New(slog.DiscardHandler), Now: e.clock,
	}
	for _, o := range options {
		o(e)
	}
	e.ts = httptest.NewUnstartedServer(e.s.Handler())
	e.ts.Listener = LimitListener(e.ts.Listener, access.MaxConnsPerIP, access.TrustedProxies)
	e.ts.Config.MaxHeaderBytes = 64 << 10 // as reel serve
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	e.client = apitest.Client(t, e.ts.Client())
	return e
}

func (e *authEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *authEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// addKey creates a key; revoked ones are revoked at once.
func (e *authEnv) addKey(name string, role reel.Role, revoked bool) {
	e.t.Helper()
	ctx := context.Background()
	secret := reel.NewSecret()
	k := &reel.Key{Name: name, Role: role}
	if err := e.store.CreateKey(ctx, k, reel.HashSecret(secret)); err != nil {
		e.t.Fatal(err)
	}
	if revoked {
		if _, err := e.store.RevokeKey(ctx, k.ID, authNow); err != nil {
			e.t.Fatal(err)
		}
	}
	e.secret[name], e.keyID[name] = secret, k.ID
}

// addVideo stores a ready video of the key named owner ("" for none).
func (e *authEnv) addVideo(owner string, vis reel.Visibility) string {
	e.t.Helper()
	ctx := context.Background()
	id := reel.NewID()
	if _, err := e.originals.Put(ctx, reel.OriginalKey(id), strings.NewReader("original")); err != nil {
		e.t.Fatal(err)
	}
	v := &reel.Video{ID: id, Title: owner + " " + string(vis), Status: reel.StatusReady, OriginalKey: reel.OriginalKey(id),
		Owner: e.keyID[owner], Visibility: vis, Size: 8}
	if err := e.store.CreateVideo(ctx, v); err != nil {
		e.t.Fatal(err)
	}
	e.video[owner+"-"+string(vis)] = id
	return id
}

// populate adds the usual keys and videos.
func (e *authEnv) populate() *authEnv {
	e.addKey("admin", reel.RoleAdmin, false)
	e.addKey("alice", reel.RoleUploader, false)
	e.addKey("bob", reel.RoleUploader, false)
	e.addKey("viewer", reel.RoleViewer, false)
	e.addKey("old", reel.RoleAdmin, true)
	for _, owner := range []string{"alice", "bob"} {
		for _, vis := range []reel.Visibility{reel.VisibilityPublic, reel.VisibilityUnlisted, reel.VisibilityPrivate} {
			e.addVideo(owner, vis)
		}
	}
	return e
}

// req is one request of a test.
type req struct {
	method, path string
	body         io.Reader
	header       map[string]string
	key          string // name of the key to send as bearer
	cookie       string // session cookie value
}

// do sends the request and returns the status, headers and body.
func (e *authEnv) do(r req) (int, http.Header, []byte) {
	e.t.Helper()
	hr, err := http.NewRequest(r.method, e.ts.URL+r.path, r.body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.key != "" {
		hr.Header.Set("Authorization", "Bearer "+e.secret[r.key])
	}
	if r.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.cookie})
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// signIn trades the named key for a session cookie.
func (e *authEnv) signIn(name string) *http.Cookie {
	e.t.Helper()
	status, h, b := e.do(req{method: "POST", path: "/api/session", body: strings.NewReader(`{"key": "` + e.secret[name] + `"}`)})
	if status != http.StatusCreated {
		e.t.Fatalf("sign in as %s: %d %s", name, status, b)
	}
	resp := http.Response{Header: h}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	e.t.Fatalf("sign in as %s: no cookie in %v", name, h)
	return nil
}

// uploadBody is a multipart upload of a small file with the fields.
func uploadBody(t *testing.T, fields map[string]string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "clip.mp4")
	fw.Write([]byte("not really a video, but bytes"))
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestOpenMode(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	id := e.addVideo("", reel.VisibilityPrivate)

	status, _, b := e.do(req{method: "GET", path: "/api/session"})
	if s := decode[api.Session](t, b); status != 200 || !s.Open || s.Role != reel.RoleAdmin {
		t.Errorf("GET /api/session in open mode: %d %s", status, b)
	}
	// Everyone acts as admin: private videos show, deleting works...
	if status, _, b := e.do(req{method: "GET", path: "/api/videos/" + id}); status != 200 {
		t.Errorf("GET private video in open mode: %d %s", status, b)
	}
	body, ctype := uploadBody(t, map[string]string{"visibility": "public"})
	status, _, b = e.do(req{method: "POST", path: "/api/videos", body: body, header: map[string]string{"Content-Type": ctype}})
	if v := decode[api.Video](t, b); status != 201 || v.Owner != "" || v.Visibility != reel.VisibilityPublic {
		t.Errorf("upload in open mode: %d %s", status, b)
	}
	// ...but never for another site's page in the browser.
	cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/videos/" + id, header: cross}); status != 403 {
		t.Errorf("cross-origin DELETE in open mode: %d, want 403", status)
	}
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/videos/" + id}); status != 204 {
		t.Errorf("DELETE in open mode: %d, want 204", status)
	}

	// The first key ends open mode (within openCheckEvery).
	e.addKey("admin", reel.RoleAdmin, false)
	e.advance(openCheckEvery)
	status, _, b = e.do(req{method: "GET", path: "/api/session"})
	if s := decode[api.Session](t, b); status != 200 || s.Open || s.SignedIn {
		t.Errorf("GET /api/session once a key exists: %d %s", status, b)
	}
	if status, _, _ := e.do(req{method: "POST", path: "/api/videos/" + reel.NewID() + "/retry"}); status != 401 {
		t.Errorf("anonymous retry once a key exists: %d, want 401", status)
	}
}

// Without AllowOpen (a public address), revoking every key does not open
// the server.
func TestNoOpenModeOffLoopback(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{})
	id := e.addVideo("", reel.VisibilityPublic)
	status, _, b := e.do(req{method: "GET", path: "/api/session"})
	if s := decode[api.Session](t, b); status != 200 || s.Open {
		t.Errorf("GET /api/session: %d %s", status, b)
	}
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/videos/" + id}); status != 401 {
		t.Errorf("anonymous DELETE without keys off loopback: %d, want 401", status)
	}
	if _, err := e.store.Video(context.Background(), id); err != nil {
		t.Errorf("video gone: %v", err)
	}
}

func TestSignIn(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	mine := e.video["alice-private"]

	for _, body := range []string{`{"key": "nope"}`, `{"key": ""}`, `{"key": "` + e.secret["old"] + `"}`, `{}`} {
		status, h, b := e.do(req{method: "POST", path: "/api/session", body: strings.NewReader(body)})
		if status != 401 || h.Get("Set-Cookie") != "" {
			t.Errorf("sign in with %s: %d %s, cookie %q", body, status, b, h.Get("Set-Cookie"))
		}
	}
	c := e.signIn("alice")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" || len(c.Value) < 40 {
		t.Errorf("cookie = %+v", c)
	}
	if c.Value == e.secret["alice"] {
		t.Error("the session cookie is the key itself")
	}
	status, _, b := e.do(req{method: "GET", path: "/api/session", cookie: c.Value})
	if s := decode[api.Session](t, b); status != 200 || !s.SignedIn || s.Role != reel.RoleUploader || s.KeyID != e.keyID["alice"] {
		t.Errorf("GET /api/session signed in: %d %s", status, b)
	}
	// Same-origin requests of the page with the cookie may change things.
	same := map[string]string{"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
	status, _, b = e.do(req{method: "PATCH", path: "/api/videos/" + mine, cookie: c.Value, header: same,
		body: strings.NewReader(`{"title": "Renamed", "visibility": "public"}`)})
	if v := decode[api.Video](t, b); status != 200 || v.Title != "Renamed" || v.Visibility != reel.VisibilityPublic {
		t.Errorf("PATCH with the session: %d %s", status, b)
	}

	// Sign-out ends the session on the server, not only in the browser.
	status, h, _ := e.do(req{method: "DELETE", path: "/api/session", cookie: c.Value})
	if status != 204 || !strings.Contains(h.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign out: %d, Set-Cookie %q", status, h.Get("Set-Cookie"))
	}
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/videos/" + mine, cookie: c.Value, header: same}); status != 401 {
		t.Errorf("DELETE with a signed-out session: %d, want 401", status)
	}

	// Sessions end when they expire and when their key is revoked.
	c = e.signIn("bob")
	e.advance(time.Hour + time.Second)
	if _, _, b := e.do(req{method: "GET", path: "/api/session", cookie: c.Value}); decode[api.Session](t, b).SignedIn {
		t.Errorf("expired session still signed in: %s", b)
	}
	c = e.signIn("bob")
	if _, err := e.store.RevokeKey(context.Background(), "bob", e.clock()); err != nil {
		t.Fatal(err)
	}
	if _, _, b := e.do(req{method: "GET", path: "/api/session", cookie: c.Value}); decode[api.Session](t, b).SignedIn {
		t.Errorf("session of a revoked key still signed in: %s", b)
	}

	// Behind a TLS proxy (https public URL) the cookie is Secure.
	e = newAuthEnv(t, AccessConfig{})
	e.s.PublicURL = "https://video.example.com" // before any request
	e.addKey("admin", reel.RoleAdmin, false)
	if c := e.signIn("admin"); !c.Secure {
		t.Errorf("cookie with an https public URL is not Secure: %+v", c)
	}
}

func TestVisibility(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	list := func(key string) map[string]bool {
		status, _, b := e.do(req{method: "GET", path: "/api/videos", key: key})
		if status != 200 {
			t.Fatalf("list as %q: %d %s", key, status, b)
		}
		seen := map[string]bool{}
		for _, v := range decode[api.VideoList](t, b).Videos {
			seen[v.ID] = true
		}
		return seen
	}
	want := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[e.video[n]] = true
		}
		return m
	}
	same := func(a, b map[string]bool) bool {
		if len(a) != len(b) {
			return false
		}
		for k := range a {
			if !b[k] {
				return false
			}
		}
		return true
	}
	if got := list(""); !same(got, want("alice-public", "bob-public")) {
		t.Errorf("anonymous list = %v", got)
	}
	if got := list("alice"); !same(got, want("alice-public", "alice-unlisted", "alice-private", "bob-public")) {
		t.Errorf("alice's list = %v", got)
	}
	if got := list("viewer"); len(got) != 6 {
		t.Errorf("viewer's list has %d videos, want 6", len(got))
	}

	for _, tt := range []struct {
		key, video string
		status     int
	}{
		{"", "alice-public", 200}, {"", "alice-unlisted", 200}, {"", "alice-private", 404},
		{"bob", "alice-unlisted", 200}, {"bob", "alice-private", 404},
		{"alice", "alice-private", 200}, {"viewer", "alice-private", 200}, {"admin", "bob-private", 200},
	} {
		status, _, b := e.do(req{method: "GET", path: "/api/videos/" + e.video[tt.video], key: tt.key})
		if status != tt.status {
			t.Errorf("GET %s as %q: %d, want %d", tt.video, tt.key, status, tt.status)
		} else if status == 200 && decode[api.Video](t, b).Playback == nil {
			t.Errorf("GET %s as %q: no playback URL: %s", tt.video, tt.key, b)
		}
	}

	// Uploads record their key and visibility.
	body, ctype := uploadBody(t, map[string]string{"title": "t", "visibility": "private"})
	status, _, b := e.do(req{method: "POST", path: "/api/videos", key: "alice", body: body, header: map[string]string{"Content-Type": ctype}})
	v := decode[api.Video](t, b)
	if status != 201 || v.Owner != e.keyID["alice"] || v.Visibility != reel.VisibilityPrivate {
		t.Fatalf("upload as alice: %d %s", status, b)
	}
	if stored, err := e.store.Video(context.Background(), v.ID); err != nil || stored.Owner != e.keyID["alice"] || stored.Visibility != reel.VisibilityPrivate {
		t.Errorf("stored upload = %+v, %v", stored, err)
	}
	body, ctype = uploadBody(t, nil)
	status, _, b = e.do(req{method: "POST", path: "/api/videos", key: "bob", body: body, header: map[string]string{"Content-Type": ctype}})
	if v := decode[api.Video](t, b); status != 201 || v.Visibility != reel.DefaultVisibility {
		t.Errorf("upload without visibility: %d %s", status, b)
	}
	body, ctype = uploadBody(t, map[string]string{"visibility": "secret"})
	if status, _, b := e.do(req{method: "POST", path: "/api/videos", key: "bob", body: body, header: map[string]string{"Content-Type": ctype}}); status != 400 {
		t.Errorf("upload with visibility secret: %d %s", status, b)
	}

	// PATCH: owner or admin, checked fields.
	path := "/api/videos/" + e.video["bob-unlisted"]
	for _, tt := range []struct {
		key, body string
		status    int
	}{
		{"bob", `{"visibility": "nobody"}`, 400},
		{"bob", `{}`, 400},
		{"bob", `{"owner": "x"}`, 400},
		{"bob", `{"title": "` + strings.Repeat("x", reel.MaxTitleBytes+1) + `"}`, 400},
		{"bob", `{"visibility": "private"}`, 200},
		{"admin", `{"title": "By the admin"}`, 200},
	} {
		status, _, b := e.do(req{method: "PATCH", path: path, key: tt.key, body: strings.NewReader(tt.body)})
		if status != tt.status {
			t.Errorf("PATCH %s as %s: %d %s, want %d", tt.body, tt.key, status, b, tt.status)
		}
	}
	if got, _ := e.store.Video(context.Background(), e.video["bob-unlisted"]); got.Visibility != reel.VisibilityPrivate || got.Title != "By the admin" {
		t.Errorf("after PATCHes: %+v", got)
	}
}

func TestPlaybackTTLParam(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{MaxPlaybackTTL: 3 * time.Hour}).populate()
	path := "/api/videos/" + e.video["alice-public"]
	for _, tt := range []struct {
		query  string
		status int
		ttl    time.Duration
	}{
		{"", 200, time.Hour},
		{"?ttl=60", 200, time.Minute},
		{"?ttl=999999", 200, 3 * time.Hour},
		{"?ttl=0", 400, 0}, {"?ttl=-5", 400, 0}, {"?ttl=1h", 400, 0},
	} {
		status, _, b := e.do(req{method: "GET", path: path + tt.query})
		if status != tt.status {
			t.Errorf("GET %s: %d %s, want %d", tt.query, status, b, tt.status)
			continue
		}
		if status != 200 {
			continue
		}
		v := decode[api.Video](t, b)
		if v.Playback == nil || !v.Playback.ExpiresAt.Equal(authNow.Add(tt.ttl)) {
			t.Errorf("GET %s: playback %+v, want expiry in %v", tt.query, v.Playback, tt.ttl)
		}
	}
	status, _, b := e.do(req{method: "GET", path: "/api/videos?ttl=120"})
	if vs := decode[api.VideoList](t, b).Videos; status != 200 || len(vs) == 0 || !vs[0].Playback.ExpiresAt.Equal(authNow.Add(2*time.Minute)) {
		t.Errorf("list with ttl: %d %s", status, b)
	}
}

func TestAPICORS(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	preflight := map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE",
		"Access-Control-Request-Headers": "authorization"}
	_, h, _ := e.do(req{method: "OPTIONS", path: "/api/videos/" + e.video["bob-public"], header: preflight})
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers without --api-allow-origin: %v", h)
	}

	e = newAuthEnv(t, AccessConfig{APIAllowOrigin: "https://app.example"}).populate()
	status, h, _ := e.do(req{method: "OPTIONS", path: "/api/videos/" + e.video["bob-public"], header: preflight})
	if status != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight from the allowed origin: %d %v", status, h)
	}
	// A bearer request from that origin works cross-origin; cookies never do.
	cross := map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}
	if status, h, b := e.do(req{method: "DELETE", path: "/api/videos/" + e.video["bob-public"], key: "bob", header: cross}); status != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("cross-origin DELETE with a bearer key: %d %s %v", status, b, h)
	}
	c := e.signIn("bob")
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/videos/" + e.video["bob-unlisted"], cookie: c.Value, header: cross}); status != 403 {
		t.Errorf("cross-origin DELETE with a cookie: %d, want 403", status)
	}
	other := map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"}
	if _, h, _ := e.do(req{method: "OPTIONS", path: "/api/videos", header: other}); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers for another origin: %v", h)
	}
}

func TestKeyLastUsed(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	e.do(req{method: "GET", path: "/api/videos", key: "viewer"})
	k, err := e.store.KeyByHash(context.Background(), reel.HashSecret(e.secret["viewer"]))
	if err != nil || !k.LastUsedAt.Equal(authNow) {
		t.Errorf("last used = %v, %v; want %v", k.LastUsedAt, err, authNow)
	}
}

func TestLimiter(t *testing.T) {
	now := authNow
	l := newLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Errorf("past the burst: %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another client refused")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Error("refused after refilling one token")
	}
	var nilLimiter *limiter
	if ok, _ := nilLimiter.allow("a"); !ok {
		t.Error("a nil limiter refused")
	}

	// Past maxLimitedClients, idle clients are forgotten, busy ones kept.
	now = now.Add(time.Hour)
	for i := range maxLimitedClients {
		l.buckets["idle"+strconv.Itoa(i)] = &bucket{tokens: 3, last: now}
	}
	l.allow("a")
	l.allow("new")
	if len(l.buckets) != 2 {
		t.Errorf("after the sweep: %d clients, want 2", len(l.buckets))
	}
}
