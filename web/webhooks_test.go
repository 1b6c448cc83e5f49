package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"reel"
	"reel/api"
)

// Webhooks are for admins only; a video's event log is for whoever may
// read the video, with the stderr tail of failures for admins alone.
func TestWebhookAccess(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	e.s.Webhooks, e.s.Events = WebhookConfig{Store: e.store}, e.store
	body := func() *strings.Reader {
		return strings.NewReader(`{"url":"https://example.com/hook","events":["video.ready"]}`)
	}
	for _, who := range []string{"", "alice", "viewer", "old"} {
		for _, r := range []req{{method: "GET", path: "/api/webhooks"}, {method: "POST", path: "/api/webhooks", body: body()}} {
			r.key = who
			if status, _, b := e.do(r); status != 401 && status != 403 {
				t.Errorf("%s %s as %q: %d %s, want 401 or 403", r.method, r.path, who, status, b)
			}
		}
	}
	status, _, b := e.do(req{method: "POST", path: "/api/webhooks", key: "admin", body: body()})
	var hook api.Webhook
	if status != 201 || json.Unmarshal(b, &hook) != nil || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("admin creates: %d %s", status, b)
	}
	for _, bad := range []string{`{"url":"gopher://x/","events":["video.ready"]}`, `{"url":"https://x/","events":["video.done"]}`,
		`{"url":"https://x/","events":[]}`, `{"url":"https://x/","events":["video.ready"],"secret":"mine"}`} {
		status, _, b := e.do(req{method: "POST", path: "/api/webhooks", key: "admin", body: strings.NewReader(bad)})
		var er api.ErrorResponse
		if status != 400 || json.Unmarshal(b, &er) != nil || er.Error.Message == "" {
			t.Errorf("POST %s: %d %s, want 400 with a sentence", bad, status, b)
		}
	}
	if status, _, b := e.do(req{method: "DELETE", path: "/api/webhooks/" + hook.ID, key: "alice"}); status != 403 {
		t.Errorf("alice deletes the webhook: %d %s", status, b)
	}
	if status, _, _ := e.do(req{method: "POST", path: "/api/webhooks/aaaaaaaaaaaaaaaa/rotate", key: "admin"}); status != 404 {
		t.Errorf("rotate an unknown webhook: %d", status)
	}

	// A failed video's log: alice (the owner) reads the reason, the admin
	// the stderr tail too; bob does not see alice's private video at all.
	ctx := context.Background()
	id := e.video["alice-private"]
	failed, msg, detail := reel.StatusFailed, "Not a video.", "ffprobe: invalid data"
	if _, err := e.store.UpdateVideo(ctx, id, reel.VideoUpdate{Status: &failed, Error: &msg, ErrorDetail: &detail}); err != nil {
		t.Fatal(err)
	}
	read := func(who string) (int, api.VideoEvents) {
		status, _, b := e.do(req{method: "GET", path: "/api/videos/" + id + "/events", key: who})
		var ev api.VideoEvents
		json.Unmarshal(b, &ev)
		return status, ev
	}
	for who, wantDetail := range map[string]string{"alice": "", "admin": detail} {
		status, ev := read(who)
		if len(ev.Events) == 0 {
			t.Fatalf("%s reads an empty log: %d", who, status)
		}
		last := ev.Events[len(ev.Events)-1]
		if status != 200 || last.Type != reel.LogFailed || last.Message != msg || last.Detail != wantDetail {
			t.Errorf("%s reads the log: %d %+v", who, status, ev)
		}
	}
	if status, _ := read("bob"); status != 404 {
		t.Errorf("bob reads alice's private video's log: %d", status)
	}
	if status, _ := read(""); status != 401 && status != 404 {
		t.Errorf("an anonymous caller reads a private video's log: %d", status)
	}
}
