package ffmpeg

import (
	"strings"
	"testing"
)

func TestTailWriter(t *testing.T) {
	w := &tailWriter{max: 16}
	w.Write([]byte("first line\n"))
	if got := w.String(); got != "first line\n" {
		t.Errorf("got %q", got)
	}
	// Overflowing drops whole lines from the front.
	w.Write([]byte("second\nthird\n"))
	if got := w.String(); got != "second\nthird\n" {
		t.Errorf("got %q, want the last whole lines", got)
	}
	// One write longer than the buffer keeps its end.
	w = &tailWriter{max: 8}
	if n, err := w.Write([]byte("0123456789\nabcdef")); n != 17 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	if got := w.String(); got != "abcdef" {
		t.Errorf("got %q", got)
	}
	// Cutting inside a UTF-8 sequence never yields invalid UTF-8.
	w = &tailWriter{max: 5}
	w.Write([]byte("ééé"))
	if got := w.String(); !strings.HasSuffix(got, "éé") || !strings.HasPrefix(got, "\uFFFD") {
		t.Errorf("got %q", got)
	}
}

func TestBadSource(t *testing.T) {
	for _, tt := range []struct {
		stderr string
		bad    bool
		msg    string
	}{
		{"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5] moov atom not found\nx.mp4: Invalid data found when processing input\n", true, msgIncomplete},
		{"x.txt: Invalid data found when processing input\n", true, msgNotVideo},
		{"Decoder (codec av1) not found for input stream #0:0\n", true, "The file uses the AV1 codec, which this server cannot decode."},
		{"Decoder (codec none) not found for input stream #0:1\n", true, msgUndecoded},
		{"Error while decoding stream #0:0: Invalid data found when processing input\n[hls @ 0x1] write: No space left on device\n", false, ""},
		{"/x.mp4: No such file or directory\n", false, ""},
		{"http://s3/x: Connection refused\n", false, ""},
		{"", false, ""},
	} {
		msg, bad := badSource(tt.stderr)
		if bad != tt.bad || msg != tt.msg {
			t.Errorf("badSource(%q) = %q, %v; want %q, %v", tt.stderr, msg, bad, tt.msg, tt.bad)
		}
	}
}

func TestExitError(t *testing.T) {
	e := &ExitError{Program: "ffmpeg", Code: 1, Stderr: "a\nConversion failed!\n", Err: errString("exit status 1")}
	if got, want := e.Error(), "ffmpeg: exit status 1: Conversion failed!"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
