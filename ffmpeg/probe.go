package ffmpeg

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"reel"
)

// Probe is what reel needs to know about a source before planning its
// ladder: parsed from ffprobe's JSON by ParseProbe.
type Probe struct {
	FormatName string  // ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Duration   float64 // seconds; 0 when the container does not say

	// Video is the first real video stream (cover art is skipped); its
	// zero value, with an empty Codec, when the source is audio only.
	Video VideoStream
	// Audio is the audio track reel publishes: the first decodable one
	// marked default, else the first decodable one; nil when there is none.
	Audio *AudioStream
	// AudioTracks is every decodable audio stream, in the file's order.
	AudioTracks []AudioStream
	// Subtitles is every text subtitle track (SubRip, ASS/SSA, mov_text,
	// WebVTT), in the file's order: each becomes a WebVTT rendition.
	Subtitles []SubtitleStream
	// Ignored is every other stream reel leaves out: a second video,
	// image-based subtitles, data, attachments, audio it cannot decode.
	// Cover art is not listed.
	Ignored []IgnoredStream
}

// SubtitleStream describes a text subtitle track.
type SubtitleStream struct {
	Index    int    // the stream's index in the file, for -map
	Codec    string // ffprobe's codec_name, e.g. "subrip", "ass", "mov_text"
	Language string // ISO 639-2 from the tags, "" when unknown
	Title    string // from the tags, "" when none
	Default  bool   // marked as the track to show by default
	Forced   bool   // only the forced narrative: foreign dialogue, signs
}

// textSubtitles are the subtitle codecs ffmpeg turns into WebVTT text.
// Image-based ones (PGS, DVD, DVB) would need OCR.
var textSubtitles = map[string]bool{"subrip": true, "srt": true, "ass": true, "ssa": true, "mov_text": true, "webvtt": true, "text": true}

// VideoStream describes the video stream reel transcodes.
type VideoStream struct {
	Index        int      // the stream's index in the file, for -map
	Codec        string   // ffprobe's codec_name, e.g. "h264"
	Width        int      // as stored, before sample aspect and rotation
	Height       int      // as stored, before sample aspect and rotation
	SampleAspect Rational // pixel shape; 1:1 when unknown
	FrameRate    Rational // average rate (avg_frame_rate, else frames over duration, else r_frame_rate); zero when unknown
	RFrameRate   Rational // r_frame_rate: the lowest rate at which every timestamp falls on a frame; zero when unknown
	Rotation     int      // clockwise degrees the player turns the picture: 0, 90, 180 or 270
	PixFmt       string   // e.g. "yuv420p"
	BitDepth     int      // bits per sample: bits_per_raw_sample, else from PixFmt; 0 when unknown
	FieldOrder   string   // "progressive", "tt", "bb", "tb", "bt", or "" when unknown
	// Colour description, as ffprobe names it ("" when unknown).
	ColorTransfer  string // e.g. "bt709", "smpte2084" (PQ), "arib-std-b67" (HLG)
	ColorPrimaries string // e.g. "bt709", "bt2020"
	ColorSpace     string // the matrix, e.g. "bt709", "bt2020nc"
	ColorRange     string // "tv" (limited) or "pc" (full)
}

// AudioStream describes an audio stream.
type AudioStream struct {
	Index         int // the stream's index in the file, for -map
	Codec         string
	Channels      int
	ChannelLayout string // e.g. "stereo", "5.1(side)"
	SampleRate    int
	Default       bool   // marked as the track to play by default
	Language      string // ISO 639-2 from the tags, "" when unknown
	Title         string // from the tags, "" when none
	// From the dispositions: a commentary track (or one titled so), and
	// one describing the picture for the visually impaired.
	Commentary  bool
	Descriptive bool
}

// IgnoredStream is a stream reel leaves out of the renditions.
type IgnoredStream struct {
	Index       int
	Type        string // ffprobe's codec_type: "video", "audio", "subtitle", "data", "attachment"
	Codec       string // a readable codec name, "" when unknown
	Undecodable bool   // this ffmpeg has no decoder for it
}

// HasVideo reports whether the source has a video stream; without one it
// is audio only.
func (p *Probe) HasVideo() bool { return p.Video.Codec != "" }

// HasAudio reports whether the source has an audio stream reel can use.
func (p *Probe) HasAudio() bool { return p.Audio != nil }

