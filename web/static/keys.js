// keys.js: the API keys section of the list view, for admins (and
// everyone while reel runs open): create a key with a name and a role
// (its secret is shown once, with a button to copy it), see every key's
// role, creation and last use, and revoke one. Backed by GET/POST
// /api/keys and DELETE /api/keys/{id}. Text reaches the page through
// textContent only.
import { api } from './api.js';
import { $, el } from './dom.js';
import { fmtDate } from './format.js';
import { getSession, isAdmin } from './session.js';

const ROLES = [
  ['viewer', 'Viewer: watches every video, changes nothing'],
  ['uploader', 'Uploader: uploads and manages its own videos'],
  ['admin', 'Admin: everything, keys included'],
];

// initKeys adds the section for admins; app.js calls it once the page is
// set up.
export async function initKeys() {
  const session = await getSession();
  const listView = $('list-view');
  if (!listView || !isAdmin(session)) return;

  const error = el('p', { className: 'error', hidden: true, attrs: { role: 'alert' } });
  const created = el('div', { id: 'key-created', className: 'key-created', hidden: true, attrs: { role: 'status' } });
  const name = el('input', { id: 'key-name', type: 'text', required: true, maxLength: 100, autocomplete: 'off' });
  const role = el('select', { id: 'key-role' }, ...ROLES.map(([v, t]) => el('option', { value: v, text: t })));
  const submit = el('button', { type: 'submit', text: 'Create key' });
  const form = el('form', { id: 'key-form', className: 'tools' },
    el('div', { className: 'field' }, el('label', { htmlFor: 'key-name', text: 'Name' }), name),
    el('div', { className: 'field' }, el('label', { htmlFor: 'key-role', text: 'Role' }), role),
    el('div', { className: 'actions' }, submit));
  const tbody = el('tbody', { id: 'keys' });
  const table = el('table', { className: 'keys' },
    el('caption', { className: 'visually-hidden', text: 'API keys' }),
    el('thead', {}, el('tr', {}, ...['Name', 'Role', 'Created', 'Last used', 'State', ''].map((t) =>
      el('th', { scope: 'col', text: t })))),
    tbody);
  const section = el('section', { className: 'card', id: 'keys-section', attrs: { 'aria-labelledby': 'keys-heading' } },
    el('h2', { id: 'keys-heading', text: 'API keys' }),
    el('p', { className: 'muted', text: 'Keys sign in to this page and call the API (Authorization: Bearer <key>). reel keeps only a hash of each: a key is shown once, when it is made.' }),
    form, created, error, el('div', { className: 'table-scroll' }, table));
  listView.append(section);

  function fail(msg) {
    error.textContent = msg;
    error.hidden = !msg;
  }

  async function refresh() {
    try {
      const { keys } = await api('GET', '/api/keys');
      tbody.replaceChildren(...keys.map(row));
      if (!keys.length) tbody.append(el('tr', {}, el('td', { colSpan: 6, className: 'muted', text: 'No keys yet: reel runs open.' })));
    } catch (e) {
      fail(`Could not list the keys: ${e.message}`);
    }
  }

  function row(k) {
    const revoked = !!k.revoked_at;
    const tr = el('tr', {},
      el('td', { text: k.name }),
      el('td', { text: k.role }),
      el('td', { text: fmtDate(k.created_at) }),
      el('td', { text: k.last_used_at ? fmtDate(k.last_used_at) : 'never' }),
      el('td', { text: revoked ? `revoked ${fmtDate(k.revoked_at)}` : 'valid' }));
    tr.dataset.keyId = k.id;
    tr.dataset.name = k.name;
    tr.classList.toggle('revoked', revoked);
    const cell = el('td');
    if (!revoked) {
      const button = el('button', { type: 'button', className: 'delete secondary', text: 'Revoke', attrs: { 'aria-label': `Revoke ${k.name}` } });
      button.addEventListener('click', () => revoke(k, button));
      cell.append(button);
    }
    tr.append(cell);
    return tr;
  }

  async function revoke(k, button) {
    const self = k.id === session.key_id;
    const warn = self ? ' You are signed in with it: you will be signed out.' : '';
    if (!window.confirm(`Revoke the key “${k.name}” (${k.role})? Whoever holds it loses access at once.${warn}`)) return;
    button.disabled = true;
    try {
      await api('DELETE', `/api/keys/${encodeURIComponent(k.id)}`);
      fail('');
      if (self) {
        location.reload();
        return;
      }
      await refresh();
    } catch (e) {
      button.disabled = false;
      fail(`Could not revoke “${k.name}”: ${e.message}`);
    }
  }

  // showSecret shows a new key once, with Copy and, while reel runs open
  // (the first key ends that), a way to sign in with it.
  function showSecret(k) {
    const code = el('code', { className: 'secret', text: k.secret });
    const copy = el('button', { type: 'button', className: 'secondary', text: 'Copy' });
    const copied = el('span', { className: 'muted', attrs: { 'aria-live': 'polite' } });
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(k.secret);
        copied.textContent = ' Copied.';
      } catch (_) {
        // No clipboard (an http:// page off localhost): select it instead.
        getSelection().selectAllChildren(code);
        copied.textContent = ' Selected: copy it with the keyboard.';
      }
    });
    const parts = [
      el('p', { text: `The key “${k.name}” (${k.role}). Copy it now: it is not shown again.` }),
      el('p', {}, code, ' ', copy, copied),
    ];
    if (session.open) {
      const signIn = el('button', { type: 'button', text: 'Sign in with this key' });
      signIn.addEventListener('click', async () => {
        try {
          await api('POST', '/api/session', { key: k.secret });
          location.reload();
        } catch (e) {
          fail(e.message);
        }
      });
      parts.push(el('p', { text: 'reel no longer runs open: from now on, this page and the API need a key.' }),
        k.role === 'admin' ? signIn : el('p', { className: 'muted', text: 'Create an admin key too, to keep managing reel from this page.' }));
    }
    created.replaceChildren(...parts);
    created.hidden = false;
    copy.focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fail('');
    submit.disabled = true;
    try {
      const k = await api('POST', '/api/keys', { name: name.value.trim(), role: role.value });
      form.reset();
      showSecret(k);
      await refresh();
    } catch (err) {
      fail(`Could not create the key: ${err.message}`);
    } finally {
      submit.disabled = false;
    }
  });

  refresh();
}
