package token_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/token"
)

func newSigner(t testing.TB, fill byte) *token.Signer {
	s, err := token.New(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	s := newSigner(t, 1)
	now := time.Unix(1_800_000_000, 0)
	valid := s.Sign("aaaaaaaaaaaaaaaa", now.Add(time.Hour))

	// Flip one character of the MAC, keeping it base64url.
	tampered := []byte(valid)
	last := len(tampered) - 5
	if tampered[last] == 'A' {
		tampered[last] = 'B'
	} else {
		tampered[last] = 'A'
	}
	// Move the expiry forward while keeping the old MAC.
	_, mac, _ := strings.Cut(valid, ".")
	extended := "zzzzzz." + mac

	tests := []struct {
		name   string
		signer *token.Signer
		token  string
		video  string
		now    time.Time
		want   string
	}{
		{"valid", s, valid, "aaaaaaaaaaaaaaaa", now, ""},
		{"valid until the last second", s, valid, "aaaaaaaaaaaaaaaa", now.Add(time.Hour - time.Second), ""},
		{"expired", s, valid, "aaaaaaaaaaaaaaaa", now.Add(time.Hour), reel.EEXPIRED},
		{"tampered mac", s, string(tampered), "aaaaaaaaaaaaaaaa", now, reel.EFORBIDDEN},
		{"extended expiry", s, extended, "aaaaaaaaaaaaaaaa", now, reel.EFORBIDDEN},
		{"other video", s, valid, "bbbbbbbbbbbbbbbb", now, reel.EFORBIDDEN},
		{"wrong key", newSigner(t, 2), valid, "aaaaaaaaaaaaaaaa", now, reel.EFORBIDDEN},
		{"empty", s, "", "aaaaaaaaaaaaaaaa", now, reel.EFORBIDDEN},
		{"no dot", s, "abcdef", "aaaaaaaaaaaaaaaa", now, reel.EFORBIDDEN},
		{"garbage", s, "..", "aaaaaaaaaaaaaaaa", now, reel.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.signer.Verify(tt.token, tt.video, tt.now)
			if got := reel.ErrorCode(err); got != tt.want {
				t.Errorf("Verify = %v, want code %q", err, tt.want)
			}
		})
	}
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := token.New(make([]byte, 16)); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("New(16 bytes) error = %v, want invalid", err)
	}
}

func FuzzVerify(f *testing.F) {
	s := newSigner(f, 1)
	now := time.Unix(1_800_000_000, 0)
	f.Add(s.Sign("aaaaaaaaaaaaaaaa", now.Add(time.Hour)), "aaaaaaaaaaaaaaaa")
	f.Add("0.AAAA", "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, tok, video string) {
		err := s.Verify(tok, video, now)
		if err == nil && tok != s.Sign(video, time.Unix(parseExp(tok), 0)) {
			t.Fatalf("Verify accepted %q for %q, which Sign would not produce", tok, video)
		}
	})
}

// parseExp reads the expiry of a token the way Sign writes it.
func parseExp(tok string) int64 {
	exp, _, _ := strings.Cut(tok, ".")
	var n int64
	for _, c := range exp {
		d := strings.IndexRune("0123456789abcdefghijklmnopqrstuvwxyz", c)
		if d < 0 {
			return -1
		}
		n = n*36 + int64(d)
	}
	return n
}

// Every other spelling of a valid token is refused: no character of it,
// the last one included (whose spare bits a lenient decoder ignores), can
// change and still verify.
func TestEveryCharacterCounts(t *testing.T) {
	s := newSigner(t, 1)
	now := time.Unix(1_800_000_000, 0)
	valid := s.Sign("aaaaaaaaaaaaaaaa", now.Add(time.Hour))
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_."
	for i := range valid {
		for _, c := range alphabet {
			if byte(c) == valid[i] {
				continue
			}
			tok := valid[:i] + string(c) + valid[i+1:]
			if err := s.Verify(tok, "aaaaaaaaaaaaaaaa", now); err == nil {
				t.Fatalf("%q (character %d changed) verifies", tok, i)
			}
		}
	}
}
