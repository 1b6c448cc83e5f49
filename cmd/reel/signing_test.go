package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/cloudfront"
	"reel/mediatest"
	"reel/nginx"
	"reel/token"
	"reel/web"
)

func parseServe(t *testing.T, args ...string) (*ServeCommand, error) {
	c := &ServeCommand{Lookup: func(string) (string, bool) { return "", false }}
	return c, c.ParseFlags(args)
}

func TestSigningFlagsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--signing", "akamai"},
		{"--signing", "cloudfront"},
		{"--signing", "cloudfront", "--cloudfront-key-pair-id", "K1"},
		{"--signing", "nginx", "--cloudfront-key-pair-id", "K1"},
		{"--signing", "cloudfront", "--cloudfront-key-pair-id", "K1", "--cloudfront-private-key", "k.pem", "--signing-key-id", "a"},
		{"--signing-old-keys", "nosecret"},
		{"--signing-old-keys", "a="},
	} {
		if _, err := parseServe(t, args...); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// Each scheme builds its signer, with key ids and old keys where it has them.
func TestSigningSchemes(t *testing.T) {
	key := []byte(testKey)
	old := "older-key-0123456789abcdef0123456789"
	now := time.Now()

	c, err := parseServe(t, "--signing-key-id", "k2", "--signing-old-keys", "k1="+old+", ="+old)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Signing.signer(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*token.Signer); !ok {
		t.Fatalf("default scheme gives %T", s)
	}
	k1, _ := token.NewKeys(reel.SigningKey{ID: "k1", Secret: []byte(old)})
	legacy, _ := token.New([]byte(old))
	for _, tok := range []string{k1.Sign("v", now.Add(time.Hour)), legacy.Sign("v", now.Add(time.Hour))} {
		if err := s.Verify(tok, "v", now); err != nil {
			t.Errorf("old key's token %q: %v", tok, err)
		}
	}

	c, _ = parseServe(t, "--signing", "nginx")
	if s, err = c.Signing.signer(key); err != nil {
		t.Fatal(err)
	}
	if tok := s.Sign("v", now); !strings.HasPrefix(tok, nginx.DefaultKeyID+".") {
		t.Errorf("nginx token %q", tok)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	pemFile := filepath.Join(t.TempDir(), "cf.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	c, err = parseServe(t, "--signing", "cloudfront", "--cloudfront-key-pair-id", "KTEST", "--cloudfront-private-key", pemFile)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = c.Signing.signer(key); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(web.RequestSigner); !ok || s.Sign("v", now) != cloudfront.Token {
		t.Errorf("cloudfront scheme gives %T", s)
	}
	// An old key pair by its private key file: its URLs still verify.
	oldKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ = x509.MarshalPKCS8PrivateKey(oldKey)
	oldFile := filepath.Join(t.TempDir(), "old.pem")
	os.WriteFile(oldFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	c.Signing.OldKeys = "KOLD=" + oldFile
	if s, err = c.Signing.signer(key); err != nil {
		t.Fatal(err)
	}
	oldSigner, _ := cloudfront.New("KOLD", oldKey)
	q, _ := oldSigner.SignQuery("https://cdn/play/cf/abcdefghijklmnop/", "abcdefghijklmnop", now.Add(time.Hour))
	r := httptest.NewRequest("GET", "https://cdn/play/cf/abcdefghijklmnop/master.m3u8?"+q, nil)
	r.SetPathValue("token", cloudfront.Token)
	if err := s.(web.RequestSigner).VerifyRequest(r, "abcdefghijklmnop", now); err != nil {
		t.Errorf("old key pair's URL: %v", err)
	}
	c.Signing.OldKeys = ""
	c.Signing.PrivateKeyFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := c.Signing.signer(key); err == nil {
		t.Error("missing private key file accepted")
	}
}

// With --signing cloudfront, the API's URL plays end to end in reel: each
// playlist hands on the grant to the URIs it lists, and a URL without it,
// or with its signature changed, is refused.
func TestCloudFrontPlayback(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(ec)
	pemFile := filepath.Join(t.TempDir(), "cf.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	s := startServer(t, "--signing", "cloudfront", "--cloudfront-key-pair-id", "KTEST", "--cloudfront-private-key", pemFile)
	status, v, e := s.upload(mediatest.Path(t, mediatest.AudioFirst), "cf")
	if status >= 300 {
		t.Fatalf("upload: %d %+v", status, e)
	}
	v = s.waitFinal(v.ID, 4*time.Minute)
	if v.Playback == nil {
		t.Fatalf("no playback: %+v", v)
	}
	master, query, ok := strings.Cut(v.Playback.URL, "?")
	if !ok || !strings.Contains(master, "/play/cf/"+v.ID+"/") || !strings.Contains(query, "Key-Pair-Id=KTEST") {
		t.Fatalf("playback URL %q", v.Playback.URL)
	}
	base := strings.TrimSuffix(master, reel.MasterPlaylist)
	resp, body := s.get(v.Playback.URL)
	mustStatus(t, "master", resp, body, 200)
	variants, _ := uris(string(body))
	if len(variants) == 0 || !strings.HasSuffix(variants[0], "?"+query) {
		t.Fatalf("variant URIs lack the grant: %q", variants)
	}
	resp, body = s.get(base + variants[0])
	mustStatus(t, "variant", resp, body, 200)
	dir := variants[0][:strings.LastIndexByte(variants[0], '/')+1]
	segments, initURI := uris(string(body))
	if !strings.HasSuffix(initURI, "?"+query) || len(segments) == 0 {
		t.Fatalf("media playlist URIs lack the grant: %q %q", initURI, segments)
	}
	for _, f := range append([]string{initURI}, segments...) {
		resp, body := s.get(base + dir + f)
		mustStatus(t, f, resp, body, 200)
	}
	resp, body = s.get(base+dir+segments[0], "Range", "bytes=0-99")
	mustStatus(t, "range", resp, body, 206)

	seg := base + dir + strings.Split(segments[0], "?")[0]
	resp, body = s.get(seg)
	mustStatus(t, "no grant", resp, body, 403)
	sig := strings.Index(query, "Signature=") + len("Signature=") + 5
	c := byte('A')
	if query[sig] == 'A' {
		c = 'B'
	}
	resp, body = s.get(seg + "?" + query[:sig] + string(c) + query[sig+1:])
	mustStatus(t, "changed signature", resp, body, 403)
}
