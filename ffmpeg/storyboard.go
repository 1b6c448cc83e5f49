package ffmpeg

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"path/filepath"

	"reel"
)

// storyboardRaw is where ffmpeg writes the storyboard's thumbnails, as raw
// RGB, before they are tiled into reel.StoryboardPattern sheets: a dot
// file, so that nothing publishes it, removed once tiled.
const storyboardRaw = ".storyboard.rgb"

const (
	// maxThumbs is about how many thumbnails a video gets, whatever its
	// length: a timeline is a few hundred pixels wide.
	maxThumbs = 100
	// thumbLong is a thumbnail's long side in pixels: 160x90 for 16:9.
	thumbLong = 160
	// sheetSide is the most thumbnails a sheet holds across and down.
	sheetSide = 10
	// sheetQuality is the sheets' JPEG quality: thumbnails are small and
	// shown small.
	sheetQuality = 80
)

// Storyboard is the plan of the thumbnails taken from the ladder's own
// decode: one every Interval seconds, Width×Height each.
//
// ffmpeg writes them as raw RGB frames rather than tiling them itself:
// its tile filter emits a sheet only once it is full, and ffmpeg reports
// no progress at all until every output has had its first frame, which
// for a full sheet is a hundred intervals into the video. Go tiles the
// frames into JPEG sheets afterwards (WriteSheets), which also gives the
// exact number of thumbnails for the cues.
type Storyboard struct {
	Interval      int // seconds between thumbnails
	Width, Height int // of one thumbnail, pixels
}

// PlanStoryboard returns the storyboard of a source of duration seconds
// shown at dw×dh: at most about 100 thumbnails, a whole number of seconds
// apart, fitted to 160 pixels on their long side. A duration of 0
// (unknown) gets one thumbnail every 10 s.
func PlanStoryboard(duration float64, dw, dh int) Storyboard {
	interval := 10
	if duration > 0 {
		interval = max(1, int(math.Ceil(duration/maxThumbs)))
	}
	w, h := thumbLong, thumbLong
	if dw >= dh {
		h = even(float64(thumbLong) * float64(dh) / float64(max(1, dw)))
	} else {
		w = even(float64(thumbLong) * float64(dw) / float64(max(1, dh)))
	}
	return Storyboard{Interval: interval, Width: w, Height: h}
}

// filter returns the filter chain of the storyboard branch: one frame per
// interval, scaled, as packed RGB for WriteSheets.
func (s Storyboard) filter(piece *Piece) string {
	fps := fmt.Sprintf("fps=1/%d", s.Interval)
	if piece != nil && piece.Start > 0 {
		// A piece's thumbnails start at its first tick of the video's
		// grid: fps would otherwise round its first frame to the tick
		// before, which belongs to the piece before.
		fps += fmt.Sprintf(":start_time=%d", s.firstTick(piece.Start))
	}
	return fmt.Sprintf("%s,scale=%d:%d,setsar=1,format=rgb24", fps, s.Width, s.Height)
}

// firstTick returns the time of the first thumbnail at or after t seconds.
func (s Storyboard) firstTick(t float64) int {
	return int(math.Ceil(t/float64(s.Interval)-1e-9)) * s.Interval
}

// thumbs returns how many thumbnails fall in [from, to) seconds.
func (s Storyboard) thumbs(from, to float64) int {
	return max(0, (s.firstTick(to)-s.firstTick(from))/s.Interval)
}

// layout returns the columns of every sheet and the rows of a full one
// for n thumbnails: 10x10, or fewer for short videos, so that a sheet is
// no larger than its thumbnails need.
func layout(n int) (cols, rows int) {
	cols = max(1, min(sheetSide, n))
	rows = max(1, min(sheetSide, (n+cols-1)/cols))
	return cols, rows
}

// WriteSheets reads the raw RGB thumbnails ffmpeg wrote (Width×Height×3
// bytes each) from raw and writes them into dir as JPEG sprite sheets,
// storyboard_0.jpg, storyboard_1.jpg..., left to right then top to
// bottom. It returns the number of thumbnails.
func (s Storyboard) WriteSheets(raw io.Reader, size int64, dir string) (int, error) {
	frame := int64(s.Width) * int64(s.Height) * 3
	if frame <= 0 {
		return 0, fmt.Errorf("storyboard: bad plan %+v", s)
	}
	n := int(size / frame)
	if n == 0 || size%frame != 0 {
		return 0, fmt.Errorf("storyboard: %d bytes of thumbnails of %d bytes", size, frame)
	}
	cols, rows := layout(n)
	buf := make([]byte, frame)
	for first := 0; first < n; first += cols * rows {
		count := min(cols*rows, n-first)
		sheetRows := (count + cols - 1) / cols
		sheet := image.NewRGBA(image.Rect(0, 0, cols*s.Width, sheetRows*s.Height))
		for k := range count {
			if _, err := io.ReadFull(raw, buf); err != nil {
				return 0, fmt.Errorf("storyboard: read thumbnail: %w", err)
			}
			x0, y0 := k%cols*s.Width, k/cols*s.Height
			for y := range s.Height {
				row := sheet.Pix[(y0+y)*sheet.Stride+x0*4:]
				src := buf[y*s.Width*3:]
				for x := range s.Width {
					row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = src[x*3], src[x*3+1], src[x*3+2], 0xff
				}
			}
		}
		if err := writeJPEG(filepath.Join(dir, fmt.Sprintf(reel.StoryboardPattern, first/(cols*rows))), sheet); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// writeJPEG encodes img (a sheet of at most a few hundred KiB) and writes
// it to name through writeFileAtomic.
func writeJPEG(name string, img image.Image) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: sheetQuality}); err != nil {
		return fmt.Errorf("storyboard: encode %s: %w", name, err)
	}
	return writeFileAtomic(name, buf.Bytes())
}

// WriteVTT writes the WebVTT file mapping the video's time to its n
// thumbnails on the sheets WriteSheets wrote: a cue per thumbnail whose
// text is the sheet's name with a media fragment selecting the thumbnail
// ("storyboard_0.jpg#xywh=160,0,160,90"), as players' thumbnail tracks
// expect. Cues are an interval long; the last one ends at duration, the
// length of the video, or an interval after it starts if that is later.
func (s Storyboard) WriteVTT(w io.Writer, n int, duration float64) error {
	if s.Interval <= 0 || s.Width <= 0 || s.Height <= 0 || n <= 0 {
		return fmt.Errorf("storyboard: bad plan %+v for %d thumbnails", s, n)
	}
	if math.IsNaN(duration) || math.IsInf(duration, 0) {
		return fmt.Errorf("storyboard: bad duration %v", duration)
	}
	cols, rows := layout(n)
	bw := bufio.NewWriter(w)
	bw.WriteString("WEBVTT\n")
	for i := range n {
		start := float64(i * s.Interval)
		end := start + float64(s.Interval)
		if i == n-1 && duration > start {
			end = duration
		}
		k := i % (cols * rows)
		fmt.Fprintf(bw, "\n%s --> %s\n"+reel.StoryboardPattern+"#xywh=%d,%d,%d,%d\n",
			vttTime(start), vttTime(end), i/(cols*rows),
			k%cols*s.Width, k/cols*s.Height, s.Width, s.Height)
	}
	return bw.Flush()
}

// vttTime formats seconds as WebVTT's hh:mm:ss.ttt.
func vttTime(sec float64) string {
	ms := int64(math.Round(sec * 1000))
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
