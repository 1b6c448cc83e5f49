package reel

// The names of a video's outputs under its output prefix (OutputPrefix),
// in one place for the transcoder that writes them, the publisher that
// uploads them and the handlers that serve them:
//
//	master.m3u8          written last: a visible master means a complete video
//	poster.jpg           the poster the transcode made
//	poster-<id>.jpg      a poster the owner chose, one name per choice (Video.Poster)
//	storyboard_0.jpg     sprite sheets of thumbnails
//	storyboard.vtt       WebVTT cues: time → sheet#xywh=x,y,w,h
//	enc.key              AES-128 key, for encrypted videos only
//	download.mp4         the top H.264 rung and the audio as one file (--downloads)
//	audio.m4a            the audio alone (--downloads)
//	360p/index.m3u8      one folder per rendition, named after it: media playlist
//	360p/iframes.m3u8    I-frame playlist
//	360p/init.mp4        fMP4 initialization segment
//	360p/seg_00000.m4s   media segments
//	audio/index.m3u8     the audio rendition, in the same layout (no I-frame playlist)
//	subs1/index.m3u8     a subtitle track of the source: media playlist
//	subs1/seg_00000.vtt  WebVTT segments on the media segments' grid
//	captions/<lang>/<hash>/...  an uploaded caption, in the same layout
const (
	// MasterPlaylist is the master playlist. It is written last: a
	// visible master means a complete video.
	MasterPlaylist = "master.m3u8"
	// PosterImage is the poster.
	PosterImage = "poster.jpg"
	// StoryboardVTT maps times to regions of the storyboard's sheets.
	StoryboardVTT = "storyboard.vtt"
	// StoryboardPattern names the storyboard's sprite sheets, numbered
	// from 0 (a fmt pattern).
	StoryboardPattern = "storyboard_%d.jpg"
	// ContentKey is the AES-128 key of an encrypted video. It is served
	// only under a valid playback token and never cached by a shared
	// cache.
	ContentKey = "enc.key"
	// DownloadVideo is the download of the video: the top H.264 rung and
	// the default audio, remuxed into one MP4 (reel worker --downloads).
	DownloadVideo = "download.mp4"
	// DownloadAudio is the download of the default audio alone, as M4A.
	DownloadAudio = "audio.m4a"

	// MediaPlaylist is a rendition's media playlist, in its folder.
	MediaPlaylist = "index.m3u8"
	// IFramePlaylist is a rendition's I-frame playlist, in its folder.
	IFramePlaylist = "iframes.m3u8"
	// InitSegment is a rendition's fMP4 initialization segment.
	InitSegment = "init.mp4"
	// SegmentPattern names a rendition's media segments, numbered from 0
	// (a fmt pattern, as ffmpeg's -hls_segment_filename takes it).
	SegmentPattern = "seg_%05d.m4s"
	// SegmentSeconds is the length of every rendition's media segments
	// but the last, Apple's recommended 6 s; subtitle renditions are cut
	// on the same grid.
	SegmentSeconds = 6
)

// NewPosterFile returns a new name for a poster an owner chooses. Each
// choice gets its own name, since players, CDNs and reel's cache keep
// published files for long under their name.
func NewPosterFile() string { return "poster-" + NewID() + ".jpg" }

// PosterFile returns the file of v's poster: the one its owner chose, or
// the one the transcode made.
func (v *Video) PosterFile() string {
	if v.Poster != "" {
		return v.Poster
	}
	return PosterImage
}
