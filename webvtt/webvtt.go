// Package webvtt adapts caption files, WebVTT and SubRip, into the WebVTT
// that HLS players load as a subtitle rendition: checked, cleaned and
// rewritten, never passed through as sent.
//
// Cue text keeps only WebVTT's own markup (b, i, u, c, v, lang, ruby, rt
// and timestamps); SubRip's font tags and ASS-style {\an8} overrides are
// dropped; any other tag (a <script>, an <img>, a <b onclick=...>) makes
// the file refused rather than quietly rewritten, so its uploader learns
// why. Text is escaped as WebVTT wants (&amp;, &lt;, &gt;). What Parse
// refuses is an *reel.Error with EINVALID and a sentence naming the cue.
//
// Files written by Write start with X-TIMESTAMP-MAP=MPEGTS:<File.MPEGTS>,LOCAL:00:00:00.000:
// cue times are the source's times, from 0, and MPEGTS is where the
// video's renditions present their first frame, in 90 kHz units (RFC 8216
// section 3.5): the encoders' delay (x264's B-frames) starts reel's fMP4
// renditions a few frames after 0, and hls.js maps MPEGTS against the
// first video fragment's decode time, Safari against the presentation
// times, which are the same there (hls.PresentationStart). Rendition
// cuts a file into segments on the video's grid with their media
// playlist, as every subtitle rendition of reel is published, from the
// source or uploaded.
package webvtt

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"reel"
)

// SegmentPattern names the WebVTT segments of a subtitle rendition in its
// folder, numbered from 0 (a fmt pattern).
const SegmentPattern = "seg_%05d.vtt"

// Limits of one caption file: bytes a client may send (an hour of dense
// dialogue in SubRip is ~100 KiB), cues, and the latest cue time.
const (
	MaxSize = 2 << 20
	MaxCues = 20000
	MaxTime = 100 * time.Hour
)

// Cue is one caption: shown from Start to End, Text in WebVTT cue text
// syntax (escaped, only WebVTT's markup), Settings its cue settings
// ("align:start line:0"), possibly empty.
type Cue struct {
	Start, End time.Duration
	Settings   string
	Text       string
}

// File is a parsed caption file.
type File struct {
	Format string // "webvtt" or "subrip": what was sent
	Cues   []Cue

	// MPEGTS is where cue time 0 falls on the video's media timeline, in
	// 90 kHz units: the X-TIMESTAMP-MAP's MPEGTS that Write writes. Set
	// it to the video's presentation start (0 leaves cues as early as the
	// encoders' delay).
	MPEGTS int64
}

// invalid returns an EINVALID error with a sentence for the uploader.
func invalid(format string, args ...any) error {
	return reel.Errorf(reel.EINVALID, format, args...)
}

