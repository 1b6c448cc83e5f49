package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"reel"
)

// snapshot is everything an attack could change: every video as stored,
// the originals present, and the keys.
func (e *authEnv) snapshot() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	videos, _, err := e.store.Videos(ctx, reel.VideoFilter{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, v := range videos {
		_, oerr := e.originals.Open(ctx, v.OriginalKey)
		fmt.Fprintf(&b, "%s %q %s %s %s original:%v\n", v.ID, v.Title, v.Status, v.Visibility, v.Owner, oerr == nil)
	}
	keys, err := e.store.Keys(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "key %s %s %s revoked:%v\n", k.ID, k.Name, k.Role, k.Revoked())
	}
	hooks, err := e.store.Webhooks(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range hooks {
		fmt.Fprintf(&b, "webhook %s %s %q %s\n", h.ID, h.URL, h.Events, h.Secret)
	}
	return b.String()
}

// manyParts is a multipart body of n small fields before a file.
func manyParts(n int) (io.Reader, string) {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "--B\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nx\r\n", i)
	}
	b.WriteString("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\nvideo\r\n--B--\r\n")
	return strings.NewReader(b.String()), "multipart/form-data; boundary=B"
}

// TestAttacks sends requests that must be refused, each with the exact
// status, and checks that none of them changed anything.
func TestAttacks(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	alicePriv, aliceUnl, bobPub := e.video["alice-private"], e.video["alice-unlisted"], e.video["bob-public"]
	session := e.signIn("alice").Value
	revokedSession := e.signIn("bob").Value
	if _, err := e.store.RevokeKey(context.Background(), "bob", authNow); err != nil {
		t.Fatal(err)
	}
	e.addKey("bob2", reel.RoleUploader, false)
	upload := func() (io.Reader, map[string]string) {
		body, ctype := uploadBody(t, map[string]string{"title": "sneaky"})
		return body, map[string]string{"Content-Type": ctype}
	}
	withHeader := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	cross := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}

	cases := []struct {
		name   string
		req    func() req
		status int
	}{
		{"no key deletes", func() req { return req{method: "DELETE", path: "/api/videos/" + bobPub} }, 401},
		{"no key uploads", func() req {
			b, h := upload()
			return req{method: "POST", path: "/api/videos", body: b, header: h}
		}, 401},
		{"no key retries", func() req { return req{method: "POST", path: "/api/videos/" + bobPub + "/retry"} }, 401},
		{"no key patches", func() req {
			return req{method: "PATCH", path: "/api/videos/" + bobPub, body: strings.NewReader(`{"visibility":"private"}`)}
		}, 401},
		{"malformed bearer: no key", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, header: map[string]string{"Authorization": "Bearer"}}
		}, 401},
		{"malformed bearer: basic", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}}
		}, 401},
		{"malformed bearer: huge", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, header: map[string]string{"Authorization": "Bearer " + strings.Repeat("a", 5000)}}
		}, 401},
		{"unknown key", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, header: map[string]string{"Authorization": "Bearer " + reel.NewSecret()}}
		}, 401},
		{"unknown key on a public read", func() req {
			return req{method: "GET", path: "/api/videos", header: map[string]string{"Authorization": "Bearer " + reel.NewSecret()}}
		}, 401},
		{"revoked key deletes", func() req { return req{method: "DELETE", path: "/api/videos/" + bobPub, key: "old"} }, 401},
		{"revoked key's session deletes", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, cookie: revokedSession, header: map[string]string{"Sec-Fetch-Site": "same-origin"}}
		}, 401},
		{"forged session deletes", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, cookie: reel.NewSecret(), header: map[string]string{"Sec-Fetch-Site": "same-origin"}}
		}, 401},
		{"key as session cookie", func() req {
			return req{method: "DELETE", path: "/api/videos/" + bobPub, cookie: e.secret["admin"], header: map[string]string{"Sec-Fetch-Site": "same-origin"}}
		}, 401},
		{"viewer deletes", func() req { return req{method: "DELETE", path: "/api/videos/" + bobPub, key: "viewer"} }, 403},
		{"viewer uploads", func() req {
			b, h := upload()
			return req{method: "POST", path: "/api/videos", body: b, header: h, key: "viewer"}
		}, 403},
		{"viewer patches", func() req {
			return req{method: "PATCH", path: "/api/videos/" + bobPub, key: "viewer", body: strings.NewReader(`{"title":"x"}`)}
		}, 403},
		{"viewer starts a tus upload", func() req { return req{method: "POST", path: "/api/uploads/", key: "viewer"} }, 403},
		{"viewer asks a tus upload's offset", func() req { return req{method: "HEAD", path: "/api/uploads/abc", key: "viewer"} }, 403},
		{"no key starts a tus upload", func() req { return req{method: "POST", path: "/api/uploads/"} }, 401},
		{"uploader deletes another's video", func() req { return req{method: "DELETE", path: "/api/videos/" + aliceUnl, key: "bob2"} }, 403},
		{"uploader deletes another's private video", func() req {
			return req{method: "DELETE", path: "/api/videos/" + alicePriv, key: "bob2"}
		}, 404},
		{"uploader retries another's video", func() req {
			return req{method: "POST", path: "/api/videos/" + aliceUnl + "/retry", key: "bob2"}
		}, 403},
		{"uploader completes another's direct upload", func() req {
			return req{method: "POST", path: "/api/videos/" + aliceUnl + "/complete", key: "bob2", body: strings.NewReader(`{"parts":[]}`)}
		}, 403},
		{"uploader patches another's video", func() req {
			return req{method: "PATCH", path: "/api/videos/" + aliceUnl, key: "bob2", body: strings.NewReader(`{"visibility":"public"}`)}
		}, 403},
		{"uploader reads another's private video", func() req { return req{method: "GET", path: "/api/videos/" + alicePriv, key: "bob2"} }, 404},
		{"private video without auth", func() req { return req{method: "GET", path: "/api/videos/" + alicePriv} }, 404},
		{"private video's playlist without a token", func() req {
			return req{method: "GET", path: "/play/" + strings.Repeat("A", 40) + "/" + alicePriv + "/master.m3u8"}
		}, 403},
		{"session cookie, cross-origin DELETE", func() req {
			return req{method: "DELETE", path: "/api/videos/" + aliceUnl, cookie: session, header: cross}
		}, 403},
		{"session cookie, cross-origin PATCH", func() req {
			return req{method: "PATCH", path: "/api/videos/" + aliceUnl, cookie: session, header: cross, body: strings.NewReader(`{"visibility":"public"}`)}
		}, 403},
		{"session cookie, cross-origin upload", func() req {
			b, h := upload()
			return req{method: "POST", path: "/api/videos", cookie: session, body: b, header: withHeader(h, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")}
		}, 403},
		{"session cookie, Origin of another site only", func() req {
			return req{method: "DELETE", path: "/api/videos/" + aliceUnl, cookie: session, header: map[string]string{"Origin": "https://evil.example"}}
		}, 403},
		{"session cookie, https Origin of this host against http", func() req {
			return req{method: "DELETE", path: "/api/videos/" + aliceUnl, cookie: session, header: map[string]string{"Origin": "https://" + strings.TrimPrefix(e.ts.URL, "http://")}}
		}, 403},
		{"open sign-in, https Origin of this host against http", func() req {
			return req{method: "POST", path: "/api/session", header: map[string]string{"Origin": "https://" + strings.TrimPrefix(e.ts.URL, "http://")}, body: strings.NewReader(`{"key":"` + e.secret["alice"] + `"}`)}
		}, 403},
		{"cross-site sign-in", func() req {
			return req{method: "POST", path: "/api/session", header: cross, body: strings.NewReader(`{"key":"` + e.secret["alice"] + `"}`)}
		}, 403},
		{"sign-in body too large", func() req {
			return req{method: "POST", path: "/api/session", body: strings.NewReader(`{"key":"` + strings.Repeat("a", maxSessionBody) + `"}`)}
		}, 413},
		{"PATCH body too large", func() req {
			return req{method: "PATCH", path: "/api/videos/" + aliceUnl, key: "alice", body: strings.NewReader(`{"title":"` + strings.Repeat("a", maxUpdateBody) + `"}`)}
		}, 413},
		{"10,000-part multipart body", func() req {
			b, ctype := manyParts(10_000)
			return req{method: "POST", path: "/api/videos", key: "alice", body: b, header: map[string]string{"Content-Type": ctype}}
		}, 400},
		{"10,000-part multipart body, no key", func() req {
			b, ctype := manyParts(10_000)
			return req{method: "POST", path: "/api/videos", body: b, header: map[string]string{"Content-Type": ctype}}
		}, 401},
		{"oversized header", func() req {
			return req{method: "GET", path: "/api/videos", key: "admin", header: map[string]string{"X-Big": strings.Repeat("a", 128<<10)}}
		}, 431},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			status, h, b := e.do(c.req())
			if status != c.status {
				t.Errorf("status %d, want %d: %s", status, c.status, b)
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if after := e.snapshot(); after != before {
				t.Errorf("state changed:\nbefore:\n%safter:\n%s", before, after)
			}
		})
	}
	// The same requests with the right credentials do work: the refusals
	// above are not an accident of the requests' shape.
	if status, _, b := e.do(req{method: "PATCH", path: "/api/videos/" + aliceUnl, cookie: session,
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}, body: strings.NewReader(`{"visibility":"public"}`)}); status != 200 {
		t.Errorf("alice's same-origin PATCH: %d %s", status, b)
	}
	if status, _, b := e.do(req{method: "PATCH", path: "/api/videos/" + aliceUnl, cookie: session,
		header: map[string]string{"Origin": e.ts.URL}, body: strings.NewReader(`{"visibility":"unlisted"}`)}); status != 200 {
		t.Errorf("alice's PATCH with the Origin of this server and no Sec-Fetch-Site: %d %s", status, b)
	}
	if status, _, b := e.do(req{method: "DELETE", path: "/api/videos/" + aliceUnl, key: "alice"}); status != 204 {
		t.Errorf("alice deletes her video: %d %s", status, b)
	}
}