// DisplaySize returns the size the source is meant to be seen at: stored
// size stretched by the sample aspect ratio (anamorphic sources), then
// turned by the rotation (phone videos shot upright). It is 0x0 for an
// audio-only source.
func (p *Probe) DisplaySize() (w, h int) {
	if !p.HasVideo() {
		return 0, 0
	}
	fw, fh := float64(p.Video.Width), float64(p.Video.Height)
	if sar := p.Video.SampleAspect.Float(); sar > 0 && sar != 1 {
		fw *= sar
	}
	w, h = max(1, int(math.Round(fw))), max(1, int(math.Round(fh)))
	if p.Video.Rotation == 90 || p.Video.Rotation == 270 {
		w, h = h, w
	}
	return w, h
}

// Interlaced reports whether the stream says it holds interlaced fields.
func (v *VideoStream) Interlaced() bool {
	switch v.FieldOrder {
	case "tt", "bb", "tb", "bt":
		return true
	}
	return false
}

// HDR returns "PQ" or "HLG" for a high dynamic range stream, by its
// transfer function, and "" for standard dynamic range.
func (v *VideoStream) HDR() string {
	switch v.ColorTransfer {
	case "smpte2084":
		return "PQ"
	case "arib-std-b67":
		return "HLG"
	}
	return ""
}

// vfrMargin is how far apart r_frame_rate and the average rate must be
// for a stream to count as variable frame rate: containers round either a
// little (29.97 against 30000/1001), phones skip far more.
const vfrMargin = 0.02

// VariableFrameRate reports whether frames come at uneven intervals, as
// phones record: the rate that fits every timestamp (r_frame_rate) is
// not the average rate. An r_frame_rate of exactly twice the average is
// a field rate (interlaced video coded as fields, whether or not the
// stream says so), not a variable rate.
func (v *VideoStream) VariableFrameRate() bool {
	r, avg := v.RFrameRate.Float(), v.FrameRate.Float()
	if r <= 0 || avg <= 0 {
		return false
	}
	if math.Abs(r-2*avg) <= vfrMargin*avg {
		return false
	}
	return math.Abs(r-avg) > vfrMargin*avg
}

// streamJSON mirrors the parts of one of ffprobe's streams that reel reads.
type streamJSON struct {
	Index             int               `json:"index"`
	CodecName         string            `json:"codec_name"`
	CodecType         string            `json:"codec_type"`
	CodecTagString    string            `json:"codec_tag_string"`
	Width             int               `json:"width"`
	Height            int               `json:"height"`
	SampleAspectRatio string            `json:"sample_aspect_ratio"`
	PixFmt            string            `json:"pix_fmt"`
	FieldOrder        string            `json:"field_order"`
	ColorRange        string            `json:"color_range"`
	ColorSpace        string            `json:"color_space"`
	ColorTransfer     string            `json:"color_transfer"`
	ColorPrimaries    string            `json:"color_primaries"`
	BitsPerRawSample  string            `json:"bits_per_raw_sample"`
	RFrameRate        string            `json:"r_frame_rate"`
	AvgFrameRate      string            `json:"avg_frame_rate"`
	NbFrames          string            `json:"nb_frames"`
	Duration          string            `json:"duration"`
	StartTime         string            `json:"start_time"`
	Channels          int               `json:"channels"`
	ChannelLayout     string            `json:"channel_layout"`
	SampleRate        string            `json:"sample_rate"`
	Disposition       map[string]int    `json:"disposition"`
	Tags              map[string]string `json:"tags"`
	SideDataList      []sideData        `json:"side_data_list"`
}

// probeJSON mirrors the parts of ffprobe's JSON that reel reads.
type probeJSON struct {
	Streams []streamJSON `json:"streams"`
	Packets []struct {
		StreamIndex  int        `json:"stream_index"`
		SideDataList []sideData `json:"side_data_list"`
	} `json:"packets"`
	Format *struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		StartTime  string `json:"start_time"`
	} `json:"format"`
}

// sideData is one entry of a stream's or packet's side_data_list.
type sideData struct {
	SideDataType string  `json:"side_data_type"`
	Rotation     float64 `json:"rotation"`
}

// Sentences shown to the uploader when the source cannot be used.
const (
	msgNotVideo   = "The file is not a video or audio file this server can read."
	msgIncomplete = "The file is incomplete or damaged; upload the complete file again."
	msgNoStreams  = "The file has neither a video nor an audio stream."
	msgPlaylist   = "The file is a playlist or a list of other files, not a video."
	msgImage      = "The file is a still image, not a video."
	msgBadSize    = "The video's picture size is not supported."
	msgUndecoded  = "The file uses a codec this server cannot decode."
	msgEncrypted  = "The file is encrypted (DRM-protected), so this server cannot decode it."
)

