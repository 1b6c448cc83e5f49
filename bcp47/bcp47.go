// Package bcp47 adapts the language tags media files carry to the ones
// HLS and the web speak: ISO 639-2 codes from Matroska and MP4 tracks
// ("eng", "fre", "ger") become BCP 47 tags ("en", "fr", "de"), as RFC 8216
// asks of LANGUAGE, and tags get names people read in a menu ("English").
//
// It also checks tags given by clients (Valid), in the shape RFC 5646
// defines: a primary language subtag, then optional script, region and
// variant subtags. It does not hold the IANA registry: a well-formed tag
// for a language it has no name for is accepted and named by its code.
package bcp47

import (
	"regexp"
	"strings"
)

// language is one language: its ISO 639-1 code (the BCP 47 tag, when
// there is one) and its English name.
type language struct {
	tag, name string
}

// iso6392 maps ISO 639-2 codes, terminology (T) and bibliographic (B)
// alike, to the shortest BCP 47 tag and an English name. BCP 47 takes the
// two-letter ISO 639-1 code where one exists, else the three-letter code.
var iso6392 = map[string]language{
	"afr": {"af", "Afrikaans"}, "alb": {"sq", "Albanian"}, "sqi": {"sq", "Albanian"},
	"amh": {"am", "Amharic"}, "ara": {"ar", "Arabic"}, "arm": {"hy", "Armenian"}, "hye": {"hy", "Armenian"},
	"aze": {"az", "Azerbaijani"}, "baq": {"eu", "Basque"}, "eus": {"eu", "Basque"},
	"bel": {"be", "Belarusian"}, "ben": {"bn", "Bengali"}, "bos": {"bs", "Bosnian"},
	"bre": {"br", "Breton"}, "bul": {"bg", "Bulgarian"}, "bur": {"my", "Burmese"}, "mya": {"my", "Burmese"},
	"cat": {"ca", "Catalan"}, "chi": {"zh", "Chinese"}, "zho": {"zh", "Chinese"},
	"hrv": {"hr", "Croatian"}, "cze": {"cs", "Czech"}, "ces": {"cs", "Czech"},
	"dan": {"da", "Danish"}, "dut": {"nl", "Dutch"}, "nld": {"nl", "Dutch"},
	"eng": {"en", "English"}, "epo": {"eo", "Esperanto"}, "est": {"et", "Estonian"},
	"fao": {"fo", "Faroese"}, "fil": {"fil", "Filipino"}, "fin": {"fi", "Finnish"},
	"fre": {"fr", "French"}, "fra": {"fr", "French"}, "glg": {"gl", "Galician"},
	"geo": {"ka", "Georgian"}, "kat": {"ka", "Georgian"}, "ger": {"de", "German"}, "deu": {"de", "German"},
	"gre": {"el", "Greek"}, "ell": {"el", "Greek"}, "guj": {"gu", "Gujarati"},
	"hat": {"ht", "Haitian Creole"}, "hau": {"ha", "Hausa"}, "heb": {"he", "Hebrew"},
	"hin": {"hi", "Hindi"}, "hun": {"hu", "Hungarian"}, "ice": {"is", "Icelandic"}, "isl": {"is", "Icelandic"},
	"ind": {"id", "Indonesian"}, "gle": {"ga", "Irish"}, "ita": {"it", "Italian"},
	"jpn": {"ja", "Japanese"}, "jav": {"jv", "Javanese"}, "kan": {"kn", "Kannada"},
	"kaz": {"kk", "Kazakh"}, "khm": {"km", "Khmer"}, "kor": {"ko", "Korean"},
	"kur": {"ku", "Kurdish"}, "kir": {"ky", "Kyrgyz"}, "lao": {"lo", "Lao"},
	"lat": {"la", "Latin"}, "lav": {"lv", "Latvian"}, "lit": {"lt", "Lithuanian"},
	"ltz": {"lb", "Luxembourgish"}, "mac": {"mk", "Macedonian"}, "mkd": {"mk", "Macedonian"},
	"may": {"ms", "Malay"}, "msa": {"ms", "Malay"}, "mal": {"ml", "Malayalam"},
	"mlt": {"mt", "Maltese"}, "mao": {"mi", "Maori"}, "mri": {"mi", "Maori"},
	"mar": {"mr", "Marathi"}, "mon": {"mn", "Mongolian"}, "nep": {"ne", "Nepali"},
	"nor": {"no", "Norwegian"}, "nob": {"nb", "Norwegian Bokmål"}, "nno": {"nn", "Norwegian Nynorsk"},
	"per": {"fa", "Persian"}, "fas": {"fa", "Persian"}, "pol": {"pl", "Polish"},
	"por": {"pt", "Portuguese"}, "pan": {"pa", "Punjabi"}, "pus": {"ps", "Pashto"},
	"rum": {"ro", "Romanian"}, "ron": {"ro", "Romanian"}, "rus": {"ru", "Russian"},
	"san": {"sa", "Sanskrit"}, "gla": {"gd", "Scottish Gaelic"}, "srp": {"sr", "Serbian"},
	"sin": {"si", "Sinhala"}, "slo": {"sk", "Slovak"}, "slk": {"sk", "Slovak"},
	"slv": {"sl", "Slovenian"}, "som": {"so", "Somali"}, "spa": {"es", "Spanish"},
	"sun": {"su", "Sundanese"}, "swa": {"sw", "Swahili"}, "swe": {"sv", "Swedish"},
	"tgl": {"tl", "Tagalog"}, "tgk": {"tg", "Tajik"}, "tam": {"ta", "Tamil"},
	"tat": {"tt", "Tatar"}, "tel": {"te", "Telugu"}, "tha": {"th", "Thai"},
	"tib": {"bo", "Tibetan"}, "bod": {"bo", "Tibetan"}, "tur": {"tr", "Turkish"},
	"tuk": {"tk", "Turkmen"}, "ukr": {"uk", "Ukrainian"}, "urd": {"ur", "Urdu"},
	"uig": {"ug", "Uyghur"}, "uzb": {"uz", "Uzbek"}, "vie": {"vi", "Vietnamese"},
	"wel": {"cy", "Welsh"}, "cym": {"cy", "Welsh"}, "fry": {"fy", "Western Frisian"},
	"xho": {"xh", "Xhosa"}, "yid": {"yi", "Yiddish"}, "yor": {"yo", "Yoruba"}, "zul": {"zu", "Zulu"},
	"yue": {"yue", "Cantonese"}, "cmn": {"cmn", "Mandarin"},
}

