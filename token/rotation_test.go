package token_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/token"
)

func key(id string, fill byte) reel.SigningKey {
	return reel.SigningKey{ID: id, Secret: bytes.Repeat([]byte{fill}, 32)}
}

func TestRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const video = "aaaaaaaaaaaaaaaa"
	legacy, _ := token.New(bytes.Repeat([]byte{1}, 32))
	before, err := token.NewKeys(key("k1", 2))
	if err != nil {
		t.Fatal(err)
	}
	after, err := token.NewKeys(key("k2", 3), key("k1", 2), key("", 1))
	if err != nil {
		t.Fatal(err)
	}
	old := before.Sign(video, now.Add(time.Hour))
	if !strings.HasPrefix(old, "k1.") {
		t.Fatalf("token %q does not name its key", old)
	}
	// Both the keyed and the id-less tokens of before still verify.
	for _, tok := range []string{old, legacy.Sign(video, now.Add(time.Hour))} {
		if err := after.Verify(tok, video, now); err != nil {
			t.Errorf("token %q from before the rotation: %v", tok, err)
		}
	}
	fresh := after.Sign(video, now.Add(time.Hour))
	if !strings.HasPrefix(fresh, "k2.") || after.Verify(fresh, video, now) != nil {
		t.Errorf("new token %q not signed by k2 or refused", fresh)
	}
	// The server before the rotation does not know k2.
	if reel.ErrorCode(before.Verify(fresh, video, now)) != reel.EFORBIDDEN {
		t.Errorf("unknown key id accepted")
	}
	// Expired old tokens are still answered as expired, not forbidden.
	if reel.ErrorCode(after.Verify(old, video, now.Add(2*time.Hour))) != reel.EEXPIRED {
		t.Errorf("expired old token not EEXPIRED")
	}
}

func TestUnknownKeyID(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, _ := token.NewKeys(key("k1", 2))
	tok := s.Sign("v", now.Add(time.Hour))
	_, rest, _ := strings.Cut(tok, ".")
	for _, bad := range []string{"k9." + rest, "." + rest, rest, "K1." + rest, "k1.k1." + rest} {
		if err := s.Verify(bad, "v", now); reel.ErrorCode(err) != reel.EFORBIDDEN {
			t.Errorf("Verify(%q) = %v, want forbidden", bad, err)
		}
	}
	// The same MAC under another, known id is refused too: the id is signed.
	other, _ := token.NewKeys(key("k1", 2), key("k2", 2))
	if err := other.Verify("k2."+rest, "v", now); reel.ErrorCode(err) != reel.EFORBIDDEN {
		t.Errorf("MAC moved to another key id accepted: %v", err)
	}
}

func TestNewKeysRefuses(t *testing.T) {
	for name, keys := range map[string][]reel.SigningKey{
		"short":     {{ID: "a", Secret: []byte("short")}},
		"bad id":    {key("A.b", 1)},
		"long id":   {key("abcdefghi", 1)},
		"duplicate": {key("a", 1), key("a", 2)},
	} {
		if _, err := token.NewKeys(keys[0], keys[1:]...); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("%s: error %v, want invalid", name, err)
		}
	}
}

func FuzzVerifyKeyed(f *testing.F) {
	s, _ := token.NewKeys(key("k2", 3), key("k1", 2))
	now := time.Unix(1_800_000_000, 0)
	f.Add(s.Sign("aaaaaaaaaaaaaaaa", now.Add(time.Hour)), "aaaaaaaaaaaaaaaa")
	f.Add("k1.0.AAAA", "x")
	f.Add("..", "")
	f.Fuzz(func(t *testing.T, tok, video string) {
		if s.Verify(tok, video, now) == nil && tok != s.Sign(video, time.Unix(parseExp(strings.TrimPrefix(tok, "k2.")), 0)) {
			// Only k2 signs here, so only its tokens can be this exact form;
			// a k1 token must be what a k1 signer makes.
			k1, _ := token.NewKeys(key("k1", 2))
			if tok != k1.Sign(video, time.Unix(parseExp(strings.TrimPrefix(tok, "k1.")), 0)) {
				t.Fatalf("Verify accepted %q for %q, which no key would sign", tok, video)
			}
		}
	})
}

// BenchmarkVerify prices the check that every /play/ request pays.
func BenchmarkVerify(b *testing.B) {
	s, _ := token.NewKeys(key("k2", 3), key("k1", 2))
	now := time.Unix(1_800_000_000, 0)
	tok := s.Sign("aaaaaaaaaaaaaaaa", now.Add(time.Hour))
	for b.Loop() {
		if s.Verify(tok, "aaaaaaaaaaaaaaaa", now) != nil {
			b.Fatal("refused")
		}
	}
}
