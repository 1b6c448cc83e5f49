package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reel/api"
	"reel/api/apitest"
	"reel/mediatest"
	"reel/pgtest"
)

// receiver is a webhook endpoint for tests. It checks each delivery's
// signature with its own implementation of the Standard Webhooks check
// (not reel's), answers 500 to the first attempt of every message and
// 204 to the next, and keeps what arrived.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	secrets []string              // the secrets it accepts, newest last
	got     map[string][]delivery // by webhook-id
	bad     []string              // what failed verification
}

// delivery is one POST the receiver got.
type delivery struct {
	typ     string
	videoID string
	secret  int // index in secrets of the one that verified
}

func newReceiver(t *testing.T) *receiver {
	rx := &receiver{t: t, got: map[string][]delivery{}}
	rx.srv = httptest.NewServer(http.HandlerFunc(rx.serve))
	t.Cleanup(rx.srv.Close)
	return rx
}

func (rx *receiver) trust(secret string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.secrets = append(rx.secrets, secret)
}

func (rx *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	rx.mu.Lock()
	defer rx.mu.Unlock()
	which := -1
	for i, s := range rx.secrets {
		if checkSignature(s, r.Header, body) == nil {
			which = i
		}
	}
	var msg struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	var v api.Video
	if which < 0 || json.Unmarshal(body, &msg) != nil || json.Unmarshal(msg.Data, &v) != nil || msg.Timestamp.IsZero() {
		rx.bad = append(rx.bad, fmt.Sprintf("%s %s", id, body))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rx.got[id] = append(rx.got[id], delivery{typ: msg.Type, videoID: v.ID, secret: which})
	if len(rx.got[id]) == 1 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkSignature is the Standard Webhooks verification, from the
// specification: HMAC-SHA256 keyed by the base64-decoded secret after
// "whsec_", over "id.timestamp.body"; any of the space-separated "v1,"
// signatures may match; the timestamp within five minutes of now.
func checkSignature(secret string, h http.Header, body []byte) error {
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return fmt.Errorf("bad timestamp %q", h.Get("webhook-timestamp"))
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if b, ok := strings.CutPrefix(sig, "v1,"); ok {
			if raw, err := base64.StdEncoding.DecodeString(b); err == nil && hmac.Equal(raw, mac.Sum(nil)) {
				return nil
			}
		}
	}
	return fmt.Errorf("no valid signature")
}

// accepted returns, for each event type about video, how many messages
// were accepted, and fails on any message that arrived other than twice
// (refused, then accepted).
func (rx *receiver) accepted(video string) map[string]int {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	out := map[string]int{}
	for _, ds := range rx.got {
		if ds[0].videoID == video && len(ds) >= 2 {
			out[ds[0].typ]++
		}
	}
	return out
}

// waitAccepted waits until every event in want about video was accepted.
func (rx *receiver) waitAccepted(video string, want ...string) {
	rx.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got := rx.accepted(video)
		missing := slices.DeleteFunc(slices.Clone(want), func(e string) bool { return got[e] > 0 })
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			rx.t.Fatalf("events %q about %s not accepted; got %v", missing, video, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// apiJSON sends a JSON request through c and decodes the answer into out.
func apiJSON(t *testing.T, c *http.Client, method, url string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

func TestWebhooks(t *testing.T) {
	webhooksEndToEnd(t)

	// Without --webhook-allow-private, a receiver on loopback is refused
	// when the webhook is created.
	s := startServer(t)
	c := apitest.Client(t, nil)
	var e api.ErrorResponse
	status := apiJSON(t, c, "POST", s.url+"/api/webhooks", api.WebhookCreate{URL: newReceiver(t).srv.URL + "/hook", Events: []string{"video.ready"}}, &e)
	if status != http.StatusBadRequest || !strings.Contains(e.Error.Message, "--webhook-allow-private") {
		t.Errorf("a loopback receiver without the flag: %d %+v", status, e)
	}
}

func TestWebhooksPostgres(t *testing.T) {
	webhooksEndToEnd(t, "--db", pgtest.New(t).URL)
}

// webhooksEndToEnd runs a video through its life with a webhook
// subscribed to every event, on a receiver that refuses every message
// once, and reads the event logs of a ready and of a failed, retried video.
func webhooksEndToEnd(t *testing.T, flags ...string) {
	s := startServer(t, append([]string{"--webhook-allow-private"}, flags...)...)
	rx := newReceiver(t)
	// Every answer is checked against the OpenAPI document.
	c := apitest.Client(t, nil)

	// Bad requests get a sentence.
	for _, bad := range []api.WebhookCreate{
		{URL: "ftp://example.com/", Events: []string{"video.ready"}},
		{URL: rx.srv.URL, Events: []string{"video.exploded"}},
		{URL: rx.srv.URL},
	} {
		var e api.ErrorResponse
		if status := apiJSON(t, c, "POST", s.url+"/api/webhooks", bad, &e); status != http.StatusBadRequest || e.Error.Message == "" {
			t.Errorf("POST /api/webhooks %+v: %d %+v", bad, status, e)
		}
	}

	var hook api.Webhook
	all := []string{"video.created", "video.uploaded", "video.playable", "video.ready", "video.failed", "video.deleted"}
	if status := apiJSON(t, c, "POST", s.url+"/api/webhooks", api.WebhookCreate{URL: rx.srv.URL + "/hook", Events: all}, &hook); status != http.StatusCreated || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("create webhook: %d %+v", status, hook)
	}
	rx.trust(hook.Secret)
	var list api.WebhookList
	apiJSON(t, c, "GET", s.url+"/api/webhooks", nil, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].ID != hook.ID || list.Webhooks[0].Secret != "" {
		t.Errorf("list: %+v (secrets are shown once)", list)
	}

	status, v, e := s.upload(mediatest.Path(t, mediatest.Odd), "hooked")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	if got := s.waitFinal(v.ID, 3*time.Minute); got.Status != "ready" {
		t.Fatalf("video %s: %s %s", v.ID, got.Status, got.Error)
	}
	// Each event arrives, is refused, arrives again with the same id and
	// signature scheme after the first retry's few seconds, is accepted.
	rx.waitAccepted(v.ID, "video.created", "video.uploaded", "video.playable", "video.ready")

	// The log of a ready video, in order.
	var log api.VideoEvents
	if status := apiJSON(t, c, "GET", s.url+"/api/videos/"+v.ID+"/events", nil, &log); status != http.StatusOK {
		t.Fatalf("events: %d", status)
	}
	var types []string
	for _, e := range log.Events {
		types = append(types, e.Type)
	}
	order := []string{"created", "uploaded", "transcode.started", "probed", "playable", "ready"}
	if !isSubsequence(order, types) || !slices.Contains(types, "rendition.done") {
		t.Errorf("log of a ready video: %q, want %q in order and rendition.done", types, order)
	}

	// A rotated secret signs what follows.
	var rotated api.Webhook
	if status := apiJSON(t, c, "POST", s.url+"/api/webhooks/"+hook.ID+"/rotate", nil, &rotated); status != http.StatusOK || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == hook.Secret {
		t.Fatalf("rotate: %d %+v", status, rotated)
	}
	rx.trust(rotated.Secret)
	req, _ := http.NewRequest("DELETE", s.url+"/api/videos/"+v.ID, nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	}
	rx.waitAccepted(v.ID, "video.deleted")

	// A failed video, retried, fails again: its log tells the story.
	text := filepath.Join(t.TempDir(), "notes.mp4")
	os.WriteFile(text, bytes.Repeat([]byte("this is not a video\n"), 100), 0o644)
	_, bad, _ := s.upload(text, "")
	s.waitFinal(bad.ID, 2*time.Minute)
	if status := apiJSON(t, c, "POST", s.url+"/api/videos/"+bad.ID+"/retry", nil, nil); status != http.StatusAccepted {
		t.Fatalf("retry: %d", status)
	}
	deadline := time.Now().Add(2 * time.Minute)
	want := []string{"created", "uploaded", "transcode.started", "failed", "retried", "transcode.started", "failed"}
	for {
		log = api.VideoEvents{}
		apiJSON(t, c, "GET", s.url+"/api/videos/"+bad.ID+"/events", nil, &log)
		types = types[:0]
		for _, e := range log.Events {
			types = append(types, e.Type)
		}
		if slices.Equal(types, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of a failed, retried video: %q, want %q", types, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if f := log.Events[3]; f.Message == "" || f.Detail == "" {
		t.Errorf("failure entry %+v: want the reason, and the stderr tail for the admin", f)
	}
	rx.waitAccepted(bad.ID, "video.failed")

	// Once accepted, a message never comes again: wait past the first
	// retry's delay and count.
	time.Sleep(8 * time.Second)
	rx.mu.Lock()
	for id, ds := range rx.got {
		if len(ds) != 2 {
			t.Errorf("message %s (%s) arrived %d times, want 2 (refused, then accepted)", id, ds[0].typ, len(ds))
		}
		if ds[0].typ == "video.deleted" && ds[1].secret != 1 {
			t.Errorf("video.deleted signed with secret %d, want the rotated one", ds[1].secret)
		}
	}
	if len(rx.bad) > 0 {
		t.Errorf("deliveries that failed verification: %q", rx.bad)
	}
	rx.mu.Unlock()

	// The deliveries list every attempt, the same webhook-id on both.
	var ds api.DeliveryList
	apiJSON(t, c, "GET", s.url+"/api/webhooks/"+hook.ID+"/deliveries", nil, &ds)
	attempts := map[string][]api.Delivery{}
	for _, d := range ds.Deliveries {
		attempts[d.WebhookID] = append(attempts[d.WebhookID], d)
	}
	if len(attempts) < 7 {
		t.Errorf("deliveries of %d messages, want at least 7: %+v", len(attempts), ds)
	}
	for id, as := range attempts {
		if len(as) != 2 || as[1].Attempt != 1 || as[1].Status != 500 || as[1].Error == "" || as[0].Attempt != 2 || as[0].Status != 204 || as[0].Error != "" {
			t.Errorf("attempts of %s: %+v", id, as)
		}
	}

	req, _ = http.NewRequest("DELETE", s.url+"/api/webhooks/"+hook.ID, nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete webhook: %v %v", resp, err)
	}
	if status := apiJSON(t, c, "GET", s.url+"/api/webhooks/"+hook.ID+"/deliveries", nil, nil); status != http.StatusNotFound {
		t.Errorf("deliveries of a deleted webhook: %d", status)
	}
}

// isSubsequence reports whether want appears in got in order.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