// deprecated maps language subtags the IANA registry deprecated to their
// preferred values.
var deprecated = map[string]string{"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "scc": "sr", "scr": "hr"}

// names are the English names of the two- and three-letter tags above,
// for tags that come as BCP 47 already (uploaded captions, WebVTT tracks).
var names = func() map[string]string {
	m := make(map[string]string, len(iso6392))
	for _, l := range iso6392 {
		m[l.tag] = l.name
	}
	return m
}()

// bibliographic are the ISO 639-2/B codes of the table above, which
// differ from the terminology (T) codes ISO base media files carry.
var bibliographic = map[string]bool{
	"alb": true, "arm": true, "baq": true, "bur": true, "chi": true, "cze": true, "dut": true,
	"fre": true, "geo": true, "ger": true, "gre": true, "ice": true, "mac": true, "mao": true,
	"may": true, "per": true, "rum": true, "slo": true, "tib": true, "wel": true,
}

// terminology maps the BCP 47 tags of the table above back to their ISO
// 639-2/T codes.
var terminology = func() map[string]string {
	m := make(map[string]string, len(iso6392))
	for code, l := range iso6392 {
		if !bibliographic[code] && len(code) == 3 {
			m[l.tag] = code
		}
	}
	return m
}()

// ToISO6392 returns the ISO 639-2/T code of tag's primary language, as an
// MP4 track's language is written ("en-US" → "eng", "de" → "deu"), or ""
// when it has none: a two-letter tag it does not know, or no tag.
func ToISO6392(tag string) string {
	primary, _, _ := strings.Cut(Canonical(tag), "-")
	if code, ok := terminology[primary]; ok {
		return code
	}
	if len(primary) == 3 && isLetters(primary) {
		return primary
	}
	return ""
}

// FromISO6392 returns the BCP 47 tag of an ISO 639-2 code ("eng" → "en",
// "ger" and "deu" → "de"), in any case. A code it does not know but
// shaped like one is returned in lower case, which is a valid BCP 47
// primary language subtag; "und" (undetermined), "zxx" (no linguistic
// content), "mul" and anything else return "". A code already in BCP 47
// form ("en", "pt-BR"), as some muxers write, is returned canonical.
func FromISO6392(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if l, ok := iso6392[code]; ok {
		return l.tag
	}
	switch code {
	case "und", "zxx", "mul", "mis", "":
		return ""
	}
	if Valid(code) {
		return Canonical(code)
	}
	return ""
}

// Name returns a name people read for tag: "English" for "en",
// "English (United States)"-like detail is left out: a region or script
// subtag is shown as the tag itself, "Portuguese (pt-BR)". A language it
// has no name for is named by its tag.
func Name(tag string) string {
	tag = Canonical(tag)
	primary, rest, _ := strings.Cut(tag, "-")
	name, ok := names[primary]
	if !ok {
		return tag
	}
	if rest != "" {
		return name + " (" + tag + ")"
	}
	return name
}

// tagPattern is RFC 5646's langtag without extensions and private use:
// language (2-3 letters, or 4-8 registered ones), script (4 letters),
// region (2 letters or 3 digits), variants (5-8 alphanumerics, or a digit
// and 3).
var tagPattern = regexp.MustCompile(`^(?i)[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$`)

// MaxLen is the longest tag Valid accepts: long enough for any real
// tag ("zh-Hant-TW", "sl-rozaj-biske"), short enough for a file name.
const MaxLen = 35

// Valid reports whether tag is a well-formed BCP 47 language tag
// without extensions or private use: "en", "pt-BR", "zh-Hant", "es-419".
// It is safe in a URL path and a file name: letters, digits and hyphens.
func Valid(tag string) bool {
	return len(tag) <= MaxLen && tagPattern.MatchString(tag)
}

// Canonical returns tag in the case BCP 47 recommends: language lower,
// script title, region upper ("zh-hant-tw" → "zh-Hant-TW"); a language
// given by its ISO 639-2 code, or by a deprecated one, where BCP 47 takes
// another ("eng-US", "ger", "iw") becomes that one ("en-US", "de", "he").
func Canonical(tag string) string {
	parts := strings.Split(tag, "-")
	for i, p := range parts {
		switch {
		case i == 0:
			parts[i] = strings.ToLower(p)
			if l, ok := iso6392[parts[i]]; ok {
				parts[i] = l.tag
			} else if l, ok := deprecated[parts[i]]; ok {
				parts[i] = l
			}
		case len(p) == 4 && isLetters(p):
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		case len(p) == 2 && isLetters(p):
			parts[i] = strings.ToUpper(p)
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-")
}

func isLetters(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}