// Parse reads a WebVTT or SubRip file (told apart by WebVTT's signature
// line), refusing what is not text, not one of the two, or holds markup
// or times WebVTT cannot.
func Parse(data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, reel.Errorf(reel.ETOOLARGE, "The caption file is over %d MiB.", MaxSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for _, b := range data {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' || b == 0x7f {
			return nil, invalid("The caption file holds binary data, not text.")
		}
	}
	if !utf8.Valid(data) {
		return nil, invalid("The caption file is not UTF-8 text.")
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	blocks := splitBlocks(text)
	f := &File{Format: "subrip"}
	if len(blocks) > 0 && isSignature(blocks[0][0]) {
		f.Format = "webvtt"
		blocks = blocks[1:] // the header: signature and header lines
	} else if strings.HasPrefix(strings.TrimSpace(text), "WEBVTT") {
		return nil, invalid("The caption file's first line must be WEBVTT alone or followed by a space.")
	} else if len(blocks) == 0 || !strings.Contains(strings.Join(blocks[0][:min(2, len(blocks[0]))], "\n"), "-->") {
		// SubRip starts with a cue: its number, then its times.
		return nil, invalid("The caption file is neither WebVTT nor SubRip: it starts with no cue.")
	}
	for _, lines := range blocks {
		if f.Format == "webvtt" && isVTTMeta(lines[0]) {
			continue // NOTE, STYLE and REGION blocks are not cues
		}
		n := len(f.Cues) + 1
		if n > MaxCues {
			return nil, invalid("The caption file has more than %d cues.", MaxCues)
		}
		c, err := parseCue(lines, f.Format, n)
		if err != nil {
			return nil, err
		}
		if c.Text != "" {
			f.Cues = append(f.Cues, c)
		}
	}
	if len(f.Cues) == 0 {
		if f.Format == "subrip" {
			return nil, invalid("The caption file is neither WebVTT nor SubRip: no cue found.")
		}
		return nil, invalid("The caption file has no cues.")
	}
	return f, nil
}

// CheckDuration refuses cues that start after a video of the given length
// ends: a file meant for another video, or times in the wrong unit.
func (f *File) CheckDuration(d time.Duration) error {
	for i, c := range f.Cues {
		if c.Start > d {
			return invalid("Cue %d starts at %s, after the video's end at %s.", i+1, stamp(c.Start), stamp(d))
		}
	}
	return nil
}

// Write writes f as WebVTT, with the X-TIMESTAMP-MAP HLS needs.
func (f *File) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:%d,LOCAL:00:00:00.000\n", max(f.MPEGTS, 0))
	for _, c := range f.Cues {
		b.WriteString("\n" + stamp(c.Start) + " --> " + stamp(c.End))
		if c.Settings != "" {
			b.WriteString(" " + c.Settings)
		}
		b.WriteString("\n" + c.Text + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// splitBlocks splits text into blocks of non-empty lines.
func splitBlocks(text string) [][]string {
	var blocks [][]string
	var cur []string
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if cur != nil {
				blocks = append(blocks, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	return blocks
}

func isSignature(line string) bool {
	return line == "WEBVTT" || strings.HasPrefix(line, "WEBVTT ") || strings.HasPrefix(line, "WEBVTT\t")
}

func isVTTMeta(line string) bool {
	for _, kw := range []string{"NOTE", "STYLE", "REGION"} {
		if line == kw || strings.HasPrefix(line, kw+" ") || strings.HasPrefix(line, kw+"\t") {
			return true
		}
	}
	return false
}

// parseCue parses one block: an optional identifier (SubRip's number), the
// timing line, the text.
func parseCue(lines []string, format string, n int) (Cue, error) {
	if !strings.Contains(lines[0], "-->") {
		lines = lines[1:] // the identifier
	}
	if len(lines) == 0 || !strings.Contains(lines[0], "-->") {
		return Cue{}, invalid("Cue %d has no timing line (00:00:01.000 --> 00:00:02.000).", n)
	}
	from, to, _ := strings.Cut(lines[0], "-->")
	fields := strings.Fields(to)
	if len(fields) == 0 {
		return Cue{}, invalid("Cue %d has no end time.", n)
	}
	var c Cue
	var err error
	if c.Start, err = parseTime(strings.TrimSpace(from)); err != nil {
		return Cue{}, invalid("Cue %d: %v.", n, err)
	}
	if c.End, err = parseTime(fields[0]); err != nil {
		return Cue{}, invalid("Cue %d: %v.", n, err)
	}
	if c.End < c.Start {
		return Cue{}, invalid("Cue %d ends (%s) before it starts (%s).", n, stamp(c.End), stamp(c.Start))
	}
	if format == "webvtt" {
		c.Settings = settings(fields[1:])
	}
	var text []string
	for _, line := range lines[1:] {
		t, err := cueText(line, format)
		if err != nil {
			return Cue{}, invalid("Cue %d %v.", n, err)
		}
		if strings.TrimSpace(t) != "" {
			text = append(text, t)
		}
	}
	c.Text = strings.Join(text, "\n")
	return c, nil
}

// timePattern is WebVTT's timestamp, hours optional, and SubRip's, with
// a decimal comma.
var timePattern = regexp.MustCompile(`^(?:([0-9]{1,3}):)?([0-9]{2}):([0-9]{2})[.,]([0-9]{3})$`)

func parseTime(s string) (time.Duration, error) {
	m := timePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a time like 00:01:02.345", truncate(s, 40))
	}
	h, _ := strconv.Atoi(m[1])
	min, _ := strconv.Atoi(m[2])
	sec, _ := strconv.Atoi(m[3])
	ms, _ := strconv.Atoi(m[4])
	if min > 59 || sec > 59 {
		return 0, fmt.Errorf("%q has minutes or seconds past 59", s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(min)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond
	if d > MaxTime {
		return 0, fmt.Errorf("%q is past %d hours", s, int(MaxTime.Hours()))
	}
	return d, nil
}

// stamp formats d as WebVTT's hh:mm:ss.ttt.
func stamp(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// settingPattern is one WebVTT cue setting.
var settingPattern = regexp.MustCompile(`^(vertical|line|position|size|align|region):[A-Za-z0-9.%,:_-]{1,40}$`)

// settings keeps the well-formed cue settings and drops the rest, as a
// WebVTT parser would.
func settings(fields []string) string {
	var keep []string
	for _, f := range fields {
		if settingPattern.MatchString(f) {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// tagPattern is a tag: start or end, name, and what follows the name.
var tagPattern = regexp.MustCompile(`^<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*)>`)

// vttTimestamp is a timestamp tag inside cue text (karaoke).
var vttTimestamp = regexp.MustCompile(`^<(?:[0-9]{1,3}:)?[0-9]{2}:[0-9]{2}\.[0-9]{3}>`)

// classes is what may follow b, i, u, c, ruby and rt: ".class" parts.
var classes = regexp.MustCompile(`^(\.[A-Za-z0-9_-]+)*$`)

// entity is a character reference WebVTT reads.
var entity = regexp.MustCompile(`^&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// assOverride is an ASS-style override block some SubRip files carry.
var assOverride = regexp.MustCompile(`\{\\[^{}]*\}`)

// cueText returns one line of cue text in WebVTT syntax.
func cueText(line, format string) (string, error) {
	if format == "subrip" {
		line = assOverride.ReplaceAllString(line, "")
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		rest := line[i:]
		switch rest[0] {
		case '<':
			if m := vttTimestamp.FindString(rest); m != "" {
				b.WriteString(m)
				i += len(m)
				continue
			}
			m := tagPattern.FindStringSubmatch(rest)
			if m == nil {
				b.WriteString("&lt;") // a lone "<", as in "a < b"
				i++
				continue
			}
			tag, err := keepTag(m[1] == "/", strings.ToLower(m[2]), m[3], format)
			if err != nil {
				return "", err
			}
			b.WriteString(tag)
			i += len(m[0])
		case '>':
			b.WriteString("&gt;")
			i++
		case '&':
			if m := entity.FindString(rest); m != "" {
				b.WriteString(m)
				i += len(m)
				continue
			}
			b.WriteString("&amp;")
			i++
		default:
			b.WriteByte(rest[0])
			i++
		}
	}
	return b.String(), nil
}

// keepTag returns the tag as written into the WebVTT, "" to drop it, or
// an error for markup captions may not hold.
func keepTag(end bool, name, rest, format string) (string, error) {
	slash := map[bool]string{true: "/", false: ""}[end]
	switch name {
	case "b", "i", "u", "c", "ruby", "rt":
		if end || classes.MatchString(rest) {
			return "<" + slash + name + map[bool]string{true: "", false: rest}[end] + ">", nil
		}
		if format == "subrip" && strings.TrimSpace(rest) == "" {
			return "<" + name + ">", nil
		}
	case "v", "lang":
		// An annotation (the speaker, the language) follows a space.
		if end || rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '.' {
			return "<" + slash + name + map[bool]string{true: "", false: rest}[end] + ">", nil
		}
	case "font":
		if format == "subrip" {
			return "", nil // SubRip's colours: WebVTT styles with CSS instead
		}
	}
	return "", fmt.Errorf("holds markup captions may not contain: <%s%s%s>", slash, name, truncate(rest, 30))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Segments cuts f into WebVTT files of seg seconds each, covering a video
// of duration seconds on the same grid as its media segments: each holds
// the cues shown during its time, so a cue spanning a boundary is in both
// (players drop the repeat, as RFC 8216 section 3.5 expects). Each
// starts with the same X-TIMESTAMP-MAP, of f.MPEGTS.
func (f *File) Segments(duration, seg float64) [][]byte {
	n := max(1, int(math.Ceil(duration/seg-1e-9)))
	out := make([][]byte, n)
	for i := range out {
		from := time.Duration(float64(i) * seg * float64(time.Second))
		to := time.Duration(float64(i+1) * seg * float64(time.Second))
		part := &File{Format: f.Format, MPEGTS: f.MPEGTS}
		for _, c := range f.Cues {
			if c.Start < to && c.End > from || i == n-1 && c.Start >= to {
				part.Cues = append(part.Cues, c)
			}
		}
		var b bytes.Buffer
		part.Write(&b)
		out[i] = b.Bytes()
	}
	return out
}

// SegmentPlaylist returns the HLS media playlist of the segments Segments
// made, named names, for a video of duration seconds.
func SegmentPlaylist(names []string, duration, seg float64) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n", int(math.Ceil(seg)))
	for i, name := range names {
		d := min(seg, duration-float64(i)*seg)
		if d <= 0 {
			d = 0.001 // an empty video still gets one segment
		}
		fmt.Fprintf(&b, "#EXTINF:%.3f,\n%s\n", d, name)
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return []byte(b.String())
}

// RenditionFile is one file of a subtitle rendition: its name in the
// rendition's folder and its content.
type RenditionFile struct {
	Name string
	Data []byte
}

// Rendition returns the files of f as an HLS subtitle rendition of a
// video of duration seconds whose media segments are seg seconds long:
// the WebVTT segments on the video's grid (Segments), named by
// SegmentPattern, then their media playlist, reel.MediaPlaylist, last,
// so that a writer going in order makes the playlist visible only once
// the segments it lists are.
func (f *File) Rendition(duration, seg float64) []RenditionFile {
	var files []RenditionFile
	var names []string
	for i, data := range f.Segments(duration, seg) {
		name := fmt.Sprintf(SegmentPattern, i)
		files = append(files, RenditionFile{Name: name, Data: data})
		names = append(names, name)
	}
	return append(files, RenditionFile{Name: reel.MediaPlaylist, Data: SegmentPlaylist(names, duration, seg)})
}
