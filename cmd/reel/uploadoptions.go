package main

import (
	"strconv"
	"strings"

	"reel"
)

// uploadOptions are the choices reel upload sends with every file's
// upload as tus metadata, as the page's upload form does: the fields the
// server takes per video. Left empty, each is not sent and the server's
// default applies (--codecs, --downloads, --encrypt of reel serve or reel
// worker; unlisted; no description).
type uploadOptions struct {
	Codecs      string       // "h264,hevc"..., checked by reel.ParseCodecs
	Downloads   optionalBool // unset: the server's --downloads
	Encrypt     bool         // false: the server's --encrypt
	Visibility  string       // public, unlisted or private
	Description string
}

// check refuses what the server would refuse, before any file is sent.
func (o *uploadOptions) check() error {
	codecs, err := reel.ParseCodecs(o.Codecs)
	if err != nil {
		return &usageError{msg: "reel upload: --" + reel.ErrorMessage(err), hint: flagHint("reel upload")}
	}
	o.Codecs = strings.Join(codecs, ",")
	if _, err := reel.ParseVisibility(o.Visibility); err != nil {
		return &usageError{msg: "reel upload: --visibility must be public, unlisted or private", hint: flagHint("reel upload")}
	}
	if len(o.Description) > reel.MaxDescriptionBytes {
		return &usageError{msg: "reel upload: --description is longer than " + strconv.Itoa(reel.MaxDescriptionBytes) + " bytes", hint: flagHint("reel upload")}
	}
	return nil
}

// metadata adds the options that were given to a file's tus metadata.
func (o *uploadOptions) metadata(meta map[string]string) {
	if o.Codecs != "" {
		meta["codecs"] = o.Codecs
	}
	if o.Downloads.set {
		meta["downloads"] = strconv.FormatBool(o.Downloads.value)
	}
	if o.Encrypt {
		meta["encrypt"] = "true"
	}
	if o.Visibility != "" {
		meta["visibility"] = o.Visibility
	}
	if o.Description != "" {
		meta["description"] = o.Description
	}
}

// optionalBool is a boolean flag that also knows whether it was given:
// --downloads asks for downloads, --downloads=false asks for none even
// from a server that makes them by default, and neither leaves the
// choice to the server.
type optionalBool struct{ set, value bool }

// Set reads the spellings the server's upload fields take (true, 1, yes,
// on; false, 0, no, off), in any case.
func (b *optionalBool) Set(s string) error {
	v, err := reel.ParseDownloads(s)
	if err != nil || v == nil {
		return strconv.ErrSyntax
	}
	b.set, b.value = true, *v
	return nil
}

// String is "" while unset, so that the help shows no default.
func (b *optionalBool) String() string {
	if b == nil || !b.set {
		return ""
	}
	return strconv.FormatBool(b.value)
}

// IsBoolFlag lets --downloads stand alone for true.
func (b *optionalBool) IsBoolFlag() bool { return true }
