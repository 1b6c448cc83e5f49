package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"reel"
)

// A signed playback URL is a bearer capability until it expires, but
// /play/ also asks whether the video still exists and whether the token
// is still good for its visibility, so that deleting a video or making it
// private stops playback through reel within revocationDelay. The answer
// is cached per video for that long: one database query per video and
// process every few seconds, never one per segment.
//
// The rule for private videos: where the signer can mark tokens minted
// for a private video (privateSigner: the reel scheme), a private video
// plays only with such tokens, so every URL handed out while it was public
// or unlisted stops working when it turns private. Tokens minted while it
// was private were minted for its owner, viewers or admins. Schemes whose
// tokens cannot carry the mark (nginx, CloudFront, which an edge checks
// itself) are revoked by deletion only.

// revocationDelay is how long /play/ may go on serving a video after it
// was deleted or made private by another process.
const revocationDelay = 3 * time.Second

// playAllowed checks, after the token, that the video may still be played
// with it: ENOTFOUND once deleted, EFORBIDDEN for a token minted before it
// turned private. Without a video store (a server that only delivers)
// there is nothing to check. If the database cannot answer, the last
// state known holds (with none, the token alone decides): an outage must
// not stop every player.
func (s *Server) playAllowed(r *http.Request, id string) error {
	if s.Videos == nil {
		return nil
	}
	st, err := s.playStates.get(id, func() (playState, error) { return s.loadPlayState(r.Context(), id) })
	if errors.Is(err, context.Canceled) {
		return err // the player has gone
	} else if err != nil {
		s.Logger.Warn("play: video state unknown, serving on the last known state", "video", id, "err", err)
	}
	if !st.exists {
		return reel.Errorf(reel.ENOTFOUND, "No such video.")
	}
	if ps, ok := s.Signer.(privateSigner); ok && st.private && !ps.MintedPrivate(r.PathValue("token")) {
		return reel.Errorf(reel.EFORBIDDEN, "This video is private now: its link was made before. Ask for a new one.")
	}
	return nil
}

func (s *Server) loadPlayState(ctx context.Context, id string) (playState, error) {
	v, err := s.Videos.Video(ctx, id)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return playState{}, nil
	} else if err != nil {
		return playState{}, err
	}
	return playState{exists: true, private: v.Visibility == reel.VisibilityPrivate}, nil
}
