package video

import (
	"bytes"
	"context"

	"reel"
)

// SetPoster makes jpeg, a checked JPEG picture, the poster of a ready
// video: the owner's or an admin's right. The picture is published under
// a new name (reel.NewPosterFile), since players, CDNs and reel's cache
// keep a published file for long under its name; then the video names
// it, and the poster it replaces, if the owner had chosen one before, is
// deleted. The poster the transcode made stays.
func (s *Service) SetPoster(ctx context.Context, p *reel.Principal, id string, jpeg []byte) (*reel.Video, error) {
	v, err := s.Managed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := PosterReady(v); err != nil {
		return nil, err
	}
	name := reel.NewPosterFile()
	key := reel.OutputPrefix(v.ID) + name
	if _, err := s.Outputs.Put(ctx, key, bytes.NewReader(jpeg)); err != nil {
		return nil, err
	}
	u, err := s.Videos.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Poster: &name})
	log := s.logger().With("video", v.ID)
	if err != nil {
		// Deleted meanwhile, or the database failed: the picture names
		// nothing.
		if derr := s.Outputs.Delete(context.WithoutCancel(ctx), key); derr != nil {
			log.Error("delete unused poster", "key", key, "err", derr)
		}
		return nil, err
	}
	if v.Poster != "" && v.Poster != name {
		if err := s.Outputs.Delete(context.WithoutCancel(ctx), reel.OutputPrefix(v.ID)+v.Poster); err != nil {
			log.Warn("delete replaced poster", "file", v.Poster, "err", err)
		}
	}
	return u, nil
}

// PosterReady reports why v's poster cannot be chosen yet, or nil: a
// video gets its poster, and a choice of another, once it is ready.
func PosterReady(v *reel.Video) error {
	if v.Status != reel.StatusReady {
		return reel.Errorf(reel.ECONFLICT, "The video is %s; its poster can be chosen once it is ready.", v.Status)
	}
	return nil
}
