package cloudfront_test

import (
	"strings"
	"testing"
	"time"

	"reel/cloudfront"
)

func TestAddQuery(t *testing.T) {
	const q = "Policy=P&Signature=S&Key-Pair-Id=K"
	in := "#EXTM3U\n" +
		"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"a0/index.m3u8\"\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"avc1.64001f,mp4a.40.2\"\r\n" +
		"v0/index.m3u8\r\n" +
		"#EXT-X-MAP:URI=\"init.mp4\"\n" +
		"# a comment with URI=\"x\"\n" +
		"\n" +
		"seg1.m4s?x=1\n" +
		"seg2.m4s#t=1"
	want := "#EXTM3U\n" +
		"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"a0/index.m3u8?" + q + "\"\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"avc1.64001f,mp4a.40.2\"\r\n" +
		"v0/index.m3u8?" + q + "\r\n" +
		"#EXT-X-MAP:URI=\"init.mp4?" + q + "\"\n" +
		"# a comment with URI=\"x\"\n" +
		"\n" +
		"seg1.m4s?x=1&" + q + "\n" +
		"seg2.m4s?" + q + "#t=1"
	if got := string(cloudfront.AddQuery([]byte(in), q)); got != want {
		t.Errorf("AddQuery:\n%s\nwant\n%s", got, want)
	}
}

func TestRewritePlaylistCopiesOnlyAValidGrant(t *testing.T) {
	key, _ := keys(t)
	s := newSigner(t, key)
	q, _ := s.SignQuery(prefix, video, time.Unix(1_900_000_000, 0))
	body := []byte("#EXTM3U\nseg1.m4s\n")
	if got := string(s.RewritePlaylist(playRequest(prefix+"index.m3u8?"+q), body)); got != "#EXTM3U\nseg1.m4s?"+q+"\n" {
		t.Errorf("rewritten: %q", got)
	}
	for _, bad := range []string{"", "Policy=%22%0A&Signature=S&Key-Pair-Id=" + keyPairID, strings.Replace(q, keyPairID, "X", 1)} {
		if got := s.RewritePlaylist(playRequest(prefix+"index.m3u8?"+bad), body); string(got) != string(body) {
			t.Errorf("grant %q copied: %q", bad, got)
		}
	}
}

// FuzzAddQuery: every line keeps its place and only gains the query.
func FuzzAddQuery(f *testing.F) {
	f.Add("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\nseg1.m4s\n")
	f.Add("#EXT-X-MEDIA:URI=\"a\",URI=\"b\nx?y#z\r\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		out := string(cloudfront.AddQuery([]byte(in), "Q=1"))
		if strings.Count(out, "\n") != strings.Count(in, "\n") {
			t.Fatalf("line count changed: %q -> %q", in, out)
		}
		if strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(out, "?Q=1", ""), "&Q=1", ""), "Q=1", "") != strings.ReplaceAll(in, "Q=1", "") {
			t.Fatalf("more than the query added: %q -> %q", in, out)
		}
	})
}

// FuzzVerifyRequest: only the grant reel signed verifies.
func FuzzVerifyRequest(f *testing.F) {
	key, _ := keys(f)
	s := newSigner(f, key)
	expires := time.Unix(1_900_000_000, 0)
	q, _ := s.SignQuery(prefix, video, expires)
	f.Add(q)
	f.Add("Policy=e30_&Signature=AAAA&Key-Pair-Id=" + keyPairID)
	f.Add("")
	f.Fuzz(func(t *testing.T, query string) {
		r := playRequest(prefix + "seg.m4s")
		r.URL.RawQuery = query // as a server would take it, unparsed
		if s.VerifyRequest(r, video, expires.Add(-time.Hour)) == nil {
			v := r.URL.Query()
			if got := "Policy=" + v.Get("Policy") + "&Signature=" + v.Get("Signature") + "&Key-Pair-Id=" + v.Get("Key-Pair-Id"); got != q {
				t.Fatalf("accepted a grant reel did not sign: %q", query)
			}
		}
	})
}
