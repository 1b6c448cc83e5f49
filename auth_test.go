package reel

import (
	"bytes"
	"testing"
)

func TestPrincipalRights(t *testing.T) {
	admin := Principal{KeyID: "a", Role: RoleAdmin}
	alice := Principal{KeyID: "alice", Role: RoleUploader}
	bob := Principal{KeyID: "bob", Role: RoleUploader}
	viewer := Principal{KeyID: "v", Role: RoleViewer}
	aliceVideo := &Video{Owner: "alice", Visibility: VisibilityPrivate}
	ownerless := &Video{Visibility: VisibilityPrivate}
	unlisted := &Video{Owner: "alice", Visibility: VisibilityUnlisted}

	for _, tt := range []struct {
		name           string
		p              Principal
		v              *Video
		manage, see    bool
		upload         bool
		wantListPublic bool
	}{
		{"admin", admin, aliceVideo, true, true, true, false},
		{"owner", alice, aliceVideo, true, true, true, true},
		{"other uploader", bob, aliceVideo, false, false, true, true},
		{"other uploader, unlisted", bob, unlisted, false, true, true, true},
		{"viewer", viewer, aliceVideo, false, true, false, false},
		// A video without owner is no uploader's, whose key id is never "".
		{"uploader without key id", Principal{Role: RoleUploader}, ownerless, false, false, true, true},
	} {
		if got := tt.p.CanManage(tt.v); got != tt.manage {
			t.Errorf("%s: CanManage = %v", tt.name, got)
		}
		if got := tt.p.CanSee(tt.v); got != tt.see {
			t.Errorf("%s: CanSee = %v", tt.name, got)
		}
		if got := tt.p.CanUpload(); got != tt.upload {
			t.Errorf("%s: CanUpload = %v", tt.name, got)
		}
		if f := ListFilter(&tt.p); f.PublicOnly != tt.wantListPublic || tt.wantListPublic && f.Owner != tt.p.KeyID {
			t.Errorf("%s: ListFilter = %+v", tt.name, f)
		}
	}
	if f := ListFilter(nil); !f.PublicOnly || f.Owner != "" {
		t.Errorf("anonymous ListFilter = %+v", f)
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != 43 || a == b {
		t.Errorf("NewSecret = %q, %q", a, b)
	}
	if h := HashSecret(a); len(h) != 32 || !bytes.Equal(h, HashSecret(a)) || bytes.Equal(h, HashSecret(b)) {
		t.Errorf("HashSecret(%q) = %x", a, h)
	}
	for _, r := range []Role{RoleAdmin, RoleUploader, RoleViewer} {
		if !ValidRole(r) {
			t.Errorf("ValidRole(%q) = false", r)
		}
	}
	if ValidRole("root") || ValidVisibility("secret") || !ValidVisibility(DefaultVisibility) {
		t.Error("ValidRole or ValidVisibility is wrong")
	}
}
