package bcp47

import "testing"

func TestFromISO6392(t *testing.T) {
	for code, want := range map[string]string{
		"eng": "en", "kor": "ko", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de",
		"chi": "zh", "ENG": "en", "und": "", "zxx": "", "": "", "xyz": "xyz",
		"en": "en", "pt-br": "pt-BR", "fil": "fil", "<script>": "", "e n": "",
		"eng-US": "en-US", "ger-CH-1901": "de-CH-1901", "iw": "he", "scc": "sr", "yue-HK": "yue-HK",
	} {
		if got := FromISO6392(code); got != want {
			t.Errorf("FromISO6392(%q) = %q, want %q", code, got, want)
		}
	}
}

// TestCanonical checks the one spelling of a tag: its case, and the
// language's two-letter code where it has one, so that a caption uploaded
// as "eng" or "EN-us" is the one spelled "en" and "en-US".
func TestCanonical(t *testing.T) {
	for tag, want := range map[string]string{
		"en": "en", "EN-us": "en-US", "zh-hant-tw": "zh-Hant-TW", "eng": "en", "ENG-gb": "en-GB", "deu": "de",
		"iw-IL": "he-IL", "in": "id", "fil": "fil", "yue": "yue", "xyz": "xyz", "es-419": "es-419",
	} {
		got := Canonical(tag)
		if got != want || Canonical(got) != got {
			t.Errorf("Canonical(%q) = %q (then %q), want %q", tag, got, Canonical(got), want)
		}
	}
}

func TestName(t *testing.T) {
	for tag, want := range map[string]string{
		"en": "English", "ko": "Korean", "pt-BR": "Portuguese (pt-BR)", "xyz": "xyz", "DE": "German",
	} {
		if got := Name(tag); got != want {
			t.Errorf("Name(%q) = %q, want %q", tag, got, want)
		}
	}
}

func TestValid(t *testing.T) {
	for _, tag := range []string{"en", "pt-BR", "zh-Hant", "zh-Hant-TW", "es-419", "sl-rozaj", "fil", "de-1996"} {
		if !Valid(tag) {
			t.Errorf("Valid(%q) = false", tag)
		}
	}
	for _, tag := range []string{"", "e", "english", "en_US", "en-", "-en", "../en", "en/x", "en-US-x-private",
		"en\n", "<b>", "en-toolongvariant", "a1"} {
		if Valid(tag) {
			t.Errorf("Valid(%q) = true", tag)
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("pt-BR")
	f.Fuzz(func(t *testing.T, tag string) {
		if !Valid(tag) {
			return
		}
		// A valid tag is safe as a path element and stays valid canonical.
		for _, r := range tag {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				t.Fatalf("Valid(%q) with %q", tag, r)
			}
		}
		c := Canonical(tag)
		if !Valid(c) || Canonical(c) != c {
			t.Fatalf("Canonical(%q) = %q: not valid, or not canonical itself", tag, c)
		}
	})
}

func TestToISO6392(t *testing.T) {
	for tag, want := range map[string]string{
		"en": "eng", "en-US": "eng", "de": "deu", "fr-CA": "fra", "zh-Hant-TW": "zho",
		"cs": "ces", "he": "heb", "iw": "heb", "yue": "yue", "haw": "haw",
		"xx": "", "": "", "ger": "deu",
	} {
		if got := ToISO6392(tag); got != want {
			t.Errorf("ToISO6392(%q) = %q, want %q", tag, got, want)
		}
	}
}
