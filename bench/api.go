package main

// A small client of reel's API for the benchmarks: uploads streamed from
// a file (never held in memory), video state, deletes, waiting until a
// video is ready. The JSON shapes are the API's own (package api).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"reel/api"
)

// Client talks to one reel.
type Client struct {
	URL string // base URL, http://127.0.0.1:PORT
	Key string // bearer key; empty: none
}

func (c Client) do(ctx context.Context, method, path string, body io.Reader, ctype string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	return http.DefaultClient.Do(req)
}

// Upload posts the file as the multipart part "file" to /api/videos,
// streaming it, and returns the video and the time to the 201.
func (c Client) Upload(ctx context.Context, file string) (api.Video, time.Duration, error) {
	var v api.Video
	f, err := os.Open(file)
	if err != nil {
		return v, 0, err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", filepath.Base(file))
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	start := time.Now()
	resp, err := c.do(ctx, http.MethodPost, "/api/videos", pr, mw.FormDataContentType())
	if err != nil {
		return v, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return v, took, err
	}
	if resp.StatusCode != http.StatusCreated {
		return v, took, fmt.Errorf("upload to %s answered %s: %s", c.URL, resp.Status, trim(body))
	}
	return v, took, json.Unmarshal(body, &v)
}

// Video returns the video's state.
func (c Client) Video(ctx context.Context, id string) (api.Video, error) {
	var v api.Video
	resp, err := c.do(ctx, http.MethodGet, "/api/videos/"+id, nil, "")
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return v, err
	}
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("GET video %s answered %s: %s", id, resp.Status, trim(body))
	}
	return v, json.Unmarshal(body, &v)
}

// Delete deletes the video.
func (c Client) Delete(ctx context.Context, id string) error {
	resp, err := c.do(ctx, http.MethodDelete, "/api/videos/"+id, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE video %s answered %s: %s", id, resp.Status, trim(body))
	}
	return nil
}

// WaitReady polls the video every interval until it is ready, and fails
// if it fails or timeout passes. seen, when not nil, is called with every
// state polled (the transcode benchmark notes when it turned playable).
func (c Client) WaitReady(ctx context.Context, id string, interval, timeout time.Duration, seen func(api.Video)) (api.Video, error) {
	deadline := time.Now().Add(timeout)
	for {
		v, err := c.Video(ctx, id)
		if err != nil {
			return v, err
		}
		if seen != nil {
			seen(v)
		}
		switch {
		case v.Status == "ready":
			return v, nil
		case v.Status == "failed":
			return v, fmt.Errorf("reel failed to transcode %s: %s", id, v.Error)
		case time.Now().After(deadline):
			return v, fmt.Errorf("video %s not ready within %s (status %s)", id, timeout, v.Status)
		}
		select {
		case <-time.After(interval):
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}

// ladderOf lists a video's renditions as "360p 640x360, ...".
func ladderOf(v api.Video) string {
	var s []string
	for _, r := range v.Renditions {
		if r.Width > 0 {
			s = append(s, fmt.Sprintf("%s %dx%d", r.Name, r.Width, r.Height))
		}
	}
	return strings.Join(s, ", ")
}

// trim shortens a response body for an error message.
func trim(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}
