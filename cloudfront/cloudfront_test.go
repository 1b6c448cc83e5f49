package cloudfront_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"reel"
	"reel/cloudfront"
)

const (
	keyPairID = "K2JCJMDEHXQW5F"
	video     = "abcdefghijklmnop"
	prefix    = "https://cdn.example.com/play/cf/" + video + "/"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func keys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey, ecKey
}

func newSigner(t testing.TB, key crypto.Signer) *cloudfront.Signer {
	s, err := cloudfront.New(keyPairID, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sdkPolicy(expires time.Time) *sign.Policy {
	return &sign.Policy{Statements: []sign.Statement{{
		Resource:  prefix + "*",
		Condition: sign.Condition{DateLessThan: sign.NewAWSEpochTime(expires)},
	}}}
}

// RSA PKCS#1 v1.5 signatures are deterministic: reel's signed URL must be
// the SDK's, byte for byte.
func TestSignedURLMatchesSDK(t *testing.T) {
	key, _ := keys(t)
	expires := time.Unix(1_900_000_000, 0)
	want, err := sign.NewURLSigner(keyPairID, key).SignWithPolicy(prefix+"master.m3u8", sdkPolicy(expires))
	if err != nil {
		t.Fatal(err)
	}
	q, err := newSigner(t, key).SignQuery(prefix, video, expires)
	if err != nil {
		t.Fatal(err)
	}
	if got := prefix + "master.m3u8?" + q; got != want {
		t.Errorf("signed URL\n got %s\nwant %s", got, want)
	}
}

func TestSignedCookiesMatchSDK(t *testing.T) {
	key, _ := keys(t)
	expires := time.Unix(1_900_000_000, 0)
	want, err := sign.NewCookieSigner(keyPairID, key).SignWithPolicy(sdkPolicy(expires))
	if err != nil {
		t.Fatal(err)
	}
	got, err := newSigner(t, key).Cookies(prefix, expires)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d cookies, SDK makes %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Value != want[i].Value {
			t.Errorf("cookie %d = %s=%s, SDK: %s=%s", i, got[i].Name, got[i].Value, want[i].Name, want[i].Value)
		}
	}
}

// ECDSA signatures are randomised: each side must accept the other's.
func TestECDSAAgreesWithSDK(t *testing.T) {
	_, key := keys(t)
	s := newSigner(t, key)
	expires := time.Unix(1_900_000_000, 0)
	now := expires.Add(-time.Hour)
	sdkURL, err := sign.NewURLSigner(keyPairID, key).SignWithPolicy(prefix+"master.m3u8", sdkPolicy(expires))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyRequest(playRequest(sdkURL), video, now); err != nil {
		t.Errorf("reel refuses the SDK's ECDSA URL: %v", err)
	}
	q, _ := s.SignQuery(prefix, video, expires)
	sdkQ := sdkURL[strings.IndexByte(sdkURL, '?')+1:]
	// Same policy parameter; the signature differs only by randomness.
	if strings.Split(q, "&")[0] != strings.Split(sdkQ, "&")[0] {
		t.Errorf("policy differs from the SDK's:\n%s\n%s", q, sdkQ)
	}
	if err := s.VerifyRequest(playRequest(prefix+"seg.m4s?"+q), video, now); err != nil {
		t.Errorf("reel's own ECDSA URL: %v", err)
	}
}

func playRequest(url string) *http.Request {
	r := httptest.NewRequest("GET", url, nil)
	r.SetPathValue("token", cloudfront.Token)
	return r
}

func TestVerifyRequest(t *testing.T) {
	key, _ := keys(t)
	s := newSigner(t, key)
	expires := time.Unix(1_900_000_000, 0)
	now := expires.Add(-time.Hour)
	q, _ := s.SignQuery(prefix, video, expires)
	other, _ := s.SignQuery("https://cdn.example.com/play/cf/bbbbbbbbbbbbbbbb/", "bbbbbbbbbbbbbbbb", expires)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged, _ := newSigner(t, otherKey).SignQuery(prefix, video, expires)
	tests := []struct {
		name, url string
		now       time.Time
		want      string
	}{
		{"valid", prefix + "v0/seg1.m4s?" + q, now, ""},
		{"expired", prefix + "master.m3u8?" + q, expires, reel.EEXPIRED},
		{"other video's grant", prefix + "master.m3u8?" + other, now, reel.EFORBIDDEN},
		{"other key", prefix + "master.m3u8?" + forged, now, reel.EFORBIDDEN},
		{"wrong key pair id", prefix + "master.m3u8?" + strings.Replace(q, keyPairID, "KOTHER", 1), now, reel.EFORBIDDEN},
		{"no grant", prefix + "master.m3u8", now, reel.EFORBIDDEN},
		{"canned", prefix + "master.m3u8?Expires=1900000000&Signature=AAAA&Key-Pair-Id=" + keyPairID, now, reel.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reel.ErrorCode(s.VerifyRequest(playRequest(tt.url), video, tt.now)); got != tt.want {
				t.Errorf("code %q, want %q", got, tt.want)
			}
		})
	}
	// Every character of Policy and Signature counts.
	const alphabet = "AZaz09-_~."
	for i := range len("Policy=") + 60 {
		for _, c := range alphabet {
			if i < len("Policy=") || byte(c) == q[i] {
				continue
			}
			bad := q[:i] + string(c) + q[i+1:]
			if s.VerifyRequest(playRequest(prefix+"master.m3u8?"+bad), video, now) == nil {
				t.Fatalf("character %d of the query changed to %q verifies", i, c)
			}
		}
	}
	sigAt := strings.Index(q, "Signature=") + len("Signature=")
	for i := sigAt; i < sigAt+40; i++ {
		c := byte('A')
		if q[i] == 'A' {
			c = 'B'
		}
		if s.VerifyRequest(playRequest(prefix+"master.m3u8?"+q[:i]+string(c)+q[i+1:]), video, now) == nil {
			t.Fatalf("signature character %d changed verifies", i-sigAt)
		}
	}
}