// TestRateLimits runs the API and upload limits out and checks the 429s.
func TestRateLimits(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{APIRate: 1, APIBurst: 3, UploadRate: 1, UploadBurst: 1}).populate()
	for i := range 3 {
		if status, _, _ := e.do(req{method: "GET", path: "/api/videos", key: "viewer"}); status != 200 {
			t.Fatalf("request %d within the burst: %d", i, status)
		}
	}
	status, h, b := e.do(req{method: "GET", path: "/api/videos", key: "viewer"})
	if status != 429 || h.Get("Retry-After") != "1" {
		t.Errorf("past the burst: %d, Retry-After %q: %s", status, h.Get("Retry-After"), b)
	}
	// Limits are per client: another key and anonymous callers still pass.
	if status, _, _ := e.do(req{method: "GET", path: "/api/videos", key: "admin"}); status != 200 {
		t.Errorf("another key: %d", status)
	}
	// Bad keys are limited by address, so guessing is slow too.
	for range 3 {
		e.do(req{method: "GET", path: "/api/videos", header: map[string]string{"Authorization": "Bearer guess"}})
	}
	if status, h, _ := e.do(req{method: "GET", path: "/api/videos", header: map[string]string{"Authorization": "Bearer guess"}}); status != 429 || h.Get("Retry-After") == "" {
		t.Errorf("guessing keys past the limit: %d, Retry-After %q", status, h.Get("Retry-After"))
	}
	e.advance(time.Minute)

	before := e.snapshot()
	body, ctype := uploadBody(t, nil)
	if status, _, b := e.do(req{method: "POST", path: "/api/videos", key: "alice", body: body, header: map[string]string{"Content-Type": ctype}}); status != 201 {
		t.Fatalf("first upload: %d %s", status, b)
	}
	counted := e.snapshot()
	body, ctype = uploadBody(t, nil)
	status, h, _ = e.do(req{method: "POST", path: "/api/videos", key: "alice", body: body, header: map[string]string{"Content-Type": ctype}})
	if retry, _ := strconv.Atoi(h.Get("Retry-After")); status != 429 || retry < 50 || retry > 60 {
		t.Errorf("second upload within the minute: %d, Retry-After %q", status, h.Get("Retry-After"))
	}
	if after := e.snapshot(); after != counted || after == before {
		t.Errorf("the limited upload changed the state:\n%s", after)
	}
	// Reading is still allowed while uploads are limited.
	if status, _, _ := e.do(req{method: "GET", path: "/api/videos", key: "alice"}); status != 200 {
		t.Errorf("read while uploads are limited: %d", status)
	}

	// Open mode (the operator on loopback) is not limited.
	open := newAuthEnv(t, AccessConfig{AllowOpen: true, APIRate: 1, APIBurst: 1})
	for i := range 5 {
		if status, _, _ := open.do(req{method: "GET", path: "/api/videos"}); status != 200 {
			t.Fatalf("open mode request %d: %d", i, status)
		}
	}
}

// TestPrincipalFrom checks what handlers added later (tus) see.
func TestPrincipalFrom(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	var got []any
	h := e.s.protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		got = append(got, p, ok)
	}))
	r := httptest.NewRequest(http.MethodPost, "/api/uploads/", nil)
	r.Header.Set("Authorization", "Bearer "+e.secret["alice"])
	h.ServeHTTP(httptest.NewRecorder(), r)
	want := []any{reel.Principal{KeyID: e.keyID["alice"], Name: "alice", Role: reel.RoleUploader}, true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PrincipalFrom = %v, want %v", got, want)
	}
}
