package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"reel"
)

// isDownload reports whether file, under a video's prefix, is one of its
// downloads (reel --downloads), served as an attachment.
func isDownload(file string) bool { return file == reel.DownloadVideo || file == reel.DownloadAudio }

// downloadDisposition returns the Content-Disposition of a download of
// the video titled title (RFC 6266): an attachment named after the title,
// cleaned as a client's file name is, with the file's extension. The
// plain filename is an ASCII stand-in for old clients; filename* carries
// the UTF-8 name.
func downloadDisposition(title, file string) string {
	// A title may hold slashes ("AC/DC live"): kept as dashes, not cut.
	name := reel.CleanFilename(strings.NewReplacer("/", "-", "\\", "-").Replace(title))
	name = strings.TrimSpace(name)
	if name == "" || strings.Trim(name, ".") == "" {
		name = "video"
	}
	name += path.Ext(file)
	ascii := []rune(name)
	for i, c := range ascii {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%' {
			ascii[i] = '_'
		}
	}
	// PathEscape leaves sub-delims such as ';' and ',' alone; RFC 5987's
	// attr-char does not allow them, so they are escaped too.
	star := strings.NewReplacer(";", "%3B", ",", "%2C", "'", "%27", "(", "%28", ")", "%29", "*", "%2A", "=", "%3D", "+", "%2B", "&", "%26", "$", "%24", ":", "%3A", "@", "%40").
		Replace(url.PathEscape(name))
	return `attachment; filename="` + string(ascii) + `"; filename*=UTF-8''` + star
}

// setDownloadHeaders names a download's file after its video's title. A
// store that cannot say the title still gets the file an attachment.
func (s *Server) setDownloadHeaders(w http.ResponseWriter, r *http.Request, id, file string) {
	title := ""
	if s.Videos != nil {
		if v, err := s.Videos.Video(r.Context(), id); err == nil {
			title = downloadTitle(v)
		}
	}
	w.Header().Set("Content-Disposition", downloadDisposition(title, file))
}

// downloadTitle is the name a video's downloads take: its title, else
// (an upload that gave none) the name of the file uploaded, without its
// extension, as a viewer knows it.
func downloadTitle(v *reel.Video) string {
	if strings.TrimSpace(v.Title) != "" {
		return v.Title
	}
	return strings.TrimSuffix(v.Filename, path.Ext(v.Filename))
}
