package web

import (
	"html/template"
	"net/http"
	"strings"

	"reel"
)

// The embed page, /embed/{id}: the player alone (poster, quality and
// captions menus), for other sites to put in an iframe. It shows public
// and unlisted videos to anyone; a private one, or none, is a 404 page,
// whoever asks, as a page framed on another site gets no cookie of
// reel's anyway. The page is rendered here with a freshly signed
// playback URL, so it needs no API call to start; embed.js plays it, and
// asks the API for a new one when the video is not ready yet or the URL
// has expired. Only this page may be framed, by the origins of
// --embed-origins (securityHeaders); every other page says
// frame-ancestors 'none'.

// embedPage is the page; html/template escapes every value by context.
var embedPage = template.Must(template.New("embed").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{{.Title}}</title>
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}{{.ImportMap}}<script type="module" src="{{.Script}}"></script>
</head>
<body class="embed">
{{if .ID}}<main id="embed" data-video-id="{{.ID}}" data-status="{{.Status}}" data-playback-url="{{.PlaybackURL}}" data-poster-url="{{.PosterURL}}" data-share-url="{{.ShareURL}}">
<h1 class="visually-hidden">{{.Title}}</h1>
<div id="embed-player" class="player"></div>
<p id="embed-message" class="embed-message" role="status" hidden></p>
</main>{{else}}<main class="embed-missing">
<h1>Video not found</h1>
<p>There is no public video at this address; it may have been deleted or made private.</p>
</main>{{end}}
</body>
</html>
`))

// embedView is what the embed page shows.
type embedView struct {
	ID, Title, Status      string
	PlaybackURL, PosterURL string
	ShareURL               string // the video's watch page on reel

	// The page's assets by their hashed URLs, and the import map that
	// sends the modules' imports to theirs (page.go).
	Styles    []string
	Script    string
	ImportMap template.HTML
}

func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	// The page carries a signed URL: no cache keeps it for another.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Anonymous rules whoever asks: private videos are never embedded.
	v, err := s.videos.Visible(r.Context(), nil, r.PathValue("id"))
	if err != nil {
		if reel.ErrorCode(err) != reel.ENOTFOUND {
			s.error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		embedPage.Execute(w, s.embedAssets(embedView{Title: "Video not found · reel"}))
		return
	}
	view := s.embedAssets(embedView{ID: v.ID, Title: videoTitle(v), Status: string(v.Status),
		ShareURL: s.baseURL(r) + "/#/v/" + v.ID})
	if j := s.videoJSON(r, v); j.Playback != nil {
		view.PlaybackURL, view.PosterURL = j.Playback.URL, j.Playback.PosterURL
	}
	embedPage.Execute(w, view)
}

// embedAssets fills in the page's asset URLs and import map.
func (s *Server) embedAssets(v embedView) embedView {
	v.Styles = []string{s.page.url("style.css"), s.page.url("watch.css")}
	v.Script = s.page.url("embed.js")
	v.ImportMap = template.HTML(s.page.importMap) // built by newPageAssets from file names and hashes
	return v
}

// videoTitle is what a page calls a video: its title, else its file name.
func videoTitle(v *reel.Video) string {
	if t := strings.TrimSpace(v.Title); t != "" {
		return t
	}
	if v.Filename != "" {
		return v.Filename
	}
	return v.ID
}

// frameAncestors is the CSP frame-ancestors source list of the embed
// page: the configured origins, any ("*") without them.
func frameAncestors(origins []string) string {
	if len(origins) == 0 {
		return "*"
	}
	return strings.Join(origins, " ")
}