// refusedFormat returns the sentence for a demuxer reel never lets ffmpeg
// use on an upload: playlists and lists make ffmpeg open other files or
// URLs named inside the upload (a known way to read files off a server),
// and the rest are not videos.
func refusedFormat(name string) (string, bool) {
	switch {
	case name == "hls" || name == "dash" || name == "concat" || name == "webm_dash_manifest" || name == "sdp":
		return msgPlaylist, true
	case name == "tty": // text shown as ANSI art
		return msgNotVideo, true
	case name == "image2" || strings.HasSuffix(name, "_pipe"): // jpeg_pipe, png_pipe...
		return msgImage, true
	}
	return "", false
}

// ParseProbe parses the JSON printed by `ffprobe -print_format json
// -show_format -show_streams` (and, optionally, -show_packets for the
// first packets). It returns an *reel.Error with EINVALID when the file is
// neither a video nor an audio file reel can use, and a plain error when
// the JSON itself is malformed. A file with audio and no video is an
// audio-only source, not an error.
func ParseProbe(data []byte) (*Probe, error) {
	var j probeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("parse ffprobe output: %w", err)
	}
	// ffprobe prints "{}" with status 0 for some inputs it cannot open.
	if j.Format == nil || len(j.Streams) == 0 {
		return nil, reel.Errorf(reel.EINVALID, msgNotVideo)
	}
	p := &Probe{FormatName: j.Format.FormatName}
	for _, name := range strings.Split(j.Format.FormatName, ",") {
		if msg, refused := refusedFormat(name); refused {
			return nil, reel.Errorf(reel.EINVALID, "%s", msg)
		}
	}
	// Encrypted (CENC) packets carry their encryption info as side data.
	// One is enough: a file encrypts all its tracks or none that matter.
	encrypted := false
	for _, pkt := range j.Packets {
		for _, sd := range pkt.SideDataList {
			encrypted = encrypted || sd.SideDataType == "Encryption info"
		}
	}
	if encrypted {
		return nil, reel.Errorf(reel.EINVALID, msgEncrypted)
	}

	var video *streamJSON
	var badAudio *streamJSON // the first audio stream that cannot be used
	for i := range j.Streams {
		s := &j.Streams[i]
		switch s.CodecType {
		case "video":
			// Cover art and thumbnails are pictures attached to audio, not video.
			if s.Disposition["attached_pic"] != 0 || s.Disposition["timed_thumbnails"] != 0 {
				continue
			}
			if video == nil {
				video = s
				continue
			}
			p.ignore(s, false)
		case "audio":
			if !known(s.CodecName) {
				p.ignore(s, true)
				if badAudio == nil {
					badAudio = s
				}
				continue
			}
			rate, _ := strconv.Atoi(s.SampleRate)
			p.AudioTracks = append(p.AudioTracks, AudioStream{
				Index: s.Index, Codec: s.CodecName, Channels: s.Channels, ChannelLayout: s.ChannelLayout,
				SampleRate: rate, Default: s.Disposition["default"] != 0,
				Language: language(s.Tags["language"]), Title: s.Tags["title"],
				Commentary:  s.Disposition["comment"] != 0 || strings.Contains(strings.ToLower(s.Tags["title"]), "commentary"),
				Descriptive: s.Disposition["visual_impaired"] != 0 || s.Disposition["descriptions"] != 0,
			})
		case "subtitle":
			if !textSubtitles[s.CodecName] {
				p.ignore(s, false) // image-based: reported as not converted
				continue
			}
			p.Subtitles = append(p.Subtitles, SubtitleStream{
				Index: s.Index, Codec: s.CodecName, Language: language(s.Tags["language"]), Title: s.Tags["title"],
				Default: s.Disposition["default"] != 0, Forced: s.Disposition["forced"] != 0,
			})
		default: // data, attachment, or what ffprobe could not tell
			p.ignore(s, false)
		}
	}
	p.Audio = pickAudio(p.AudioTracks)

	// The container's duration covers every stream; a stream's is the
	// fallback for containers that only know it per stream.
	p.Duration = parseSeconds(j.Format.Duration)
	if start := parseSeconds(j.Format.StartTime); start > 0 && p.Duration > start && countsFromZero(j.Format.FormatName, start, p.Duration, j.Streams) {
		p.Duration -= start
	}
	if video == nil {
		switch {
		case p.Audio != nil: // audio only
			if p.Duration == 0 {
				p.Duration = parseSeconds(streamByIndex(j.Streams, p.Audio.Index).Duration)
			}
			return p, nil
		case badAudio != nil:
			return nil, reel.Errorf(reel.EINVALID, "%s", undecodableMessage("audio", badAudio.CodecName, badAudio.CodecTagString))
		}
		return nil, reel.Errorf(reel.EINVALID, msgNoStreams)
	}

	s := video
	if !known(s.CodecName) {
		return nil, reel.Errorf(reel.EINVALID, "%s", undecodableMessage("video", s.CodecName, s.CodecTagString))
	}
	// ffprobe leaves the size at 0 when no decoder could read a frame; the
	// upper bound keeps later arithmetic far from overflow.
	if s.Width <= 0 || s.Height <= 0 || s.Width > 16384 || s.Height > 16384 {
		return nil, reel.Errorf(reel.EINVALID, msgBadSize)
	}
	p.Video = VideoStream{
		Index:          s.Index,
		Codec:          s.CodecName,
		Width:          s.Width,
		Height:         s.Height,
		PixFmt:         s.PixFmt,
		BitDepth:       bitDepth(s.BitsPerRawSample, s.PixFmt),
		Rotation:       rotation(s.Tags["rotate"], s.SideDataList),
		FieldOrder:     knownValue(s.FieldOrder),
		ColorTransfer:  knownValue(s.ColorTransfer),
		ColorPrimaries: knownValue(s.ColorPrimaries),
		ColorSpace:     knownValue(s.ColorSpace),
		ColorRange:     knownValue(s.ColorRange),
	}
	p.Video.SampleAspect = sampleAspect(s.SampleAspectRatio)
	p.Video.RFrameRate, _ = ParseRational(s.RFrameRate)
	if r, ok := ParseRational(s.AvgFrameRate); ok {
		p.Video.FrameRate = r
	} else if r, ok := framesOverDuration(s.NbFrames, s.Duration); ok {
		p.Video.FrameRate = r
	} else {
		p.Video.FrameRate = p.Video.RFrameRate
	}
	if p.Duration == 0 {
		p.Duration = parseSeconds(s.Duration)
	}
	// A subtitle cue running past the picture stretches the container's
	// duration, which covers every stream: the video lasts as long as its
	// picture and sound, and taking the subtitles' end would report the
	// file as holding less than it claims.
	if av, subs := streamsEnd(j.Streams, video, p.AudioTracks); av > 0 && av < p.Duration && subs > av {
		p.Duration = av
	}
	return p, nil
}

