package main

import (
	"testing"
	"time"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1024": 1024, "50GiB": 50 << 30, "512MiB": 512 << 20, "2GB": 2e9, "10m": 10 << 20, "1.5KiB": 1536, " 7 b ": 7,
	} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "lots", "1e30"} {
		if _, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) succeeded", in)
		}
	}
}

// Flags beat REEL_* variables, which beat defaults.
func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{
		"REEL_DATA":            "/from/env",
		"REEL_ADDR":            "127.0.0.1:9999",
		"REEL_MAX_UPLOAD_SIZE": "1GiB",
		"REEL_PLAYBACK_TTL":    "2h",
	}
	c := &ServeCommand{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if err := c.ParseFlags([]string{"--addr", "127.0.0.1:7777"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" || c.Data != "/from/env" || c.MaxUploadSize != 1<<30 ||
		c.PlaybackTTL != 2*time.Hour || c.AllowOrigin != "*" {
		t.Errorf("config = %+v", c)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	for _, args := range [][]string{
		{"--max-upload-size", "0"},
		{"--playback-ttl", "1s"},
		{"--signing-key", "short"},
		{"--public-url", "example.com"},
		{"--log-level", "loud"},
		{"--codecs", "hevc"},
		{"--codecs", "h264,vp9"},
		{"--codecs", "h264,hevc,hevc"},
		{"--embed-origins", "blog.example.com"},
		{"--embed-origins", "https://blog.example.com/path"},
		{"--embed-origins", "https://a.example, 'self'"},
		{"--embed-origins", "https://a.example;script-src *"},
		{"--embed-origins", ""},
		{"stray-argument"},
	} {
		c := &ServeCommand{Lookup: none}
		if err := c.ParseFlags(args); err == nil {
			t.Errorf("ParseFlags(%q) accepted", args)
		}
	}
	bad := &ServeCommand{Lookup: func(k string) (string, bool) { return "nonsense", k == "REEL_WORKERS" }}
	if err := bad.ParseFlags(nil); err == nil {
		t.Error("REEL_WORKERS=nonsense accepted")
	}
}

// reel worker takes serve's database, store and transcoding flags, from
// the same REEL_* variables, and its own --concurrency.
func TestWorkerFlags(t *testing.T) {
	env := map[string]string{"REEL_STALL_TIMEOUT": "30s", "REEL_DB": "/from/env.db", "REEL_CONCURRENCY": "3"}
	c := &WorkerCommand{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if err := c.ParseFlags([]string{"--originals", "s3://b/p", "--concurrency", "2"}); err != nil {
		t.Fatal(err)
	}
	if c.StallTimeout != 30*time.Second || c.DB != "/from/env.db" || c.Originals != "s3://b/p" || c.Concurrency != 2 {
		t.Errorf("config = %+v", c)
	}
	none := func(string) (string, bool) { return "", false }
	for _, args := range [][]string{
		{"--concurrency", "0"},
		{"--stall-timeout", "10ms"},
		{"--addr", "127.0.0.1:1"}, // serve's, not the worker's
		{"stray-argument"},
	} {
		if err := (&WorkerCommand{Lookup: none}).ParseFlags(args); err == nil {
			t.Errorf("ParseFlags(%q) accepted", args)
		}
	}
}

// --embed-origins (REEL_EMBED_ORIGINS): any by default, else the origins
// listed, as frame-ancestors takes them.
func TestEmbedOriginsFlag(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	c := &ServeCommand{Lookup: none}
	if err := c.ParseFlags(nil); err != nil || c.embedOrigins != nil {
		t.Errorf("default: %q, %v; want any (nil)", c.embedOrigins, err)
	}
	env := func(k string) (string, bool) {
		return " https://blog.example.com/ ,http://127.0.0.1:9000", k == "REEL_EMBED_ORIGINS"
	}
	c = &ServeCommand{Lookup: env}
	if err := c.ParseFlags(nil); err != nil || len(c.embedOrigins) != 2 ||
		c.embedOrigins[0] != "https://blog.example.com" || c.embedOrigins[1] != "http://127.0.0.1:9000" {
		t.Errorf("REEL_EMBED_ORIGINS: %q, %v", c.embedOrigins, err)
	}
}
