package storetest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"reel"
	"reel/sqlstore"
)

// RunWebhooks checks reel.WebhookStore, reel.VideoEventStore, and that the
// store announces each change to the webhooks subscribed to it inside the
// change's transaction.
func RunWebhooks(t *testing.T, b Backend) {
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, b) })
	t.Run("EventLog", func(t *testing.T) { testEventLog(t, b) })
	t.Run("Announce", func(t *testing.T) { testAnnounce(t, b) })
	t.Run("AnnounceIsAtomic", func(t *testing.T) { testAnnounceIsAtomic(t, b) })
}

func testWebhooks(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	a := &reel.Webhook{URL: "https://a.example/hook", Events: []string{reel.EventVideoReady}, Secret: "whsec_AAAA"}
	c := &reel.Webhook{URL: "https://c.example/hook", Events: []string{reel.EventVideoCreated, reel.EventVideoDeleted}, Secret: "whsec_CCCC"}
	for _, w := range []*reel.Webhook{a, c} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Webhooks(ctx)
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].URL != c.URL || !slices.Equal(all[1].Events, c.Events) {
		t.Fatalf("Webhooks = %+v, %v", all, err)
	}
	if err := s.SetWebhookSecret(ctx, a.ID, "whsec_BBBB"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Webhook(ctx, a.ID); err != nil || got.Secret != "whsec_BBBB" {
		t.Errorf("after rotation: %+v, %v", got, err)
	}
	for i := 1; i <= 3; i++ {
		d := &reel.WebhookDelivery{WebhookID: a.ID, MessageID: "msg_1", Event: reel.EventVideoReady, Attempt: i, Status: 500, Error: "answered 500"}
		if err := s.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.Deliveries(ctx, a.ID, 2)
	if err != nil || len(ds) != 2 || ds[0].Attempt != 3 || ds[1].Attempt != 2 || ds[0].MessageID != "msg_1" || ds[0].Status != 500 || ds[0].Time.IsZero() {
		t.Fatalf("Deliveries = %+v, %v", ds, err)
	}
	if err := s.DeleteWebhook(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{s.DeleteWebhook(ctx, a.ID), s.SetWebhookSecret(ctx, a.ID, "whsec_x")} {
		if reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("on a deleted webhook: %v, want not found", err)
		}
	}
	if _, err := s.Webhook(ctx, a.ID); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("Webhook after delete: %v", err)
	}
	// Its deliveries went with it; a late attempt records nothing.
	if err := s.AddDelivery(ctx, &reel.WebhookDelivery{WebhookID: a.ID, MessageID: "msg_2", Event: reel.EventVideoReady, Attempt: 1}); err != nil {
		t.Errorf("AddDelivery of a deleted webhook: %v", err)
	}
	if ds, err := s.Deliveries(ctx, a.ID, 10); err != nil || len(ds) != 0 {
		t.Errorf("deliveries of a deleted webhook: %+v, %v", ds, err)
	}
}

func types(events []reel.VideoEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

// The store logs each state change; the worker's entries go in between;
// the log goes with the video.
func testEventLog(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	v := &reel.Video{ID: reel.NewID(), Filename: "a.mp4", OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, v.ID, 100, nil); err != nil {
		t.Fatal(err)
	}
	processing, failed, no := reel.StatusProcessing, reel.StatusFailed, false
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &processing}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVideoEvent(ctx, v.ID, reel.VideoEvent{Type: reel.LogStarted, Message: "attempt 1", Data: []byte(`{"attempt":1}`)}); err != nil {
		t.Fatal(err)
	}
	msg, detail := "Not a video.", "ffmpeg: invalid data"
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &failed, Playable: &no, Error: &msg, ErrorDetail: &detail}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, v.ID, 100, nil); err != nil { // the retry
		t.Fatal(err)
	}
	yes, ready := true, reel.StatusReady
	s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &processing})
	s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Playable: &yes})
	s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Playable: &yes}) // no change, no entry
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &ready, Playable: &yes}); err != nil {
		t.Fatal(err)
	}
	log, err := s.VideoEvents(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{reel.LogCreated, reel.LogUploaded, reel.LogStarted, reel.LogFailed, reel.LogRetried, reel.LogPlayable, reel.LogReady}
	if got := types(log); !slices.Equal(got, want) {
		t.Fatalf("log = %q, want %q", got, want)
	}
	if f := log[3]; f.Message != msg || f.Detail != detail {
		t.Errorf("failure entry = %+v", f)
	}
	if string(log[2].Data) != `{"attempt":1}` || !strings.Contains(log[1].Message, "100 bytes") {
		t.Errorf("entries: %+v", log[:3])
	}
	for i := 1; i < len(log); i++ {
		if log[i].Time.Before(log[i-1].Time) {
			t.Errorf("entry %d (%s) is older than the one before", i, log[i].Type)
		}
	}
	if err := s.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if log, err := s.VideoEvents(ctx, v.ID); err != nil || len(log) != 0 {
		t.Errorf("log after delete: %+v, %v", log, err)
	}
	if err := s.AddVideoEvent(ctx, v.ID, reel.VideoEvent{Type: reel.LogProbed}); err != nil {
		t.Errorf("AddVideoEvent of a deleted video: %v", err)
	}
	if log, _ := s.VideoEvents(ctx, v.ID); len(log) != 0 {
		t.Errorf("an entry was recorded for a deleted video: %+v", log)
	}
}