// countsFromZero reports whether the format's duration, as ffprobe gives
// it, runs from timestamp 0 rather than from the first frame, which starts
// at start. Matroska's segment duration is its last timestamp, always. An
// MP4 movie header counts an empty edit before a late first frame (a
// recording cut from a longer one, a file made with -output_ts_offset)
// but not the small offset priming or B-frames give a first frame: the
// streams' own ends, start plus duration, tell which it is. MPEG-TS and
// the formats ffmpeg times from their packets give the span of the
// frames. Taken from 0, a file starting at 10 s "claimed" 10 s more than
// its frames hold, was reported as missing them, and split into a last
// piece past its end that held nothing.
func countsFromZero(format string, start, duration float64, streams []streamJSON) bool {
	for _, name := range strings.Split(format, ",") {
		switch name {
		case "matroska", "webm":
			return true
		case "mov", "mp4":
			var end float64
			for _, s := range streams {
				if d := parseSeconds(s.Duration); d > 0 && (s.CodecType == "video" || s.CodecType == "audio") {
					end = max(end, parseSeconds(s.StartTime)+d)
				}
			}
			return end > 0 && math.Abs(duration-end) < math.Abs(duration-(end-start))
		}
	}
	return false
}

// streamsEnd returns how long the video stream and the audio tracks
// last, the longest of them (0 when one of them does not say), and how
// long the subtitle streams last. Each stream's duration is ffprobe's,
// else Matroska's DURATION tag (ffmpeg's muxer writes one per track).
func streamsEnd(streams []streamJSON, video *streamJSON, audio []AudioStream) (av, subs float64) {
	of := func(s *streamJSON) float64 {
		if d := parseSeconds(s.Duration); d > 0 {
			return d
		}
		if d, ok := parseClock(s.Tags["DURATION"]); ok && d > 0 && !math.IsInf(d, 0) {
			return d
		}
		return 0
	}
	if av = of(video); av == 0 {
		return 0, 0
	}
	for _, a := range audio {
		as := streamByIndex(streams, a.Index)
		d := of(&as)
		if d == 0 {
			return 0, 0
		}
		av = max(av, d)
	}
	for i := range streams {
		if streams[i].CodecType == "subtitle" {
			subs = max(subs, of(&streams[i]))
		}
	}
	return av, subs
}

