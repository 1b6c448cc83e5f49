package reel

import "time"

// Signer makes and checks the tokens of playback URLs. A token is one path
// segment (/play/<token>/<video-id>/...), so every URI in a playlist,
// being relative, inherits it.
type Signer interface {
	// Sign returns a token that grants playback of the video until expires.
	Sign(videoID string, expires time.Time) string
	// Verify returns nil if token grants playback of the video at now, an
	// *Error with EEXPIRED if it did but has expired, and one with
	// EFORBIDDEN otherwise.
	Verify(token, videoID string, now time.Time) error
}