// announced is what an AnnounceFunc was called with.
type announced struct {
	event string
	hooks []string
	video string
}

// recordAnnounce inserts a job row per hook in the caller's transaction,
// as the queue does, and remembers the calls.
func recordAnnounce(calls *[]announced) sqlstore.AnnounceFunc {
	return func(ctx context.Context, tx *sql.Tx, hooks []*reel.Webhook, event string, v *reel.Video) error {
		a := announced{event: event, video: v.ID}
		for _, h := range hooks {
			a.hooks = append(a.hooks, h.ID)
			if _, err := tableEnqueue(ctx, tx, "hook:"+h.ID); err != nil {
				return err
			}
		}
		*calls = append(*calls, a)
		return nil
	}
}

func testAnnounce(t *testing.T, b Backend) {
	ctx := context.Background()
	s, db := open(t, b.NewDSN(t), tableEnqueue)
	var calls []announced
	s.WithAnnounce(recordAnnounce(&calls))
	every := &reel.Webhook{URL: "https://a.example/", Events: reel.WebhookEvents, Secret: "whsec_AAAA"}
	ready := &reel.Webhook{URL: "https://b.example/", Events: []string{reel.EventVideoReady}, Secret: "whsec_BBBB"}
	for _, w := range []*reel.Webhook{every, ready} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	s.Enqueue(ctx, v.ID, 10, nil)
	processing, st, yes := reel.StatusProcessing, reel.StatusReady, true
	s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &processing})
	s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Playable: &yes})
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &st}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	want := []announced{
		{reel.EventVideoCreated, []string{every.ID}, v.ID},
		{reel.EventVideoUploaded, []string{every.ID}, v.ID},
		{reel.EventVideoPlayable, []string{every.ID}, v.ID},
		{reel.EventVideoReady, []string{every.ID, ready.ID}, v.ID},
		{reel.EventVideoDeleted, []string{every.ID}, v.ID},
	}
	if !slices.EqualFunc(calls, want, func(a, b announced) bool {
		return a.event == b.event && a.video == b.video && slices.Equal(a.hooks, b.hooks)
	}) {
		t.Errorf("announced %+v\nwant %+v", calls, want)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE video_id LIKE 'hook:%'`).Scan(&n); err != nil || n != 6 {
		t.Errorf("%d delivery rows committed (%v), want 6", n, err)
	}
}

// A failing announcement rolls the change back: a change is never made
// without the deliveries that report it.
func testAnnounceIsAtomic(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	boom := errors.New("queue down")
	if err := s.CreateWebhook(ctx, &reel.Webhook{URL: "https://a.example/", Events: reel.WebhookEvents, Secret: "whsec_AAAA"}); err != nil {
		t.Fatal(err)
	}
	v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	s.WithAnnounce(func(context.Context, *sql.Tx, []*reel.Webhook, string, *reel.Video) error { return boom })
	if _, err := s.Enqueue(ctx, v.ID, 10, nil); !errors.Is(err, boom) {
		t.Fatalf("Enqueue = %v, want %v", err, boom)
	}
	if got, _ := s.Video(ctx, v.ID); got.Status != reel.StatusUploading {
		t.Errorf("status after a failed announcement: %s", got.Status)
	}
	failed := reel.StatusFailed
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &failed}); !errors.Is(err, boom) {
		t.Errorf("UpdateVideo = %v, want %v", err, boom)
	}
	if err := s.DeleteVideo(ctx, v.ID); !errors.Is(err, boom) {
		t.Errorf("DeleteVideo = %v, want %v", err, boom)
	}
	if got, err := s.Video(ctx, v.ID); err != nil || got.Status != reel.StatusUploading {
		t.Errorf("after failed announcements: %+v, %v", got, err)
	}
	if log, _ := s.VideoEvents(ctx, v.ID); !slices.Equal(types(log), []string{reel.LogCreated}) {
		t.Errorf("log after failed announcements: %q", types(log))
	}
}
