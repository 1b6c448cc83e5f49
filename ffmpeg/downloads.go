package ffmpeg

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"reel"
	"reel/bcp47"
)

// writeDownloads remuxes, without re-encoding, the finished ladder into the
// video's downloads: the top H.264 rung with the default audio as
// reel.DownloadVideo, and the default audio alone as reel.DownloadAudio. It
// reads the renditions' VOD playlists, so it runs after finishPlaylists
// (or a stitch), and names each file in the Download of the rendition it
// came from. H.264 is the rung every player of a plain MP4 decodes.
func (t *Transcoder) writeDownloads(ctx context.Context, outDir string, renditions []reel.Rendition) error {
	top, audio := -1, -1
	for i, r := range renditions {
		switch {
		case r.IsAudio():
			if audio < 0 || r.Default && !renditions[audio].Default {
				audio = i
			}
		case strings.HasPrefix(r.Codecs, "avc1") && (top < 0 || r.Height*r.Width > renditions[top].Height*renditions[top].Width):
			top = i
		}
	}
	playlist := func(i int) string { return filepath.Join(outDir, renditions[i].Name, reel.MediaPlaylist) }
	remux := func(out string, inputs ...int) error {
		args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
		for _, i := range inputs {
			args = append(args, "-i", playlist(i))
		}
		for n := range inputs {
			args = append(args, "-map", fmt.Sprintf("%d", n))
		}
		// The HLS muxer left the track's language out of the
		// rendition; the master carried it. A file has only its own.
		if audio >= 0 {
			if lang := bcp47.ToISO6392(renditions[audio].Language); lang != "" {
				args = append(args, "-metadata:s:a:0", "language="+lang)
			}
		}
		tmp := filepath.Join(outDir, "."+out) // hidden: the publisher skips it
		args = append(args, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", tmp)
		if _, err := t.run(ctx, t.ffmpeg(), args, nil); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("download %s: %w", out, err)
		}
		return os.Rename(tmp, filepath.Join(outDir, out))
	}
	if top >= 0 {
		inputs := []int{top}
		if audio >= 0 {
			inputs = append(inputs, audio)
		}
		if err := remux(reel.DownloadVideo, inputs...); err != nil {
			return err
		}
		renditions[top].Download = reel.DownloadVideo
	}
	if audio >= 0 {
		if err := remux(reel.DownloadAudio, audio); err != nil {
			return err
		}
		renditions[audio].Download = reel.DownloadAudio
	}
	return nil
}
