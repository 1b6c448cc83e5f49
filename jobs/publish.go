package jobs

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"reel"
	"reel/hls"
)

// publisher uploads a transcode's outputs while ffmpeg still writes them,
// so a video plays long before its whole ladder is done. Each pass reads
// every rendition's media playlist from the work folder and uploads the
// segments it lists (complete ones: ffmpeg lists a segment once it is
// closed), the init segment, and then the playlist itself, as an EVENT
// playlist. Once every rendition has a segment, it publishes a master
// playlist built from the plan, and the video is playable. finish then
// uploads what is left, the final VOD playlists, and the measured master
// last.
type publisher struct {
	outputs  reel.BlobStore
	prefix   string // the video's output prefix, "id/"
	dir      string // ffmpeg's output folder
	planned  []reel.Rendition
	playable func() // called once, when the first master is up

	uploaded  map[string]bool   // immutable files already up: init and segments
	playlists map[string][]byte // media playlists as last uploaded
	codecs    map[string]string // rendition name → CODECS, from its init segment
	published bool
}

func newPublisher(outputs reel.BlobStore, id, dir string, planned []reel.Rendition, playable func()) *publisher {
	return &publisher{
		outputs: outputs, prefix: reel.OutputPrefix(id), dir: dir, planned: planned, playable: playable,
		uploaded: map[string]bool{}, playlists: map[string][]byte{}, codecs: map[string]string{},
	}
}

// run syncs every interval until ctx ends; failures wait for finish, which
// uploads everything anyway.
func (p *publisher) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.sync(ctx)
		}
	}
}

// mapLine matches a playlist's EXT-X-MAP; ffmpeg may name the init segment
// init_<name>.mp4 while it encodes, which it is not called once published.
var mapLine = regexp.MustCompile(`(?m)^#EXT-X-MAP:URI="[^"]*"`)

const initSegment = "init.mp4"

// sync makes one pass over the renditions' playlists.
func (p *publisher) sync(ctx context.Context) error {
	ready := 0
	for _, r := range p.planned {
		n, err := p.syncRendition(ctx, r.Name)
		if err != nil {
			return fmt.Errorf("publish %s: %w", r.Name, err)
		}
		if n > 0 {
			ready++
		}
	}
	if ready == len(p.planned) && !p.published {
		if err := p.publishMaster(ctx); err != nil {
			return err
		}
		p.published = true
		p.playable()
	}
	return nil
}

// syncRendition uploads what is new in one rendition and returns how many
// segments are up.
func (p *publisher) syncRendition(ctx context.Context, name string) (int, error) {
	data, err := os.ReadFile(filepath.Join(p.dir, name, "index.m3u8"))
	if os.IsNotExist(err) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	pl, err := hls.ParseMedia(data)
	if err != nil || pl.Map == "" || len(pl.Segments) == 0 {
		return 0, nil // not written far enough yet
	}
	if key := name + "/" + initSegment; !p.uploaded[key] {
		init, err := os.ReadFile(filepath.Join(p.dir, name, path.Base(pl.Map)))
		if err != nil {
			return 0, err
		}
		if p.codecs[name], err = hls.Codecs(init); err != nil {
			return 0, err
		}
		if err := p.put(ctx, key, init); err != nil {
			return 0, err
		}
		p.uploaded[key] = true
	}
	for _, seg := range pl.Segments {
		key := name + "/" + path.Base(seg.URI)
		if p.uploaded[key] {
			continue
		}
		if err := p.putFile(ctx, key); err != nil {
			return 0, err
		}
		p.uploaded[key] = true
	}
	data = mapLine.ReplaceAll(data, []byte(`#EXT-X-MAP:URI="`+initSegment+`"`))
	if !bytes.Equal(data, p.playlists[name]) {
		if err := p.put(ctx, name+"/index.m3u8", data); err != nil {
			return 0, err
		}
		p.playlists[name] = data
	}
	return len(pl.Segments), nil
}

// publishMaster uploads a master playlist built from the plan, for players
// to start on while encoding goes on.
func (p *publisher) publishMaster(ctx context.Context) error {
	variants := make([]hls.Variant, 0, len(p.planned))
	for _, r := range p.planned {
		variants = append(variants, hls.Variant{
			URI: r.Name + "/index.m3u8", Bandwidth: r.Bandwidth, Codecs: p.codecs[r.Name],
			Width: r.Width, Height: r.Height, FrameRate: r.FrameRate,
		})
	}
	var buf bytes.Buffer
	if err := hls.WriteMaster(&buf, variants); err != nil {
		return err
	}
	return p.put(ctx, reel.MasterPlaylist, buf.Bytes())
}

// finish uploads every file of the finished folder not yet up, the master
// playlist last so that the final, measured master replaces the early one
// only once everything it names is there.
func (p *publisher) finish(ctx context.Context) error {
	var files []string
	err := filepath.WalkDir(p.dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(p.dir, file)
		if err != nil {
			return err
		}
		if rel := filepath.ToSlash(rel); rel != reel.MasterPlaylist && !p.uploaded[rel] && !strings.HasPrefix(path.Base(rel), ".") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(p.dir, reel.MasterPlaylist)); err != nil {
		return fmt.Errorf("transcoder wrote no master playlist: %w", err)
	}
	for _, rel := range append(files, reel.MasterPlaylist) {
		if err := p.putFile(ctx, rel); err != nil {
			return fmt.Errorf("upload %s: %w", rel, err)
		}
	}
	return nil
}

func (p *publisher) put(ctx context.Context, key string, data []byte) error {
	_, err := p.outputs.Put(ctx, p.prefix+key, bytes.NewReader(data))
	return err
}

func (p *publisher) putFile(ctx context.Context, rel string) error {
	f, err := os.Open(filepath.Join(p.dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = p.outputs.Put(ctx, p.prefix+rel, f)
	return err
}
