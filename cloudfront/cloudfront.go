// Package cloudfront signs playback URLs as Amazon CloudFront checks them:
// a custom policy whose resource is a wildcard on the video's prefix
// (https://host/play/cf/<video-id>/*), signed with the private key of a
// CloudFront key pair (RSA or ECDSA, SHA-1 as CloudFront's default) and
// carried in the query parameters Policy, Signature and Key-Pair-Id, or
// in the CloudFront-Policy, CloudFront-Signature and CloudFront-Key-Pair-Id
// cookies.
//
// Relative URIs do not inherit a query string, so reel adds the request's
// grant to every URI of the playlists it serves (RewritePlaylist). A CDN
// caching playlists must then keep the query string in their cache key;
// segments can be cached without it. When requests reach reel directly,
// it checks the signature with the public half of the same key.
package cloudfront

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"time"

	"reel"
)

// Token is the path token of CloudFront playback URLs. The grant is in
// the query, so the path is the same for every viewer and a CDN caches a
// segment once.
const Token = "cf"

// Signer is a reel.Signer with the web layer's RequestSigner capability,
// for CloudFront signed URLs.
type Signer struct {
	keyPairID string
	key       crypto.Signer
	// verify holds the public key of every key pair whose URLs reel
	// accepts: the current one and those rotated out.
	verify map[string]crypto.PublicKey
}

// OldKey is a key pair rotated out of signing whose URLs still verify
// until they expire, as they do at CloudFront while its public key stays
// in the distribution's key group.
type OldKey struct {
	KeyPairID string
	Public    crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey
}

// New returns a signer for the key pair keyPairID (as CloudFront names
// the public key) and its private key, *rsa.PrivateKey or
// *ecdsa.PrivateKey; URLs of the old key pairs still verify.
func New(keyPairID string, key crypto.Signer, old ...OldKey) (*Signer, error) {
	s := &Signer{keyPairID: keyPairID, key: key, verify: map[string]crypto.PublicKey{}}
	for _, k := range append([]OldKey{{keyPairID, key.Public()}}, old...) {
		if k.KeyPairID == "" || strings.ContainsAny(k.KeyPairID, "&=?#;, ") {
			return nil, reel.Errorf(reel.EINVALID, "CloudFront key pair id %q is empty or not URL-safe", k.KeyPairID)
		}
		switch k.Public.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
		default:
			return nil, reel.Errorf(reel.EINVALID, "CloudFront keys are RSA or ECDSA, not %T", k.Public)
		}
		if _, dup := s.verify[k.KeyPairID]; dup {
			return nil, reel.Errorf(reel.EINVALID, "CloudFront key pair id %q given twice", k.KeyPairID)
		}
		s.verify[k.KeyPairID] = k.Public
	}
	return s, nil
}

// ParsePrivateKey reads a PEM private key: PKCS#1 RSA, SEC 1 EC or PKCS#8.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, reel.Errorf(reel.EINVALID, "no PEM block in the CloudFront private key")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, reel.Errorf(reel.EINVALID, "CloudFront private key: %v", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, reel.Errorf(reel.EINVALID, "CloudFront private key is a %T", key)
	}
	return signer, nil
}

// Sign returns the path token, the same for every video and expiry.
func (s *Signer) Sign(videoID string, expires time.Time) string { return Token }

// Verify refuses: a CloudFront grant is in the query or cookies, which
// VerifyRequest reads.
func (s *Signer) Verify(token, videoID string, now time.Time) error {
	return reel.Errorf(reel.EFORBIDDEN, "Invalid playback token.")
}

// policy is a custom policy, its fields spelled and ordered as CloudFront
// (and the AWS SDK) write them.
type policy struct {
	Statement []statement
}

type statement struct {
	Resource  string
	Condition condition
}

type condition struct {
	IPAddress       *json.RawMessage `json:"IpAddress,omitempty"`
	DateGreaterThan *epoch           `json:",omitempty"`
	DateLessThan    *epoch           `json:",omitempty"`
}

type epoch struct {
	Sec int64 `json:"AWS:EpochTime"`
}

// Policy returns the JSON custom policy granting resource until expires.
func Policy(resource string, expires time.Time) []byte {
	p := policy{Statement: []statement{{Resource: resource, Condition: condition{DateLessThan: &epoch{expires.Unix()}}}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // CloudFront reads the resource's '&' as it is
	enc.Encode(p)            // plain structs: cannot fail
	return bytes.TrimSpace(buf.Bytes())
}

// SignPolicy returns the Policy and Signature parameters of policy.
func (s *Signer) SignPolicy(policy []byte) (b64Policy, b64Signature string, err error) {
	digest := sha1.Sum(policy)
	var sig []byte
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA1, digest[:])
	default:
		sig, err = s.key.Sign(rand.Reader, digest[:], crypto.SHA1)
	}
	if err != nil {
		return "", "", reel.Errorf(reel.EINTERNAL, "sign CloudFront policy: %v", err)
	}
	return encode(policy), encode(sig), nil
}

// SignQuery returns the query string granting every file under prefixURL.
func (s *Signer) SignQuery(prefixURL, videoID string, expires time.Time) (string, error) {
	pol, sig, err := s.SignPolicy(Policy(prefixURL+"*", expires))
	if err != nil {
		return "", err
	}
	return "Policy=" + pol + "&Signature=" + sig + "&Key-Pair-Id=" + s.keyPairID, nil
}

// Cookies returns the signed cookies granting every file under prefixURL,
// an alternative to the query parameters for players that send cookies.
func (s *Signer) Cookies(prefixURL string, expires time.Time) ([]*http.Cookie, error) {
	pol, sig, err := s.SignPolicy(Policy(prefixURL+"*", expires))
	if err != nil {
		return nil, err
	}
	path := "/"
	if u, err := url.Parse(prefixURL); err == nil && u.Path != "" {
		path = u.Path
	}
	var cookies []*http.Cookie
	for _, c := range [][2]string{{"CloudFront-Policy", pol}, {"CloudFront-Signature", sig}, {"CloudFront-Key-Pair-Id", s.keyPairID}} {
		cookies = append(cookies, &http.Cookie{Name: c[0], Value: c[1], Path: path, Expires: expires, Secure: strings.HasPrefix(prefixURL, "https:"), HttpOnly: true})
	}
	return cookies, nil
}

// encoding is base64 with CloudFront's URL-safe substitutes for +, = and /.
var escaper = strings.NewReplacer("+", "-", "=", "_", "/", "~")

func encode(b []byte) string { return escaper.Replace(base64.StdEncoding.EncodeToString(b)) }

var unescaper = strings.NewReplacer("-", "+", "_", "=", "~", "/")

func decode(s string) ([]byte, error) {
	if strings.ContainsAny(s, "+=/") {
		return nil, base64.CorruptInputError(0) // one spelling only
	}
	return base64.StdEncoding.Strict().DecodeString(unescaper.Replace(s))
}
