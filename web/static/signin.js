// reel's sign-in: asks GET /api/session who the visitor is and shows, in
// the header, a sign-in form (an API key), who is signed in with a
// sign-out button, or, while reel runs open (no key exists, loopback
// only), a banner saying that everyone acts as admin. In the player view
// it adds a visibility select for those who may change the video.
//
// Signing in trades the key for an HttpOnly session cookie that the
// page's fetches carry; the key itself is not kept by the page. The page
// reloads after signing in or out so every view fetches again as the
// new caller. Text reaches the page through textContent only.
import { getSession } from './session.js';

// initSignin fills the header; app.js calls it once the page is set up.
export function initSignin() {
  const box = document.getElementById('signin');
  const openBanner = document.getElementById('open-banner');
  if (!box) return;

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    node.append(...children);
    return node;
  }

  async function call(method, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch('/api/session', init);
    const text = res.status === 204 ? '' : await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const msg = data && data.error && data.error.message;
      throw new Error(msg || `The server answered ${res.status}.`);
    }
    return data;
  }

  function showOpen() {
    document.body.dataset.access = 'open';
    if (!openBanner) return;
    openBanner.textContent = 'reel runs open: no API key exists, so everyone who reaches this page acts as admin. ' +
      'Create one with "reel keys create --name NAME --role admin" to require sign-in.';
    openBanner.hidden = false;
  }

  function showSignedIn(s) {
    document.body.dataset.access = s.role;
    const out = el('button', { type: 'button', className: 'secondary', textContent: 'Sign out' });
    out.addEventListener('click', async () => {
      out.disabled = true;
      try { await call('DELETE'); } catch (_) { /* the cookie is cleared either way */ }
      location.reload();
    });
    box.replaceChildren(
      el('span', { className: 'muted', textContent: `Signed in as ${s.name || s.key_id} (${s.role}) ` }), out);
  }

  function showSignIn() {
    document.body.dataset.access = 'anonymous';
    const key = el('input', {
      type: 'password', name: 'key', placeholder: 'API key', autocomplete: 'current-password', required: true,
    });
    key.setAttribute('aria-label', 'API key');
    const error = el('span', { className: 'error', hidden: true });
    error.setAttribute('role', 'alert');
    const form = el('form', { className: 'signin-form' }, key, ' ',
      el('button', { type: 'submit', textContent: 'Sign in' }), ' ', error);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.hidden = true;
      try {
        await call('POST', { key: key.value.trim() });
        location.reload();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    });
    box.replaceChildren(form);
  }

  // ---- visibility of the video in the player view ------------------------

  // A select under the player's title lets the video's owner (or an admin,
  // or anyone in open mode) change who may see it: PATCH /api/videos/{id}.
  const HELP = {
    public: 'listed to anyone, playable by anyone',
    unlisted: 'not listed, playable by anyone with the link',
    private: 'only you, viewers and admins',
  };
  let session = null;
  let shownFor = '';

  async function showVisibility() {
    const m = /^#\/v\/([^/?#]+)$/.exec(location.hash);
    const old = document.getElementById('visibility');
    const id = m ? decodeURIComponent(m[1]) : '';
    if (id === shownFor && old) return;
    if (old) old.remove();
    shownFor = id;
    const meta = document.getElementById('player-meta');
    if (!id || !meta || !session) return;
    const res = await fetch(`/api/videos/${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } });
    if (!res.ok || shownFor !== id) return;
    const v = await res.json();
    const mayChange = session.open || session.role === 'admin' || (session.role === 'uploader' && v.owner === session.key_id);
    if (!mayChange) return;
    const select = el('select', { id: 'visibility-select' },
      ...Object.keys(HELP).map((k) => el('option', { value: k, textContent: k, selected: k === v.visibility })));
    const note = el('span', { className: 'muted', textContent: ` ${HELP[v.visibility] || ''}` });
    const label = el('label', { textContent: 'Visibility ' }, select);
    select.addEventListener('change', async () => {
      select.disabled = true;
      try {
        const r = await fetch(`/api/videos/${encodeURIComponent(id)}`, {
          method: 'PATCH', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ visibility: select.value }),
        });
        const body = await r.json();
        if (!r.ok) throw new Error((body.error && body.error.message) || `The server answered ${r.status}.`);
        note.className = 'muted';
        note.textContent = ` ${HELP[body.visibility] || ''}`;
      } catch (err) {
        note.className = 'error';
        note.textContent = ` ${err.message}`;
      } finally {
        select.disabled = false;
      }
    });
    meta.after(el('p', { id: 'visibility' }, label, note));
  }

  getSession().then((s) => {
    session = s;
    if (s.open) showOpen();
    else if (s.signed_in) showSignedIn(s);
    else showSignIn();
    if (s.open || s.signed_in) {
      window.addEventListener('hashchange', () => { showVisibility().catch(() => {}); });
      showVisibility().catch(() => {});
    }
  }, () => { /* the list view reports an unreachable server */ });
}
