package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reel"
	"reel/webhook"
)

// verify is the receiver's side of the Standard Webhooks specification,
// written from the specification apart from the package: the key is the
// base64 after "whsec_"; the signed content is "id.timestamp.body"; the
// header holds space-separated "v1,<base64>" signatures, any of which may
// match; timestamps more than five minutes away are refused.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s too far from now", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

// The example of the Standard Webhooks reference libraries' tests.
func TestSignKnownVector(t *testing.T) {
	got, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestSecret(t *testing.T) {
	a, b := webhook.NewSecret(), webhook.NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q, %q", a, b)
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_")); err != nil || len(k) != 32 {
		t.Errorf("secret %q: %d bytes, %v", a, len(k), err)
	}
	if _, err := webhook.Sign("whsec_!!", "id", time.Now(), nil); err == nil {
		t.Error("Sign with a malformed secret succeeded")
	}
}

func TestPrivate(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fc00::1": true, "fd12::1": true, "100.64.0.1": true,
		"0.0.0.0": true, "::": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "224.0.0.1": true,
		"64:ff9b::a00:1": true, "2002:7f00:1::": true,
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700::1111": false, "::ffff:8.8.8.8": false,
	} {
		if got := webhook.Private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Private(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	strict, lax := webhook.NewSender(false), webhook.NewSender(true)
	for _, u := range []string{"ftp://example.com/", "example.com/hook", "http:///x", "http://user:pw@example.com/",
		"http://example.com/#frag", "javascript:alert(1)", "http://" + strings.Repeat("a", 2100) + ".com/"} {
		for _, s := range []*webhook.Sender{strict, lax} {
			if err := s.CheckURL(ctx, u); reel.ErrorCode(err) != reel.EINVALID {
				t.Errorf("CheckURL(%.40q) = %v, want invalid", u, err)
			}
		}
	}
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/", "https://[::1]/", "http://169.254.169.254/latest",
		"http://10.0.0.1/", "http://[fd00::1]/", "http://100.64.1.1/"} {
		err := strict.CheckURL(ctx, u)
		if reel.ErrorCode(err) != reel.EINVALID || !strings.Contains(reel.ErrorMessage(err), "--webhook-allow-private") {
			t.Errorf("strict CheckURL(%s) = %v, want a refusal naming the flag", u, err)
		}
		if err := lax.CheckURL(ctx, u); err != nil {
			t.Errorf("CheckURL(%s) with private allowed: %v", u, err)
		}
	}
	if err := strict.CheckURL(ctx, "https://93.184.216.34/hook"); err != nil {
		t.Errorf("a public address refused: %v", err)
	}
}

func TestCheckEvents(t *testing.T) {
	if err := webhook.CheckEvents([]string{"video.ready", "video.failed"}); err != nil {
		t.Error(err)
	}
	for _, evs := range [][]string{nil, {}, {"video.ready", "video.ready"}, {"video.exploded"}, {""}} {
		if err := webhook.CheckEvents(evs); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("CheckEvents(%q) = %v, want invalid", evs, err)
		}
	}
}

// Send signs what the independent verifier accepts, refuses a loopback
// receiver at dial time unless allowed, takes non-2xx and redirects as
// failures, and reads a bounded part of the answer.
func TestSend(t *testing.T) {
	ctx := context.Background()
	secret := webhook.NewSecret()
	body := []byte(`{"type":"video.ready","timestamp":"2026-01-01T00:00:00Z","data":{"id":"x"}}`)
	var hits atomic.Int32
	var verr atomic.Value
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		if err := verify(secret, r.Header, b, time.Now()); err != nil {
			verr.Store(err)
		}
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/big":
			w.Write(make([]byte, 10<<20))
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer rx.Close()

	// Loopback is refused at the dial, whatever CheckURL said earlier.
	if _, err := webhook.NewSender(false).Send(ctx, rx.URL+"/ok", secret, "msg_1", body); !webhook.Refused(err) {
		t.Fatalf("delivery to loopback without allowance: %v, want refused", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the refused receiver was reached")
	}

	s := webhook.NewSender(true)
	if res, err := s.Send(ctx, rx.URL+"/ok", secret, "msg_1", body); err != nil || res.Status != 204 {
		t.Errorf("Send: %v, %v", res, err)
	}
	if res, err := s.Send(ctx, rx.URL+"/fail", secret, "msg_1", body); err == nil || res.Status != 500 {
		t.Errorf("Send to a failing receiver: %v, %v", res, err)
	}
	if res, err := s.Send(ctx, rx.URL+"/redirect", secret, "msg_1", body); err == nil || res.Status != 302 {
		t.Errorf("Send to a redirect: %v, %v (the redirect must not be followed)", res, err)
	}
	if hits.Load() != 3 {
		t.Errorf("receiver hit %d times, want 3 (no redirect followed)", hits.Load())
	}
	if res, err := s.Send(ctx, rx.URL+"/big", secret, "msg_1", body); err != nil || res.Status != 200 {
		t.Errorf("Send to a receiver answering 10 MiB: %v, %v", res, err)
	}
	if err, _ := verr.Load().(error); err != nil {
		t.Errorf("the receiver's verification: %v", err)
	}
	// A wrong secret fails the independent check.
	h := http.Header{}
	sig, _ := webhook.Sign(secret, "msg_2", time.Now(), body)
	h.Set("webhook-id", "msg_2")
	h.Set("webhook-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := verify(webhook.NewSecret(), h, body, time.Now()); err == nil {
		t.Error("a signature verified under another secret")
	}
	if err := verify(secret, h, append(body, ' '), time.Now()); err == nil {
		t.Error("a signature verified for another body")
	}
}