// ignore records s as left out.
func (p *Probe) ignore(s *streamJSON, undecodable bool) {
	typ := s.CodecType
	if typ == "" {
		typ = "data"
	}
	p.Ignored = append(p.Ignored, IgnoredStream{
		Index: s.Index, Type: typ, Codec: codecName(s.CodecName, s.CodecTagString), Undecodable: undecodable,
	})
}

// pickAudio returns the track a player would pick: the first marked
// default, else the first.
func pickAudio(tracks []AudioStream) *AudioStream {
	for i := range tracks {
		if tracks[i].Default {
			return &tracks[i]
		}
	}
	if len(tracks) > 0 {
		return &tracks[0]
	}
	return nil
}

// known reports whether ffprobe named the codec: it leaves codec_name out
// (or says "none") for codecs this ffmpeg does not know.
func known(codec string) bool { return codec != "" && codec != "none" }

// knownValue returns ffprobe's value for a property, "" for "unknown" and "unspecified".
func knownValue(v string) string {
	if v == "unknown" || v == "unspecified" || v == "N/A" {
		return ""
	}
	return v
}

// language returns an ISO 639-2 language tag, "" for "und" (undetermined).
func language(tag string) string {
	if tag == "und" || len(tag) > 16 {
		return ""
	}
	return tag
}

func streamByIndex(streams []streamJSON, index int) streamJSON {
	for _, s := range streams {
		if s.Index == index {
			return s
		}
	}
	return streamJSON{}
}

// pixFmtDepth finds the bit depth in pixel format names like
// yuv420p10le or gray12be.
var pixFmtDepth = regexp.MustCompile(`[a-z](9|10|12|14|16)(le|be)$`)

// bitDepth returns bits per sample from bits_per_raw_sample, else from the
// pixel format's name: 8 for plain formats, 0 when there is none.
func bitDepth(raw, pixFmt string) int {
	if n, err := strconv.Atoi(raw); err == nil && n > 0 && n <= 32 {
		return n
	}
	if m := pixFmtDepth.FindStringSubmatch(pixFmt); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if pixFmt != "" {
		return 8
	}
	return 0
}

// framesOverDuration returns the average frame rate from a frame count and
// a duration in seconds, to a millisecond of a frame.
func framesOverDuration(frames, duration string) (Rational, bool) {
	n, err := strconv.Atoi(frames)
	d := parseSeconds(duration)
	if err != nil || n <= 0 || d <= 0 || float64(n)/d > 1000 {
		return Rational{}, false
	}
	return Rational{int(math.Round(float64(n) / d * 1000)), 1000}, true
}

// sampleAspect parses a sample aspect ratio, treating unknown ("N/A",
// "0:1") and absurd values (beyond 4:1 either way) as square pixels, and
// those within 1 % of square too: scalers leave ratios like 9712:9729
// behind, which change nothing anyone could see.
func sampleAspect(s string) Rational {
	r, ok := ParseRational(s)
	if !ok || r.Float() < 0.25 || r.Float() > 4 || math.Abs(r.Float()-1) < 0.01 {
		return Rational{1, 1}
	}
	return r
}

// rotation returns the clockwise rotation in degrees, normalized to 0, 90,
// 180 or 270. ffmpeg 5+ reports it as display-matrix side data (counter-
// clockwise); older files and tools carry a "rotate" tag (clockwise).
func rotation(tag string, list []sideData) int {
	deg := 0.0
	for _, sd := range list {
		if sd.SideDataType == "Display Matrix" {
			deg = -sd.Rotation
			break
		}
	}
	if deg == 0 && tag != "" {
		if v, err := strconv.ParseFloat(tag, 64); err == nil {
			deg = v
		}
	}
	if math.IsNaN(deg) || math.IsInf(deg, 0) || math.Abs(deg) > 1e6 {
		return 0
	}
	// Snap to a quarter turn: players only honour those.
	q := int(math.Round(deg/90)) % 4
	if q < 0 {
		q += 4
	}
	return q * 90
}

// parseSeconds parses ffprobe's "9.917000", returning 0 for "N/A" and for
// anything negative or not finite.
func parseSeconds(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}
