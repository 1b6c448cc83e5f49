package video

import (
	"strings"
	"testing"

	"reel"
)

func TestNew(t *testing.T) {
	uploader := &reel.Principal{KeyID: "k1", Role: reel.RoleUploader}
	for _, tt := range []struct {
		name string
		p    *reel.Principal
		d    Draft
		code string // "" for created
	}{
		{"anonymous", nil, Draft{Status: reel.StatusQueued}, reel.EUNAUTHORIZED},
		{"viewer", &reel.Principal{KeyID: "v", Role: reel.RoleViewer}, Draft{Status: reel.StatusQueued}, reel.EFORBIDDEN},
		{"uploader", uploader, Draft{Status: reel.StatusQueued}, ""},
		{"admin", &reel.Principal{KeyID: "a", Role: reel.RoleAdmin}, Draft{Status: reel.StatusUploading}, ""},
		{"system", System(), Draft{Status: reel.StatusQueued, OriginalKey: "inbox/a.mp4"}, ""},
		{"title too long", uploader, Draft{Status: reel.StatusQueued, Title: strings.Repeat("x", reel.MaxTitleBytes+1)}, reel.EINVALID},
		{"no status", uploader, Draft{}, reel.EINVALID},
		{"bad visibility", uploader, Draft{Status: reel.StatusQueued, Visibility: "secret"}, reel.EINVALID},
		{"bad id", uploader, Draft{Status: reel.StatusQueued, ID: "../x"}, reel.EINVALID},
	} {
		v, err := New(tt.p, tt.d)
		if reel.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.code)
			continue
		}
		if err != nil {
			continue
		}
		if v.Owner != tt.p.KeyID || !reel.ValidID(v.ID) || v.OriginalKey == "" {
			t.Errorf("%s: %+v", tt.name, v)
		}
		if tt.d.OriginalKey != "" && v.OriginalKey != tt.d.OriginalKey {
			t.Errorf("%s: original key %q, want %q", tt.name, v.OriginalKey, tt.d.OriginalKey)
		}
	}
	v, err := New(uploader, Draft{Status: reel.StatusQueued, Title: "  My\u202E clip ", Filename: `C:\a\b.mp4`, ContentType: "video/mp4\x00"})
	if err != nil || v.Title != "My clip" || v.Filename != "b.mp4" || v.ContentType != "video/mp4" {
		t.Errorf("names not cleaned: %+v, %v", v, err)
	}
}

func TestRules(t *testing.T) {
	alice := &reel.Principal{KeyID: "alice", Role: reel.RoleUploader}
	bob := &reel.Principal{KeyID: "bob", Role: reel.RoleUploader}
	viewer := &reel.Principal{KeyID: "v", Role: reel.RoleViewer}
	admin := &reel.Principal{KeyID: "a", Role: reel.RoleAdmin}
	for _, vis := range []reel.Visibility{reel.VisibilityPublic, reel.VisibilityUnlisted, reel.VisibilityPrivate} {
		v := &reel.Video{Owner: "alice", Visibility: vis}
		private := vis == reel.VisibilityPrivate
		for _, tt := range []struct {
			name        string
			p           *reel.Principal
			see, manage bool
		}{
			{"anonymous", nil, !private, false},
			{"viewer", viewer, true, false},
			{"owner", alice, true, true},
			{"other uploader", bob, !private, false},
			{"admin", admin, true, true},
		} {
			if got := CanSee(tt.p, v); got != tt.see {
				t.Errorf("%s, %s: CanSee %v", tt.name, vis, got)
			}
			if got := CanManage(tt.p, v); got != tt.manage {
				t.Errorf("%s, %s: CanManage %v", tt.name, vis, got)
			}
		}
	}
	// A video without owner is only an admin's to change.
	if CanManage(&reel.Principal{Role: reel.RoleUploader}, &reel.Video{}) {
		t.Error("an uploader without key manages an ownerless video")
	}
}
