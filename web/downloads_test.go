package web

import (
	"mime"
	"testing"

	"reel"
)

// TestDownloadDisposition checks the names downloads get from hostile and
// foreign titles: always an attachment, an ASCII filename that cannot end
// the quoted string, and a filename* that decodes to the cleaned title.
func TestDownloadDisposition(t *testing.T) {
	for _, c := range []struct{ title, file, want, utf8 string }{
		{"Holiday", "download.mp4", `attachment; filename="Holiday.mp4"; filename*=UTF-8''Holiday.mp4`, "Holiday.mp4"},
		{"", "audio.m4a", `attachment; filename="video.m4a"; filename*=UTF-8''video.m4a`, "video.m4a"},
		{"..", "download.mp4", `attachment; filename="video.mp4"; filename*=UTF-8''video.mp4`, "video.mp4"},
		{"../../etc/passwd", "download.mp4", `attachment; filename="..-..-etc-passwd.mp4"; filename*=UTF-8''..-..-etc-passwd.mp4`, "..-..-etc-passwd.mp4"},
		{"a\"b\\c\r\nd;e%f", "download.mp4", `attachment; filename="a_b-cd;e_f.mp4"; filename*=UTF-8''a%22b-cd%3Be%25f.mp4`, "a\"b-cd;e%f.mp4"},
		{"東京 2024", "download.mp4", `attachment; filename="__ 2024.mp4"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC%202024.mp4`, "東京 2024.mp4"},
	} {
		got := downloadDisposition(c.title, c.file)
		if got != c.want {
			t.Errorf("%q: %s, want %s", c.title, got, c.want)
		}
		kind, params, err := mime.ParseMediaType(got)
		if err != nil || kind != "attachment" || params["filename"] != c.utf8 {
			t.Errorf("%q: parsed as %q %q (%v), want filename %q", c.title, kind, params, err, c.utf8)
		}
	}
}

// TestDownloadTitle checks that a video uploaded without a title names
// its downloads after the file uploaded, not "video".
func TestDownloadTitle(t *testing.T) {
	for _, c := range []struct{ title, filename, want string }{
		{"Holiday", "IMG_0001.MOV", "Holiday"},
		{"", "IMG_0001.MOV", "IMG_0001"},
		{"  ", "trip.2024.mkv", "trip.2024"},
		{"", "", ""},
	} {
		if got := downloadTitle(&reel.Video{Title: c.title, Filename: c.filename}); got != c.want {
			t.Errorf("title %q, file %q: %q, want %q", c.title, c.filename, got, c.want)
		}
	}
	if got := downloadDisposition(downloadTitle(&reel.Video{Filename: "IMG_0001.MOV"}), "download.mp4"); got != `attachment; filename="IMG_0001.mp4"; filename*=UTF-8''IMG_0001.mp4` {
		t.Errorf("disposition %s", got)
	}
}
