package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"reel"
	"reel/api"
)

// Keys are managed by admins only: uploaders and viewers are refused
// (403), anonymous callers asked to sign in (401), whatever they send;
// and nothing changes.
func TestKeysAdminsOnly(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	target := e.keyID["bob"]
	for _, who := range []string{"alice", "viewer", ""} {
		want := http.StatusForbidden
		if who == "" {
			want = http.StatusUnauthorized
		}
		before := e.snapshot()
		for _, r := range []req{
			{method: "GET", path: "/api/keys"},
			{method: "POST", path: "/api/keys", body: strings.NewReader(`{"name":"mine","role":"admin"}`)},
			{method: "DELETE", path: "/api/keys/" + target},
		} {
			r.key = who
			if status, _, b := e.do(r); status != want {
				t.Errorf("%q: %s %s = %d, want %d: %s", who, r.method, r.path, status, want, b)
			}
		}
		if after := e.snapshot(); after != before {
			t.Errorf("%q changed the keys:\n%s\n%s", who, before, after)
		}
	}
	// A viewer's session is refused as its key is.
	c := e.signIn("viewer")
	if status, _, _ := e.do(req{method: "GET", path: "/api/keys", cookie: c.Value}); status != http.StatusForbidden {
		t.Errorf("viewer's session lists keys: %d", status)
	}
}

// An admin creates a key, whose secret is answered once and works at
// once; the list shows every key without secrets; revoking ends it.
func TestKeysLifecycle(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	status, _, b := e.do(req{method: "POST", path: "/api/keys", key: "admin", body: strings.NewReader(`{"name":"  carol  ","role":"uploader"}`)})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, b)
	}
	var k api.Key
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	if k.Name != "carol" || k.Role != reel.RoleUploader || k.Secret == "" || !reel.ValidID(k.ID) || k.LastUsedAt != nil || k.RevokedAt != nil {
		t.Errorf("created %+v", k)
	}
	e.secret["carol"], e.keyID["carol"] = k.Secret, k.ID
	if status, _, b := e.do(req{method: "GET", path: "/api/session", key: "carol"}); status != 200 || !strings.Contains(string(b), `"role":"uploader"`) {
		t.Errorf("the new key: %d %s", status, b)
	}

	status, _, b = e.do(req{method: "GET", path: "/api/keys", key: "admin"})
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, b)
	}
	if strings.Contains(string(b), k.Secret) || strings.Contains(string(b), `"secret"`) {
		t.Errorf("the list shows a secret: %s", b)
	}
	var list api.KeyList
	json.Unmarshal(b, &list)
	byName := map[string]api.Key{}
	for _, k := range list.Keys {
		byName[k.Name] = k
	}
	if len(list.Keys) != 6 || byName["carol"].LastUsedAt == nil || byName["old"].RevokedAt == nil || byName["alice"].RevokedAt != nil {
		t.Errorf("list: %s", b)
	}

	// A name taken by a valid key is a conflict; bad names and roles are
	// refused; nothing is created by any of them.
	before := e.snapshot()
	for body, want := range map[string]int{
		`{"name":"carol","role":"viewer"}`:                            http.StatusConflict,
		`{"name":"","role":"viewer"}`:                                 http.StatusBadRequest,
		`{"name":"   ","role":"viewer"}`:                              http.StatusBadRequest,
		`{"name":"a\u202eb","role":"viewer"}`:                         http.StatusBadRequest,
		`{"name":"a\u0000b","role":"viewer"}`:                         http.StatusBadRequest,
		`{"name":"` + strings.Repeat("n", 101) + `","role":"viewer"}`: http.StatusBadRequest,
		`{"name":"dave","role":"root"}`:                               http.StatusBadRequest,
		`{"name":"dave"}`:                                             http.StatusBadRequest,
		`{"name":"dave","role":"viewer","secret":"chosen"}`:           http.StatusBadRequest,
		`{"name":"dave","role":"viewer"`:                              http.StatusBadRequest,
	} {
		if status, _, b := e.do(req{method: "POST", path: "/api/keys", key: "admin", body: strings.NewReader(body)}); status != want {
			t.Errorf("create %s: %d, want %d: %s", body, status, want, b)
		}
	}
	if after := e.snapshot(); after != before {
		t.Errorf("refused creations changed the keys:\n%s\n%s", before, after)
	}

	// Revoking by id ends the key and its sessions at once; twice is a
	// conflict; names and unknown ids are not found.
	c := e.signIn("carol")
	status, _, b = e.do(req{method: "DELETE", path: "/api/keys/" + k.ID, key: "admin"})
	if status != http.StatusOK || !strings.Contains(string(b), `"revoked_at"`) {
		t.Fatalf("revoke: %d %s", status, b)
	}
	if status, _, _ := e.do(req{method: "GET", path: "/api/videos", key: "carol"}); status != http.StatusUnauthorized {
		t.Errorf("revoked key: %d, want 401", status)
	}
	if _, _, b := e.do(req{method: "GET", path: "/api/session", cookie: c.Value}); !strings.Contains(string(b), `"signed_in":false`) {
		t.Errorf("revoked key's session: %s", b)
	}
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/keys/" + k.ID, key: "admin"}); status != http.StatusConflict {
		t.Errorf("revoke twice: %d, want 409", status)
	}
	for _, id := range []string{"alice", reel.NewID(), "..%2Fsessions"} {
		if status, _, _ := e.do(req{method: "DELETE", path: "/api/keys/" + id, key: "admin"}); status != http.StatusNotFound && status != http.StatusBadRequest {
			t.Errorf("revoke %q: %d, want 404", id, status)
		}
	}
	if status, _, _ := e.do(req{method: "GET", path: "/api/videos", key: "alice"}); status != http.StatusOK {
		t.Errorf("alice after revoking by her name was refused: %d", status)
	}
}

