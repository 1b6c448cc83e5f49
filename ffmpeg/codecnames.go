package ffmpeg

import (
	"fmt"
	"strings"
)

// codecNames are the names people know codecs by, keyed by ffprobe's
// codec_name and by the four-character codes (codec_tag_string) of
// codecs this ffmpeg may not know at all, such as VVC in ffmpeg 5.1.
var codecNames = map[string]string{
	// Video.
	"h264": "H.264", "avc1": "H.264", "avc3": "H.264",
	"hevc": "HEVC (H.265)", "hvc1": "HEVC (H.265)", "hev1": "HEVC (H.265)",
	"vvc": "VVC (H.266)", "vvc1": "VVC (H.266)", "vvi1": "VVC (H.266)",
	"evc": "MPEG-5 EVC", "evc1": "MPEG-5 EVC",
	"lvc1": "MPEG-5 LCEVC", "lcevc": "MPEG-5 LCEVC",
	"av1": "AV1", "av01": "AV1",
	"vp8": "VP8", "vp9": "VP9", "vp09": "VP9",
	"apv": "APV", "apv1": "APV",
	"prores": "Apple ProRes", "apch": "Apple ProRes", "apcn": "Apple ProRes", "apcs": "Apple ProRes",
	"apco": "Apple ProRes", "ap4h": "Apple ProRes", "ap4x": "Apple ProRes", "aprn": "Apple ProRes RAW", "aprh": "Apple ProRes RAW",
	"dnxhd": "Avid DNxHD", "cfhd": "GoPro CineForm", "mpeg2video": "MPEG-2", "mpeg4": "MPEG-4 Part 2",
	"h263": "H.263", "theora": "Theora", "mjpeg": "Motion JPEG",
	// Audio.
	"aac": "AAC", "mp3": "MP3", "opus": "Opus", "vorbis": "Vorbis", "flac": "FLAC", "alac": "Apple Lossless",
	"ac3": "Dolby Digital", "ac-3": "Dolby Digital", "eac3": "Dolby Digital Plus", "ec-3": "Dolby Digital Plus",
	"ac4": "Dolby AC-4", "ac-4": "Dolby AC-4", "truehd": "Dolby TrueHD", "mlpa": "Dolby TrueHD",
	"dts": "DTS", "dtsc": "DTS", "dtse": "DTS", "dtsh": "DTS-HD", "dtsl": "DTS-HD", "dtsx": "DTS:X",
	"mha1": "MPEG-H 3D Audio", "mhm1": "MPEG-H 3D Audio", "iamf": "IAMF",
	"amr_nb": "AMR-NB", "samr": "AMR-NB", "amr_wb": "AMR-WB", "sawb": "AMR-WB",
	// Subtitles and data.
	"subrip": "SubRip", "mov_text": "MP4 timed text", "webvtt": "WebVTT", "ass": "ASS",
	"hdmv_pgs_subtitle": "PGS", "dvd_subtitle": "DVD", "dvb_subtitle": "DVB", "dvb_teletext": "DVB teletext", "xsub": "XSUB", "eia_608": "CEA-608", "bin_data": "binary data",
}

// codecName returns a readable name for a stream's codec: the one people
// know it by, else ffprobe's codec_name, else its four-character code in
// quotes, else "".
func codecName(name, tag string) string {
	if n, ok := codecNames[strings.ToLower(name)]; ok && known(name) {
		return n
	}
	if known(name) {
		return name
	}
	if n, ok := codecNames[strings.ToLower(strings.TrimSpace(tag))]; ok {
		return n
	}
	// ffprobe writes unprintable tag bytes as "[0]": such a tag names nothing.
	if len(tag) == 4 && !strings.ContainsAny(tag, "[]\"") && isPrintable(tag) {
		return `"` + tag + `"`
	}
	return ""
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// undecodableMessage returns the sentence for a stream of the given kind
// ("video", "audio") whose codec this ffmpeg cannot decode.
func undecodableMessage(kind, name, tag string) string {
	if c := codecName(name, tag); c != "" {
		return fmt.Sprintf("The file's %s stream uses the %s codec, which this server cannot decode.", kind, c)
	}
	return fmt.Sprintf("The file's %s stream uses a codec this server cannot decode.", kind)
}
