// Package webhook signs and sends reel's webhook deliveries on the
// Standard Webhooks specification (https://www.standardwebhooks.com):
// a POST of a JSON body with the headers webhook-id (the same on every
// attempt of one message), webhook-timestamp (Unix seconds of the
// attempt) and webhook-signature ("v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body"), keyed by the bytes of the secret: the secret is
// shown as "whsec_" followed by the base64 of those bytes.
//
// Sender refuses, unless told otherwise, receivers on loopback, private,
// link-local, unique-local, CGNAT and metadata addresses, at the address
// it actually dials, so a name that resolves elsewhere between the check
// and the delivery (DNS rebinding) is refused too.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"reel"
)

// secretPrefix starts every secret, as the specification writes them.
const secretPrefix = "whsec_"

// NewSecret returns a new secret: 32 random bytes, as whsec_<base64>.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand's documentation)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// key returns the HMAC key of secret: the bytes after whsec_, base64-decoded.
func key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(k) == 0 {
		return nil, fmt.Errorf("webhook secret is not whsec_<base64>")
	}
	return k, nil
}

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" keyed by the secret's bytes.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Message is the JSON body of a delivery.
type Message struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"` // when the event happened
	Data      json.RawMessage `json:"data"`      // the video, as the API shows it
}

// CheckEvents returns a clear error unless events is a non-empty list of
// known event names without repeats.
func CheckEvents(events []string) error {
	if len(events) == 0 {
		return reel.Errorf(reel.EINVALID, "Name at least one event: %s.", strings.Join(reel.WebhookEvents, ", "))
	}
	seen := map[string]bool{}
	for _, e := range events {
		if !reel.ValidWebhookEvent(e) {
			return reel.Errorf(reel.EINVALID, "Unknown event %q; the events are %s.", e, strings.Join(reel.WebhookEvents, ", "))
		}
		if seen[e] {
			return reel.Errorf(reel.EINVALID, "The event %q is named twice.", e)
		}
		seen[e] = true
	}
	return nil
}

// ParseURL returns u as a receiver's URL: absolute, http or https, with a
// host, without credentials or fragment, at most 2048 bytes.
func ParseURL(u string) (*url.URL, error) {
	bad := func(why string) error {
		return reel.Errorf(reel.EINVALID, "The webhook URL %s.", why)
	}
	if len(u) > 2048 {
		return nil, bad("is longer than 2048 bytes")
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return nil, bad("does not parse")
	case p.Scheme != "http" && p.Scheme != "https":
		return nil, bad("must start with http:// or https://")
	case p.Hostname() == "":
		return nil, bad("has no host")
	case p.User != nil:
		return nil, bad("must not carry a user name or password")
	case p.Fragment != "" || strings.Contains(u, "#"):
		return nil, bad("must not have a fragment")
	}
	return p, nil
}
