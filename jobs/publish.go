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
	"slices"
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
//
// With a content key, segments are encrypted on their way up (HLS
// AES-128, whole segments, IV from the media sequence number), media
// playlists get an EXT-X-KEY naming the key file under the same signed
// prefix, and the master loses its I-frame variants, which cannot be
// decrypted apart from their segments. The files on local disk stay clear.
type publisher struct {
	outputs  reel.BlobStore
	prefix   string // the video's output prefix, "id/"
	dir      string // ffmpeg's output folder
	planned  []reel.Rendition
	playable func() // called once, when the first master is up
	key      []byte // AES-128 content key; nil publishes in the clear

	uploaded  map[string]bool   // immutable files already up: init and segments
	playlists map[string][]byte // media playlists as last uploaded
	codecs    map[string]string // rendition name → CODECS, from its init segment
	published bool
}

func newPublisher(outputs reel.BlobStore, id, dir string, planned []reel.Rendition, key []byte, playable func()) *publisher {
	return &publisher{
		outputs: outputs, prefix: reel.OutputPrefix(id), dir: dir, planned: planned, playable: playable, key: key,
		uploaded: map[string]bool{}, playlists: map[string][]byte{}, codecs: map[string]string{},
	}
}

// keyURI is where media playlists, one folder down, find the content key.
const keyURI = "../" + reel.ContentKey

// putKey uploads the content key, once, before any segment it encrypts.
func (p *publisher) putKey(ctx context.Context) error {
	if p.key == nil || p.uploaded[reel.ContentKey] {
		return nil
	}
	if err := p.put(ctx, reel.ContentKey, p.key); err != nil {
		return err
	}
	p.uploaded[reel.ContentKey] = true
	return nil
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
	data, err := os.ReadFile(filepath.Join(p.dir, name, reel.MediaPlaylist))
	if os.IsNotExist(err) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	pl, err := hls.ParseMedia(data)
	if err != nil || pl.Map == "" || len(pl.Segments) == 0 {
		return 0, nil // not written far enough yet
	}
	if key := name + "/" + reel.InitSegment; !p.uploaded[key] {
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
	if err := p.putKey(ctx); err != nil {
		return 0, err
	}
	for i, seg := range pl.Segments {
		key := name + "/" + path.Base(seg.URI)
		if p.uploaded[key] {
			continue
		}
		if err := p.putSegment(ctx, key, pl.MediaSequence+int64(i)); err != nil {
			return 0, err
		}
		p.uploaded[key] = true
	}
	data = mapLine.ReplaceAll(data, []byte(`#EXT-X-MAP:URI="`+reel.InitSegment+`"`))
	if p.key != nil {
		data = hls.AddKey(data, keyURI)
	}
	if !bytes.Equal(data, p.playlists[name]) {
		if err := p.put(ctx, name+"/"+reel.MediaPlaylist, data); err != nil {
			return 0, err
		}
		p.playlists[name] = data
	}
	return len(pl.Segments), nil
}

// publishMaster uploads a master playlist built from the plan, for players
// to start on while encoding goes on. Codecs come from the init segments;
// a video rung's lists its audio's too, as the final master does.
func (p *publisher) publishMaster(ctx context.Context) error {
	var audioCodecs []string
	for _, r := range p.planned {
		// Every language's audio is the same codec: named once.
		if c := p.codecs[r.Name]; r.IsAudio() && !slices.Contains(audioCodecs, c) {
			audioCodecs = append(audioCodecs, c)
		}
	}
	renditions := make([]reel.Rendition, 0, len(p.planned))
	for _, r := range p.planned {
		r.Codecs = p.codecs[r.Name]
		if !r.IsAudio() && len(audioCodecs) > 0 {
			r.Codecs = strings.Join(append([]string{r.Codecs}, audioCodecs...), ",")
		}
		renditions = append(renditions, r)
	}
	var buf bytes.Buffer
	if err := hls.MasterOf(renditions, nil).Encode(&buf); err != nil {
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
	if p.key != nil {
		return p.finishEncrypted(ctx, files)
	}
	for _, rel := range append(files, reel.MasterPlaylist) {
		if err := p.putFile(ctx, rel); err != nil {
			return fmt.Errorf("upload %s: %w", rel, err)
		}
	}
	return nil
}

// finishEncrypted is finish for an encrypted video: the final media
// playlists give each remaining segment its sequence number, and every
// file goes up in the form players of an encrypted stream expect.
func (p *publisher) finishEncrypted(ctx context.Context, files []string) error {
	if err := p.putKey(ctx); err != nil {
		return err
	}
	sequence := map[string]int64{} // segment → media sequence number
	for _, rel := range files {
		if path.Base(rel) != reel.MediaPlaylist {
			continue
		}
		data, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		pl, err := hls.ParseMedia(data)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for i, seg := range pl.Segments {
			sequence[path.Join(path.Dir(rel), seg.URI)] = pl.MediaSequence + int64(i)
		}
	}
	for _, rel := range append(files, reel.MasterPlaylist) {
		var err error
		switch seq, isSegment := sequence[rel]; {
		case isSegment:
			err = p.putSegment(ctx, rel, seq)
		case path.Base(rel) == reel.IFramePlaylist:
			continue // byte ranges of encrypted segments: unusable
		case rel == reel.MasterPlaylist:
			err = p.putTransformed(ctx, rel, hls.StripIFrames)
		case path.Base(rel) == reel.MediaPlaylist:
			err = p.putTransformed(ctx, rel, func(b []byte) []byte { return hls.AddKey(b, keyURI) })
		default:
			err = p.putFile(ctx, rel)
		}
		if err != nil {
			return fmt.Errorf("upload %s: %w", rel, err)
		}
	}
	return nil
}

// putSegment uploads a media segment, encrypted when there is a key.
func (p *publisher) putSegment(ctx context.Context, rel string, sequence int64) error {
	if p.key == nil {
		return p.putFile(ctx, rel)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	enc, err := hls.EncryptSegment(p.key, sequence, data)
	if err != nil {
		return err
	}
	return p.put(ctx, rel, enc)
}

// putTransformed uploads a small file changed by f.
func (p *publisher) putTransformed(ctx context.Context, rel string, f func([]byte) []byte) error {
	data, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	return p.put(ctx, rel, f(data))
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

// dropDownloads removes the downloads the transcoder made from dir and
// from renditions, for an encrypted video: they are remuxed from the clear
// segments, and a clear copy in the outputs store would undo the
// encryption, so encrypted videos have no downloads.
func dropDownloads(dir string, renditions []reel.Rendition) error {
	for i := range renditions {
		if d := renditions[i].Download; d != "" {
			if err := os.Remove(filepath.Join(dir, d)); err != nil && !os.IsNotExist(err) {
				return err
			}
			renditions[i].Download = ""
		}
	}
	return nil
}
