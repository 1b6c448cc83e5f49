// session.js: who the visitor is (GET /api/session), asked once per page
// load and shared by every module, and what that lets them do on the
// page. The server checks every request itself; the page only avoids
// showing controls that would then fail (an upload form to a signed-out
// visitor, Delete on someone else's video).

let pending = null;

// getSession answers the session: {open, signed_in, role, key_id, name}.
// A server that cannot be reached makes an anonymous visitor; the list
// view reports it.
export function getSession() {
  if (!pending) {
    pending = fetch('/api/session', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then((res) => (res.ok ? res.json() : { open: false, signed_in: false }))
      .catch(() => ({ open: false, signed_in: false, unreachable: true }));
  }
  return pending;
}

// isAdmin: admins, and everyone while reel runs open.
export const isAdmin = (s) => !!s && (s.open || s.role === 'admin');

// canUpload: uploaders and admins (reel.Principal.CanUpload).
export const canUpload = (s) => isAdmin(s) || (!!s && s.role === 'uploader');

// canManage: may retry, change or delete the video
// (reel.Principal.CanManage): admins, and uploaders their own videos.
export const canManage = (s, v) => isAdmin(s) || (!!s && s.role === 'uploader' && !!v.owner && v.owner === s.key_id);