func TestVerifyCookies(t *testing.T) {
	key, _ := keys(t)
	s := newSigner(t, key)
	expires := time.Unix(1_900_000_000, 0)
	cookies, _ := s.Cookies(prefix, expires)
	r := playRequest(prefix + "master.m3u8")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	if err := s.VerifyRequest(r, video, expires.Add(-time.Minute)); err != nil {
		t.Errorf("signed cookies refused: %v", err)
	}
}

func TestParsePrivateKey(t *testing.T) {
	rk, ek := keys(t)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ek)
	sec1, _ := x509.MarshalECPrivateKey(ek)
	for name, block := range map[string]*pem.Block{
		"pkcs1": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)},
		"pkcs8": {Type: "PRIVATE KEY", Bytes: pkcs8},
		"sec1":  {Type: "EC PRIVATE KEY", Bytes: sec1},
	} {
		if _, err := cloudfront.ParsePrivateKey(pem.EncodeToMemory(block)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := cloudfront.ParsePrivateKey([]byte("not pem")); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("garbage: %v", err)
	}
}

// After a rotation, URLs of the old key pair still verify (as they do at
// CloudFront while its public key stays in the key group); an unknown key
// pair id is refused.
func TestRotation(t *testing.T) {
	rk, ek := keys(t)
	expires := time.Unix(1_900_000_000, 0)
	now := expires.Add(-time.Hour)
	before := newSigner(t, rk)
	handedOut, _ := before.SignQuery(prefix, video, expires)
	after, err := cloudfront.New("KNEW", ek, cloudfront.OldKey{KeyPairID: keyPairID, Public: rk.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if err := after.VerifyRequest(playRequest(prefix+"master.m3u8?"+handedOut), video, now); err != nil {
		t.Errorf("URL of the old key pair: %v", err)
	}
	fresh, _ := after.SignQuery(prefix, video, expires)
	if !strings.HasSuffix(fresh, "Key-Pair-Id=KNEW") || after.VerifyRequest(playRequest(prefix+"x.m4s?"+fresh), video, now) != nil {
		t.Errorf("new URL %q not signed by KNEW or refused", fresh)
	}
	// The old signer knows nothing of KNEW.
	if before.VerifyRequest(playRequest(prefix+"x.m4s?"+fresh), video, now) == nil {
		t.Error("unknown key pair id accepted")
	}
	// A grant naming the old id but signed by the new key is refused.
	swapped := strings.Replace(fresh, "Key-Pair-Id=KNEW", "Key-Pair-Id="+keyPairID, 1)
	if after.VerifyRequest(playRequest(prefix+"x.m4s?"+swapped), video, now) == nil {
		t.Error("signature checked under the wrong key pair")
	}
	if _, err := cloudfront.New("KNEW", ek, cloudfront.OldKey{KeyPairID: "KNEW", Public: rk.Public()}); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("duplicate key pair id: %v", err)
	}
}
