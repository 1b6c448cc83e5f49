package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"reel"
	"reel/api"
)

// TestVideoRules is the one table of the video rules (package video) as
// every entry point applies them: a video created by multipart form,
// direct upload, tus or storage event, by each caller (anonymous, viewer,
// uploader, admin; the hook has its secret and no caller), in each
// visibility; then, on the videos created, what each caller may do:
// see it, change it, retry it, reach its resumable upload, delete it.
func TestVideoRules(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}, withS3, withTus, withHook).populate()
	callers := []string{"", "viewer", "alice", "bob", "admin"}
	visibilities := []reel.Visibility{reel.VisibilityPublic, reel.VisibilityUnlisted, reel.VisibilityPrivate}
	ctx := context.Background()

	// create makes a video through the entry point as the caller and
	// returns the status and the video's id.
	create := func(entry, caller string, vis reel.Visibility) (int, string) {
		switch entry {
		case "multipart":
			body, ctype := uploadBody(t, map[string]string{"visibility": string(vis)})
			status, _, b := e.do(req{method: "POST", path: "/api/videos", key: caller, body: body, header: map[string]string{"Content-Type": ctype}})
			if status != http.StatusCreated {
				return status, ""
			}
			return status, decode[api.Video](t, b).ID
		case "direct":
			body := fmt.Sprintf(`{"size": 10, "filename": "clip.mp4", "visibility": %q}`, vis)
			status, _, b := e.do(req{method: "POST", path: "/api/videos/direct", key: caller, body: strings.NewReader(body)})
			if status != http.StatusCreated {
				return status, ""
			}
			return status, decode[api.DirectUpload](t, b).Video.ID
		case "tus":
			status, h, _ := e.do(req{method: "POST", path: "/api/uploads/", key: caller, header: map[string]string{
				"Tus-Resumable": "1.0.0", "Upload-Length": "10",
				"Upload-Metadata": "visibility " + base64.StdEncoding.EncodeToString([]byte(vis))}})
			if status != http.StatusCreated {
				return status, ""
			}
			return status, strings.TrimPrefix(h.Get("Location"), "/api/uploads/")
		case "hook":
			// The object lands in the bucket by itself; the event names it.
			key := "inbox/" + reel.NewID() + ".mp4"
			if _, err := e.originals.Put(ctx, key, strings.NewReader("bytes of a clip")); err != nil {
				t.Fatal(err)
			}
			status, _, b := e.do(req{method: "POST", path: "/api/hooks/s3", header: map[string]string{"Authorization": "Bearer hook-secret"},
				body: strings.NewReader(records(record("ObjectCreated:Put", "media", "originals/"+key, 15)))})
			var out s3EventResponse
			json.Unmarshal(b, &out)
			if status != http.StatusOK || len(out.Created) != 1 {
				t.Fatalf("hook: %d %s", status, b)
			}
			return status, out.Created[0]
		}
		panic(entry)
	}

	// The rules, stated apart from the code that applies them.
	role := map[string]reel.Role{"viewer": reel.RoleViewer, "alice": reel.RoleUploader, "bob": reel.RoleUploader, "admin": reel.RoleAdmin}
	sees := func(caller, owner string, vis reel.Visibility) bool {
		return vis != reel.VisibilityPrivate || caller != "" && (role[caller] != reel.RoleUploader || caller == owner)
	}
	manages := func(caller, owner string) bool {
		return role[caller] == reel.RoleAdmin || role[caller] == reel.RoleUploader && caller == owner && owner != ""
	}
	// changeStatus is the answer to a request changing a video.
	changeStatus := func(caller, owner string, vis reel.Visibility, ok int) int {
		switch {
		case caller == "":
			return http.StatusUnauthorized
		case role[caller] == reel.RoleViewer:
			return http.StatusForbidden
		case !sees(caller, owner, vis):
			return http.StatusNotFound
		case !manages(caller, owner):
			return http.StatusForbidden
		}
		return ok
	}

	type made struct {
		entry, owner string
		vis          reel.Visibility
		id           string
	}
	var videos []made
	for _, entry := range []string{"multipart", "direct", "tus", "hook"} {
		for _, vis := range visibilities {
			for _, caller := range callers {
				if entry == "hook" && (caller != "" || vis != reel.DefaultVisibility) {
					continue // storage events have no caller and no visibility
				}
				want := http.StatusCreated
				switch {
				case entry == "hook":
					want = http.StatusOK
				case caller == "":
					want = http.StatusUnauthorized
				case role[caller] == reel.RoleViewer:
					want = http.StatusForbidden
				}
				status, id := create(entry, caller, vis)
				if status != want {
					t.Errorf("%s by %q, %s: %d, want %d", entry, caller, vis, status, want)
					continue
				}
				if id == "" {
					continue
				}
				v, err := e.store.Video(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if v.Owner != e.keyID[caller] || v.Visibility != vis {
					t.Errorf("%s by %q, %s: owner %q visibility %s, want %q %s", entry, caller, vis, v.Owner, v.Visibility, e.keyID[caller], vis)
				}
				if caller == "alice" || caller == "admin" || entry == "hook" {
					videos = append(videos, made{entry, caller, vis, id})
				}
			}
		}
	}

	if len(videos) != 3*3*2+1 {
		t.Fatalf("%d videos made, want 19", len(videos))
	}
	for _, m := range videos {
		for _, caller := range callers {
			name := fmt.Sprintf("%s video of %q, %s, as %q", m.entry, m.owner, m.vis, caller)
			want := http.StatusNotFound
			if sees(caller, m.owner, m.vis) {
				want = http.StatusOK
			}
			if status, _, b := e.do(req{method: "GET", path: "/api/videos/" + m.id, key: caller}); status != want {
				t.Errorf("%s: GET %d, want %d: %s", name, status, want, b)
			}
			// Visibility unchanged, so later rows still hold.
			patch := fmt.Sprintf(`{"title": "renamed", "visibility": %q}`, m.vis)
			if status, _, b := e.do(req{method: "PATCH", path: "/api/videos/" + m.id, key: caller, body: strings.NewReader(patch)}); status != changeStatus(caller, m.owner, m.vis, http.StatusOK) {
				t.Errorf("%s: PATCH %d, want %d: %s", name, status, changeStatus(caller, m.owner, m.vis, http.StatusOK), b)
			}
			// None has failed: those who may retry hear 409.
			if status, _, b := e.do(req{method: "POST", path: "/api/videos/" + m.id + "/retry", key: caller}); status != changeStatus(caller, m.owner, m.vis, http.StatusConflict) {
				t.Errorf("%s: retry %d, want %d: %s", name, status, changeStatus(caller, m.owner, m.vis, http.StatusConflict), b)
			}
			if m.entry == "tus" {
				// The upload is its owner's and admins'; others are told
				// it does not exist.
				want := changeStatus(caller, m.owner, m.vis, http.StatusOK)
				if want != http.StatusOK && want != http.StatusUnauthorized && role[caller] != reel.RoleViewer {
					want = http.StatusNotFound
				}
				if status, _, b := e.do(req{method: "HEAD", path: "/api/uploads/" + m.id, key: caller, header: map[string]string{"Tus-Resumable": "1.0.0"}}); status != want {
					t.Errorf("%s: tus HEAD %d, want %d: %s", name, status, want, b)
				}
			}
		}
		// Delete last: first by each caller who may not, then the owner.
		for _, caller := range callers {
			want := changeStatus(caller, m.owner, m.vis, http.StatusNoContent)
			if want == http.StatusNoContent {
				continue
			}
			if status, _, b := e.do(req{method: "DELETE", path: "/api/videos/" + m.id, key: caller}); status != want {
				t.Errorf("%s video of %q, %s: DELETE as %q %d, want %d: %s", m.entry, m.owner, m.vis, caller, status, want, b)
			}
		}
		deleter := m.owner
		if deleter == "" {
			deleter = "admin"
		}
		if status, _, b := e.do(req{method: "DELETE", path: "/api/videos/" + m.id, key: deleter}); status != http.StatusNoContent {
			t.Errorf("%s video of %q, %s: DELETE as %q %d: %s", m.entry, m.owner, m.vis, deleter, status, b)
		}
		if _, err := e.store.Video(ctx, m.id); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("%s video of %q, %s: still there after DELETE: %v", m.entry, m.owner, m.vis, err)
		}
	}
}

// withHook turns on POST /api/hooks/s3 for the originals bucket of
// withS3 ("media", prefix "originals/").
func withHook(e *authEnv) {
	e.s.Hooks = HookConfig{Secret: "hook-secret", Bucket: "media", Prefix: "originals/"}
}
