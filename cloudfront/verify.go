package cloudfront

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"reel"
)

// grant is the three values of a signed URL or of signed cookies.
type grant struct{ policy, signature, keyPairID string }

// grantOf reads r's grant from its query, or else from its cookies.
func grantOf(r *http.Request) (grant, bool) {
	q := r.URL.Query()
	if q.Has("Policy") || q.Has("Signature") || q.Has("Key-Pair-Id") {
		return grant{q.Get("Policy"), q.Get("Signature"), q.Get("Key-Pair-Id")}, true
	}
	var g grant
	for _, c := range []struct {
		name string
		to   *string
	}{{"CloudFront-Policy", &g.policy}, {"CloudFront-Signature", &g.signature}, {"CloudFront-Key-Pair-Id", &g.keyPairID}} {
		ck, err := r.Cookie(c.name)
		if err != nil {
			return grant{}, false
		}
		*c.to = ck.Value
	}
	return g, true
}

// VerifyRequest checks r's grant as CloudFront would for a file of
// videoID: the signature under the key pair's public key first, then that
// the policy's one statement covers this video's prefix and has not
// expired. Canned policies and IP conditions are refused: reel signs
// neither.
func (s *Signer) VerifyRequest(r *http.Request, videoID string, now time.Time) error {
	invalid := reel.Errorf(reel.EFORBIDDEN, "Invalid playback signature.")
	g, ok := grantOf(r)
	pub, known := s.verify[g.keyPairID]
	if !ok || !known {
		return invalid
	}
	pol, err1 := decode(g.policy)
	sig, err2 := decode(g.signature)
	if err1 != nil || err2 != nil || !verifySignature(pub, pol, sig) {
		return invalid
	}
	var p policy
	dec := json.NewDecoder(bytes.NewReader(pol))
	dec.DisallowUnknownFields()
	if dec.Decode(&p) != nil || len(p.Statement) != 1 {
		return invalid
	}
	st := p.Statement[0]
	c := st.Condition
	// The resource is the prefix reel signed, on whatever host the CDN
	// answers: its path must name this token and video.
	suffix := "/play/" + r.PathValue("token") + "/" + videoID + "/*"
	if !strings.HasSuffix(st.Resource, suffix) || strings.Count(st.Resource, "*") != 1 ||
		c.IPAddress != nil || c.DateLessThan == nil || c.DateGreaterThan != nil && now.Unix() <= c.DateGreaterThan.Sec {
		return invalid
	}
	if now.Unix() >= c.DateLessThan.Sec {
		return reel.Errorf(reel.EEXPIRED, "The playback link has expired.")
	}
	return nil
}

func verifySignature(pub crypto.PublicKey, policy, sig []byte) bool {
	digest := sha1.Sum(policy)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA1, digest[:], sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest[:], sig)
	}
	return false
}

// RewritePlaylist adds the grant in r's query to every URI of playlist:
// the URI lines and the URI="..." attributes of tags (EXT-X-MAP,
// EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF...). A request whose grant is in
// cookies needs no rewriting: the cookies go with every request.
func (s *Signer) RewritePlaylist(r *http.Request, playlist []byte) []byte {
	q := r.URL.Query()
	g := grant{q.Get("Policy"), q.Get("Signature"), q.Get("Key-Pair-Id")}
	// Only a well-formed grant is copied: its characters need no escaping.
	if _, err := decode(g.policy); err != nil || s.verify[g.keyPairID] == nil {
		return playlist
	}
	if _, err := decode(g.signature); err != nil || g.signature == "" {
		return playlist
	}
	return AddQuery(playlist, "Policy="+g.policy+"&Signature="+g.signature+"&Key-Pair-Id="+g.keyPairID)
}

// AddQuery appends query to every URI of an HLS playlist.
func AddQuery(playlist []byte, query string) []byte {
	var out bytes.Buffer
	out.Grow(len(playlist) + 64*len(query))
	for line := range bytes.Lines(playlist) {
		text := bytes.TrimRight(line, "\r\n")
		eol := line[len(text):]
		switch {
		case len(bytes.TrimSpace(text)) == 0:
			out.Write(line)
			continue
		case text[0] != '#':
			out.Write(withQuery(text, query))
		case bytes.HasPrefix(text, []byte("#EXT")):
			out.Write(rewriteURIAttr(text, query))
		default:
			out.Write(text) // a comment
		}
		out.Write(eol)
	}
	return out.Bytes()
}

// rewriteURIAttr rewrites the value of every URI="..." attribute of a tag.
func rewriteURIAttr(tag []byte, query string) []byte {
	const attr = `URI="`
	var out []byte
	for {
		i := bytes.Index(tag, []byte(attr))
		// An attribute starts the list or follows ',' or ':'.
		if i < 0 {
			return append(out, tag...)
		}
		start := i + len(attr)
		end := bytes.IndexByte(tag[start:], '"')
		if end < 0 || i > 0 && tag[i-1] != ',' && tag[i-1] != ':' {
			out = append(out, tag[:start]...)
			tag = tag[start:]
			continue
		}
		out = append(out, tag[:start]...)
		out = append(out, withQuery(tag[start:start+end], query)...)
		tag = tag[start+end:]
	}
}

func withQuery(uri []byte, query string) []byte {
	sep := "?"
	if bytes.IndexByte(uri, '?') >= 0 {
		sep = "&"
	}
	out := append([]byte(nil), uri...)
	if i := bytes.IndexByte(out, '#'); i >= 0 {
		// A fragment stays last.
		return append(append(append(out[:i:i], sep...), query...), uri[i:]...)
	}
	return append(append(out, sep...), query...)
}
