package token

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"reel"
)

// A token minted for a private video verifies, says so, and its mark
// cannot be added to or removed from another token.
func TestSignPrivate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, id := range []string{"", "k1"} {
		s, err := NewKeys(reel.SigningKey{ID: id, Secret: bytes.Repeat([]byte{7}, 32)})
		if err != nil {
			t.Fatal(err)
		}
		pub, priv := s.Sign("video", now.Add(time.Hour)), s.SignPrivate("video", now.Add(time.Hour))
		if err := s.Verify(priv, "video", now); err != nil || !s.MintedPrivate(priv) {
			t.Errorf("key %q: private token %q: %v, marked %v", id, priv, err, s.MintedPrivate(priv))
		}
		if err := s.Verify(pub, "video", now); err != nil || s.MintedPrivate(pub) {
			t.Errorf("key %q: token %q: %v, marked %v", id, pub, err, s.MintedPrivate(pub))
		}
		if err := s.Verify(priv, "video", now.Add(2*time.Hour)); err == nil {
			t.Errorf("key %q: expired private token verifies", id)
		}
		exp := strings.Split(pub, ".")[len(strings.Split(pub, "."))-2]
		forged := strings.Replace(pub, exp+".", exp+privateMark+".", 1)
		unmarked := strings.Replace(priv, privateMark+".", ".", 1)
		for _, tok := range []string{forged, unmarked} {
			if err := s.Verify(tok, "video", now); err == nil {
				t.Errorf("key %q: tampered token %q verifies", id, tok)
			}
		}
	}
}
