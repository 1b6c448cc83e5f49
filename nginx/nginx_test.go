package nginx_test

import (
	"strings"
	"testing"
	"time"

	"reel"
	"reel/nginx"
)

const secret = "0123456789abcdef0123456789abcdef"

func newSigner(t testing.TB, keys ...reel.SigningKey) *nginx.Signer {
	t.Helper()
	if len(keys) == 0 {
		keys = []reel.SigningKey{{ID: "k1", Secret: []byte(secret)}}
	}
	s, err := nginx.New(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The hash is the one nginx's documentation computes with openssl:
// echo -n '<string>' | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =
func TestSignMatchesOpenSSL(t *testing.T) {
	s := newSigner(t)
	got := s.Sign("abcdefghijklmnop", time.Unix(2147483647, 0))
	if want := "k1.qCA5LprJ86it-EDXjk4wrg,2147483647"; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	s := newSigner(t)
	now := time.Unix(1_800_000_000, 0)
	const video = "abcdefghijklmnop"
	valid := s.Sign(video, now.Add(time.Hour))
	kid, rest, _ := strings.Cut(valid, ".")
	hash, _, _ := strings.Cut(rest, ",")
	tests := []struct {
		name, token, video string
		now                time.Time
		want               string
	}{
		{"valid", valid, video, now, ""},
		{"valid during its last second", valid, video, now.Add(time.Hour), ""},
		{"expired", valid, video, now.Add(time.Hour + time.Second), reel.EEXPIRED},
		{"other video", valid, "bbbbbbbbbbbbbbbb", now, reel.EFORBIDDEN},
		{"extended expiry", kid + "." + hash + ",1900000000", video, now, reel.EFORBIDDEN},
		{"leading zero", kid + "." + hash + ",0" + rest[23:], video, now, reel.EFORBIDDEN},
		{"unknown key id", "k9." + rest, video, now, reel.EFORBIDDEN},
		{"no key id", rest, video, now, reel.EFORBIDDEN},
		{"padded hash", kid + "." + hash + "==," + rest[23:], video, now, reel.EFORBIDDEN},
		{"empty", "", video, now, reel.EFORBIDDEN},
		{"signs", "k1.,", video, now, reel.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reel.ErrorCode(s.Verify(tt.token, tt.video, tt.now)); got != tt.want {
				t.Errorf("Verify(%q) code %q, want %q", tt.token, got, tt.want)
			}
		})
	}
}

func TestEveryCharacterCounts(t *testing.T) {
	s := newSigner(t)
	now := time.Unix(1_800_000_000, 0)
	valid := s.Sign("abcdefghijklmnop", now.Add(time.Hour))
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.,"
	for i := range valid {
		for _, c := range alphabet {
			if byte(c) == valid[i] {
				continue
			}
			tok := valid[:i] + string(c) + valid[i+1:]
			if err := s.Verify(tok, "abcdefghijklmnop", now); err == nil {
				t.Fatalf("%q (character %d changed) verifies", tok, i)
			}
		}
	}
}

func TestRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	old := newSigner(t, reel.SigningKey{Secret: []byte(secret)}) // no id: "0"
	tok := old.Sign("abcdefghijklmnop", now.Add(time.Hour))
	if !strings.HasPrefix(tok, nginx.DefaultKeyID+".") {
		t.Fatalf("token %q lacks the default key id", tok)
	}
	rotated := newSigner(t, reel.SigningKey{ID: "k2", Secret: []byte(strings.Repeat("z", 32))}, reel.SigningKey{ID: "0", Secret: []byte(secret)})
	if err := rotated.Verify(tok, "abcdefghijklmnop", now); err != nil {
		t.Errorf("old token after rotation: %v", err)
	}
	fresh := rotated.Sign("abcdefghijklmnop", now.Add(time.Hour))
	if !strings.HasPrefix(fresh, "k2.") || old.Verify(fresh, "abcdefghijklmnop", now) == nil {
		t.Errorf("new token %q not under k2, or verified by the old signer", fresh)
	}
}

func TestNewRefuses(t *testing.T) {
	for name, k := range map[string]reel.SigningKey{
		"short":      {ID: "a", Secret: []byte("short")},
		"quote":      {ID: "a", Secret: []byte(secret + `"`)},
		"dollar":     {ID: "a", Secret: []byte(secret + "$x")},
		"space":      {ID: "a", Secret: []byte(secret + " x")},
		"bad id":     {ID: "A", Secret: []byte(secret)},
		"dotted id":  {ID: "a.b", Secret: []byte(secret)},
		"duplicates": {ID: "0", Secret: []byte(secret)},
	} {
		if _, err := nginx.New(reel.SigningKey{Secret: []byte(secret)}, k); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("%s: error %v, want invalid", name, err)
		}
	}
}

// FuzzVerify: whatever the input, Verify accepts only the token Sign makes.
func FuzzVerify(f *testing.F) {
	s := newSigner(f)
	now := time.Unix(1_800_000_000, 0)
	f.Add(s.Sign("abcdefghijklmnop", now.Add(time.Hour)), "abcdefghijklmnop")
	f.Add("k1.AAAAAAAAAAAAAAAAAAAAAA,1", "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, tok, video string) {
		if s.Verify(tok, video, now) != nil {
			return
		}
		_, exp, _ := strings.Cut(tok, ",")
		var unix int64
		for _, c := range exp {
			unix = unix*10 + int64(c-'0')
		}
		if tok != s.Sign(video, time.Unix(unix, 0)) {
			t.Fatalf("Verify accepted %q for %q, which Sign would not produce", tok, video)
		}
	})
}

// BenchmarkVerify prices the check that every /play/ request pays.
func BenchmarkVerify(b *testing.B) {
	s := newSigner(b)
	now := time.Unix(1_800_000_000, 0)
	tok := s.Sign("abcdefghijklmnop", now.Add(time.Hour))
	for b.Loop() {
		if s.Verify(tok, "abcdefghijklmnop", now) != nil {
			b.Fatal("refused")
		}
	}
}