// The list searches titles in any case, filters by status and sorts both
// ways, within what the caller may see; bad parameters are refused.
func TestListSearch(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	e.addVideo("", reel.VisibilityPublic) // titled " public"
	ids := func(who, query string) []string {
		t.Helper()
		status, _, b := e.do(req{method: "GET", path: "/api/videos?" + query, key: who})
		if status != http.StatusOK {
			t.Fatalf("%s ?%s: %d %s", who, query, status, b)
		}
		var l api.VideoList
		json.Unmarshal(b, &l)
		var out []string
		for _, v := range l.Videos {
			out = append(out, v.Title)
		}
		return out
	}
	if got := ids("admin", "q=ALICE"); len(got) != 3 {
		t.Errorf("admin q=ALICE: %q", got)
	}
	if got := ids("", "q=alice"); len(got) != 1 || got[0] != "alice public" {
		t.Errorf("anonymous q=alice: %q", got)
	}
	if got := ids("bob", "q=Priv"); len(got) != 1 || got[0] != "bob private" {
		t.Errorf("bob q=Priv: %q", got)
	}
	if got := ids("admin", "q=%25"); len(got) != 0 {
		t.Errorf("q=%%: %q, want none (a literal percent sign)", got)
	}
	// Hostile searches find nothing and change nothing.
	before := e.snapshot()
	for _, q := range []string{"q=%27%20OR%201%3D1%20--", "q=_", "q=%5C", "q=alice%27)%3B%20DROP%20TABLE%20videos%3B--"} {
		if got := ids("admin", q); len(got) != 0 {
			t.Errorf("?%s: %q, want none", q, got)
		}
	}
	for _, q := range []string{"q=%FF%FE", "q=%00", "q=alice%E2%80%AE", "q=a%0Ab"} {
		if status, _, b := e.do(req{method: "GET", path: "/api/videos?" + q, key: "admin"}); status != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400: %s", q, status, b)
		}
	}
	if after := e.snapshot(); after != before {
		t.Errorf("searches changed the store:\n%s\n%s", before, after)
	}
	newest, oldest := ids("admin", "q=public"), ids("admin", "q=public&order=oldest")
	if len(newest) != 3 || newest[0] != " public" || oldest[0] != "alice public" {
		t.Errorf("newest %q, oldest %q", newest, oldest)
	}
	if got := ids("admin", "status=failed"); len(got) != 0 {
		t.Errorf("status=failed: %q", got)
	}
	if got := ids("admin", "status=ready&order=newest"); len(got) != 7 {
		t.Errorf("status=ready: %q", got)
	}
	for _, q := range []string{"status=done", "order=up", "q=" + strings.Repeat("x", 201), "status=READY"} {
		if status, _, b := e.do(req{method: "GET", path: "/api/videos?" + q, key: "admin"}); status != http.StatusBadRequest {
			t.Errorf("?%.40s: %d, want 400: %s", q, status, b)
		}
	}
	// A cursor continues only a listing in its own order.
	_, _, b := e.do(req{method: "GET", path: "/api/videos?limit=2", key: "admin"})
	var l api.VideoList
	json.Unmarshal(b, &l)
	if l.NextCursor == "" {
		t.Fatal("no next cursor")
	}
	if status, _, _ := e.do(req{method: "GET", path: "/api/videos?order=oldest&cursor=" + l.NextCursor, key: "admin"}); status != http.StatusBadRequest {
		t.Errorf("a newest-first cursor with order=oldest: %d, want 400", status)
	}
}

// A description travels with the upload and PATCH, line breaks kept,
// hidden characters dropped, too long refused.
func TestDescription(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	body, ctype := uploadBody(t, map[string]string{"title": "t", "description": "line one\r\nline\u202e two\t!"})
	status, _, b := e.do(req{method: "POST", path: "/api/videos", key: "alice", body: body, header: map[string]string{"Content-Type": ctype}})
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, b)
	}
	var v api.Video
	json.Unmarshal(b, &v)
	if v.Description != "line one\nline two    !" {
		t.Errorf("description %q", v.Description)
	}
	status, _, b = e.do(req{method: "PATCH", path: "/api/videos/" + v.ID, key: "alice", body: strings.NewReader(`{"description":"  new  "}`)})
	if status != http.StatusOK || !strings.Contains(string(b), `"description":"new"`) || !strings.Contains(string(b), `"title":"t"`) {
		t.Errorf("PATCH description: %d %s", status, b)
	}
	long := `{"description":"` + strings.Repeat("d", reel.MaxDescriptionBytes+1) + `"}`
	if status, _, _ := e.do(req{method: "PATCH", path: "/api/videos/" + v.ID, key: "alice", body: strings.NewReader(long)}); status != http.StatusBadRequest {
		t.Errorf("PATCH a long description: %d, want 400", status)
	}
	if status, _, _ := e.do(req{method: "PATCH", path: "/api/videos/" + v.ID, key: "bob", body: strings.NewReader(`{"description":"bob's"}`)}); status != http.StatusForbidden {
		t.Errorf("bob's PATCH of alice's description: %d, want 403", status)
	}
}
