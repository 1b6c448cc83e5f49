package hls

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// SubtitleGroup is the GROUP-ID of the subtitle renditions, from the
// source and uploaded, that every video variant names.
const SubtitleGroup = "subs"

// Subtitle is a WebVTT subtitle rendition as a master playlist lists it
// (EXT-X-MEDIA:TYPE=SUBTITLES, in SubtitleGroup).
type Subtitle struct {
	Name       string // NAME, what a player's menu shows
	Language   string // LANGUAGE, BCP 47; omitted if ""
	URI        string // its media playlist, relative to the master
	Default    bool   // DEFAULT=YES (and AUTOSELECT=YES)
	AutoSelect bool   // AUTOSELECT=YES: a player may pick it by the viewer's language
	Forced     bool   // FORCED=YES: only the forced narrative (foreign dialogue, signs)
}

// check refuses a subtitle rendition that would make the playlist invalid.
func (s Subtitle) check() error {
	if s.Name == "" || s.URI == "" {
		return fmt.Errorf("hls: subtitle rendition %+v lacks NAME or URI", s)
	}
	for _, v := range []string{s.Name, s.URI, s.Language} {
		if strings.ContainsAny(v, "\"\r\n") {
			return fmt.Errorf("hls: bad subtitle rendition attribute %q", v)
		}
	}
	return nil
}

// line returns s's EXT-X-MEDIA tag.
func (s Subtitle) line() string {
	yes := map[bool]string{true: "YES", false: "NO"}
	attrs := []string{"TYPE=SUBTITLES", `GROUP-ID="` + SubtitleGroup + `"`, `NAME="` + s.Name + `"`}
	if s.Language != "" {
		attrs = append(attrs, `LANGUAGE="`+s.Language+`"`)
	}
	attrs = append(attrs, "DEFAULT="+yes[s.Default], "AUTOSELECT="+yes[s.Default || s.AutoSelect])
	if s.Forced {
		attrs = append(attrs, "FORCED=YES")
	}
	attrs = append(attrs, `URI="`+s.URI+`"`)
	return "#EXT-X-MEDIA:" + strings.Join(attrs, ",")
}

// uniqueNames numbers repeated names ("English", "English 2"): RFC 8216
// wants the NAMEs of one group distinct.
func uniqueNames(subs []Subtitle) []Subtitle {
	seen := map[string]int{}
	out := make([]Subtitle, len(subs))
	for i, s := range subs {
		if seen[s.Name]++; seen[s.Name] > 1 {
			s.Name += " " + strconv.Itoa(seen[s.Name])
		}
		out[i] = s
	}
	return out
}

// Subtitles returns the subtitle renditions of SubtitleGroup that the
// master playlist lists, in order.
func Subtitles(master []byte) ([]Subtitle, error) {
	if !bytes.HasPrefix(bytes.TrimPrefix(master, []byte("\xef\xbb\xbf")), []byte("#EXTM3U")) {
		return nil, ErrNotPlaylist
	}
	var subs []Subtitle
	for _, line := range strings.Split(string(master), "\n") {
		line = strings.TrimSuffix(line, "\r")
		rest, ok := strings.CutPrefix(line, "#EXT-X-MEDIA:")
		if !ok {
			continue
		}
		a, err := ParseAttributes(rest)
		if err != nil {
			return nil, fmt.Errorf("hls: %w", err)
		}
		if a["TYPE"] != "SUBTITLES" || a["GROUP-ID"] != SubtitleGroup {
			continue
		}
		subs = append(subs, Subtitle{
			Name: a["NAME"], Language: a["LANGUAGE"], URI: a["URI"],
			Default: a["DEFAULT"] == "YES", AutoSelect: a["AUTOSELECT"] == "YES", Forced: a["FORCED"] == "YES",
		})
	}
	return subs, nil
}

// RewriteSubtitles returns the master playlist with its subtitle
// renditions replaced by what edit makes of them: the EXT-X-MEDIA tags of
// SubtitleGroup written anew after the other renditions, and every
// variant naming the group with SUBTITLES= while it has a rendition, not
// at all once it has none. Everything else stays byte for byte, so the
// measured bandwidths, codecs and I-frame playlists are kept.
func RewriteSubtitles(master []byte, edit func([]Subtitle) []Subtitle) ([]byte, error) {
	subs, err := Subtitles(master)
	if err != nil {
		return nil, err
	}
	subs = uniqueNames(edit(subs))
	for _, s := range subs {
		if err := s.check(); err != nil {
			return nil, err
		}
	}
	var out []string
	inserted := false
	insert := func() {
		if !inserted {
			for _, s := range subs {
				out = append(out, s.line())
			}
			inserted = true
		}
	}
	attr := `,SUBTITLES="` + SubtitleGroup + `"`
	for _, line := range strings.Split(strings.TrimRight(string(master), "\n"), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if rest, ok := strings.CutPrefix(line, "#EXT-X-MEDIA:"); ok {
			if a, _ := ParseAttributes(rest); a["TYPE"] == "SUBTITLES" && a["GROUP-ID"] == SubtitleGroup {
				continue // written anew below
			}
		}
		if strings.HasPrefix(line, "#EXT-X-STREAM-INF:") {
			// The renditions go before the first variant, after the audio.
			insert()
			line = strings.Replace(line, attr, "", 1)
			if len(subs) > 0 {
				line += attr
			}
		}
		out = append(out, line)
	}
	if !inserted {
		return nil, fmt.Errorf("hls: master playlist without variants")
	}
	return []byte(strings.Join(out, "\n") + "\n"), nil
}
