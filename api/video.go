package api

import (
	"cmp"
	"strings"

	"reel"
)

// VideoOf returns v as the API shows it, without playback URLs (which
// depend on the request): the web handlers add them, webhooks send it as
// it is.
func VideoOf(v *reel.Video) Video {
	j := Video{
		ID: v.ID, Title: v.Title, Description: v.Description, Filename: v.Filename, Status: v.Status, Progress: v.Progress, Playable: v.Playable, Encrypted: v.Encrypted, Chunks: max(v.Chunks, 1),
		Size: v.Size, ContentType: v.ContentType, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		Warnings: v.Warnings, Visibility: cmp.Or(v.Visibility, reel.DefaultVisibility), Owner: v.Owner,
		Codecs: strings.Join(v.Codecs, ","),
	}
	if v.Downloads != nil {
		made := *v.Downloads && !v.Encrypted // encrypted videos have none
		j.Downloads = &made
	}
	if j.Warnings == nil {
		j.Warnings = []reel.MediaWarning{}
	}
	if v.Status == reel.StatusFailed {
		j.Error = v.Error
	}
	if v.Status == reel.StatusReady {
		j.Duration, j.Width, j.Height, j.Renditions = v.Duration, v.Width, v.Height, v.Renditions
	}
	return j
}
