package main

// What reel upload remembers, and which files it takes from a folder.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// videoExts are the extensions of the files a folder stands for.
var videoExts = map[string]bool{
	".mp4": true, ".m4v": true, ".mov": true, ".mkv": true, ".webm": true, ".avi": true,
	".wmv": true, ".flv": true, ".mpg": true, ".mpeg": true, ".ts": true, ".mts": true,
	".m2ts": true, ".3gp": true, ".ogv": true, ".mxf": true, ".dv": true, ".vob": true,
}

// expandUploadArgs turns the files and folders named into the files to
// upload, each once, in order: a folder's video files, recursively, in
// lexical order, skipping hidden files and folders. Names that cannot be
// read, and folders without videos, come back as failed results.
func expandUploadArgs(args []string) ([]string, []uploadResult) {
	var files []string
	var bad []uploadResult
	seen := map[string]bool{}
	add := func(p string) {
		abs, err := filepath.Abs(p)
		if err != nil || !seen[abs] {
			seen[abs] = true
			files = append(files, p)
		}
	}
	fail := func(p string, err error) {
		bad = append(bad, uploadResult{path: p, size: -1, outcome: outcomeFailed, err: err})
	}
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			fail(arg, err)
			continue
		}
		if !fi.IsDir() {
			add(arg)
			continue
		}
		found := 0
		filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				fail(p, err)
				return nil
			}
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !videoExts[strings.ToLower(filepath.Ext(p))] {
				return nil
			}
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				return nil // a dangling link, a device: no video
			}
			found++
			add(p)
			return nil
		})
		if found == 0 {
			fail(arg, errors.New("no video files in the folder (by extension: .mp4, .mov, .mkv, .webm, ...)"))
		}
	}
	return files, bad
}

// uploadState is what the state file remembers of one file's upload:
// its URL while unfinished, and once finished that it is.
type uploadState struct {
	Server     string    `json:"server"`
	Path       string    `json:"path"`
	Size       int64     `json:"size"`
	ModTime    time.Time `json:"mtime"`
	UploadURL  string    `json:"upload_url"`
	VideoID    string    `json:"video_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// stateFile names the state file of a file as it is now: a changed file
// (size or mtime) or another server starts a new upload.
func (c *UploadCommand) stateFile(abs string, fi os.FileInfo) string {
	key := fmt.Sprintf("%s\n%s\n%d\n%d", c.Server, abs, fi.Size(), fi.ModTime().UnixNano())
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.StateDir, "upload-"+hex.EncodeToString(sum[:12])+".json")
}

func readState(path string) (*uploadState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var st uploadState
	if err := json.Unmarshal(b, &st); err != nil || st.UploadURL == "" {
		return nil, nil // a torn or foreign file: start over
	}
	return &st, nil
}

// writeState writes st atomically: a crash leaves the old file or the new.
func writeState(path string, st *uploadState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
