package sqlstore

import (
	"testing"

	"reel"
)

// FuzzCursor feeds decodeCursor what a client may send as ?cursor=: it
// never panics, refuses with EINVALID, and what it accepts encodes back
// to a cursor that decodes the same, in the direction it was made for
// only.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(1700000000000000, "abcdefghijklmnop", false), false)
	f.Add(encodeCursor(-1, "abcdefghijklmnop", true), true)
	f.Add("!!", false)
	f.Add("YTo6", true)
	f.Fuzz(func(t *testing.T, c string, oldest bool) {
		ts, id, err := decodeCursor(c, oldest)
		if err != nil {
			if reel.ErrorCode(err) != reel.EINVALID {
				t.Fatalf("decodeCursor(%q) = %v, want invalid", c, err)
			}
			return
		}
		if !reel.ValidID(id) {
			t.Fatalf("decodeCursor(%q) accepted the id %q", c, id)
		}
		again := encodeCursor(ts, id, oldest)
		if ts2, id2, err := decodeCursor(again, oldest); err != nil || ts2 != ts || id2 != id {
			t.Fatalf("round trip of %q: %d %q %v, want %d %q", again, ts2, id2, err, ts, id)
		}
		if _, _, err := decodeCursor(again, !oldest); reel.ErrorCode(err) != reel.EINVALID {
			t.Fatalf("a cursor of the other direction: %v", err)
		}
	})
}
