package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"reel"
	"reel/cloudfront"
	"reel/nginx"
	"reel/token"
)

// signingConfig is how playback URLs are signed: the scheme, which the
// CDN in front checks at its edge, and the keys.
type signingConfig struct {
	Scheme string
	// KeyID names the current key (--signing-key or the data dir's) in
	// tokens; OldKeys are "id=secret,..." that still verify.
	KeyID   string
	OldKeys string
	// CloudFront key pair.
	KeyPairID      string
	PrivateKeyFile string
}

func (c *signingConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Scheme, "signing", "reel", "playback URL signing: reel (HMAC path token), nginx (secure_link token) or cloudfront (signed URLs)")
	fs.StringVar(&c.KeyID, "signing-key-id", "", "`id` of the signing key in tokens, 1-8 of [a-z0-9] (reel: none, nginx: 0)")
	fs.StringVar(&c.OldKeys, "signing-old-keys", "", "earlier signing keys still accepted until their URLs expire: `id=secret,...` (an empty id: reel's id-less key; cloudfront: KEY-PAIR-ID=private-key.pem)")
	fs.StringVar(&c.KeyPairID, "cloudfront-key-pair-id", "", "CloudFront public key `id` (--signing cloudfront)")
	fs.StringVar(&c.PrivateKeyFile, "cloudfront-private-key", "", "PEM `file` of the CloudFront private key, RSA or ECDSA (--signing cloudfront)")
}

func (c *signingConfig) validate() error {
	switch c.Scheme {
	case "reel", "nginx":
		if c.KeyPairID != "" || c.PrivateKeyFile != "" {
			return errors.New("--cloudfront-key-pair-id and --cloudfront-private-key need --signing cloudfront")
		}
	case "cloudfront":
		if c.KeyPairID == "" || c.PrivateKeyFile == "" {
			return errors.New("--signing cloudfront needs --cloudfront-key-pair-id and --cloudfront-private-key")
		}
		if c.KeyID != "" {
			return errors.New("--signing cloudfront names its key with --cloudfront-key-pair-id")
		}
	default:
		return fmt.Errorf("--signing %q: want reel, nginx or cloudfront", c.Scheme)
	}
	_, err := c.oldKeys()
	return err
}

// oldKeys parses --signing-old-keys.
func (c *signingConfig) oldKeys() ([]reel.SigningKey, error) {
	var keys []reel.SigningKey
	if c.OldKeys == "" {
		return nil, nil
	}
	for _, kv := range strings.Split(c.OldKeys, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || secret == "" {
			return nil, fmt.Errorf("--signing-old-keys: %q is not id=secret", kv)
		}
		keys = append(keys, reel.SigningKey{ID: id, Secret: []byte(secret)})
	}
	return keys, nil
}

// signer builds the configured scheme's signer around the current key.
func (c *signingConfig) signer(current []byte) (reel.Signer, error) {
	old, err := c.oldKeys()
	if err != nil {
		return nil, err
	}
	key := reel.SigningKey{ID: c.KeyID, Secret: current}
	switch c.Scheme {
	case "nginx":
		return nginx.New(key, old...)
	case "cloudfront":
		pem, err := os.ReadFile(c.PrivateKeyFile)
		if err != nil {
			return nil, err
		}
		private, err := cloudfront.ParsePrivateKey(pem)
		if err != nil {
			return nil, err
		}
		// Old key pairs are given by their private key files, which the
		// operator has; only the public half is kept.
		var oldPairs []cloudfront.OldKey
		for _, k := range old {
			pem, err := os.ReadFile(string(k.Secret))
			if err != nil {
				return nil, err
			}
			key, err := cloudfront.ParsePrivateKey(pem)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.Secret, err)
			}
			oldPairs = append(oldPairs, cloudfront.OldKey{KeyPairID: k.ID, Public: key.Public()})
		}
		return cloudfront.New(c.KeyPairID, private, oldPairs...)
	}
	return token.NewKeys(key, old...)
}
