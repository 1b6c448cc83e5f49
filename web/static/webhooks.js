// reel's webhooks and event log on the page. For admins (and everyone
// while reel runs open) the list view gets a Webhooks section: create one
// (its secret is shown once), list, delete, and see each one's latest
// deliveries. The player view gets the video's event log for its owner
// and admins. Text reaches the page through textContent only.

// initWebhooks adds the sections; app.js calls it once the page is set up.
export function initWebhooks() {
  const listView = document.getElementById('list-view');
  if (!listView) return;
  const EVENTS = ['video.created', 'video.uploaded', 'video.playable', 'video.ready', 'video.failed', 'video.deleted'];

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    node.append(...children);
    return node;
  }

  async function call(method, path, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && data.error && data.error.message) || `The server answered ${res.status}.`);
    return data;
  }

  const fmtTime = (iso) => new Date(iso).toLocaleString();

  // ---- webhooks (admins) --------------------------------------------------

  function webhookSection() {
    const error = el('p', { className: 'error', hidden: true });
    error.setAttribute('role', 'alert');
    const secret = el('p', { id: 'webhook-secret', hidden: true });
    const list = el('ul', { id: 'webhooks', className: 'webhooks' });
    const url = el('input', { id: 'webhook-url', type: 'url', required: true, placeholder: 'https://example.com/hook', autocomplete: 'off' });
    const boxes = EVENTS.map((e) => el('input', { type: 'checkbox', value: e, checked: e === 'video.ready' || e === 'video.failed' }));
    const form = el('form', { id: 'webhook-form', className: 'upload' },
      el('div', { className: 'field' }, el('label', { htmlFor: 'webhook-url', textContent: 'Receiver URL' }), url),
      el('fieldset', { className: 'events' }, el('legend', { textContent: 'Events' }),
        ...boxes.map((b) => el('label', {}, b, ` ${b.value} `))),
      el('div', { className: 'actions' }, el('button', { type: 'submit', textContent: 'Add webhook' })));
    const section = el('section', { className: 'card', id: 'webhooks-section' },
      el('h2', { textContent: 'Webhooks' }),
      el('p', { className: 'muted', textContent: 'Signed POSTs (Standard Webhooks) of what happens to videos.' }),
      form, secret, error, list);

    async function refresh() {
      const { webhooks } = await call('GET', '/api/webhooks');
      list.replaceChildren(...webhooks.map(item));
      if (!webhooks.length) list.append(el('li', { className: 'muted', textContent: 'No webhooks yet.' }));
    }

    function item(h) {
      const deliveries = el('div', { className: 'deliveries', hidden: true });
      const show = el('button', { type: 'button', className: 'secondary', textContent: 'Deliveries' });
      const del = el('button', { type: 'button', className: 'secondary', textContent: 'Delete' });
      show.addEventListener('click', async () => {
        if (!deliveries.hidden) { deliveries.hidden = true; return; }
        try {
          const { deliveries: ds } = await call('GET', `/api/webhooks/${encodeURIComponent(h.id)}/deliveries`);
          const rows = ds.map((d) => el('tr', {},
            el('td', { textContent: fmtTime(d.time) }), el('td', { textContent: d.event }),
            el('td', { textContent: String(d.attempt) }), el('td', { textContent: d.status ? String(d.status) : '—' }),
            el('td', { textContent: d.error || 'delivered' }), el('td', { textContent: d.webhook_id })));
          deliveries.replaceChildren(ds.length ? el('table', {},
            el('thead', {}, el('tr', {}, ...['Time', 'Event', 'Attempt', 'Status', 'Result', 'webhook-id'].map((t) => el('th', { scope: 'col', textContent: t })))),
            el('tbody', {}, ...rows)) : el('p', { className: 'muted', textContent: 'No deliveries yet.' }));
          deliveries.hidden = false;
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
        }
      });
      del.addEventListener('click', async () => {
        if (!window.confirm(`Delete the webhook to ${h.url}?`)) return;
        try {
          await call('DELETE', `/api/webhooks/${encodeURIComponent(h.id)}`);
          await refresh();
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
        }
      });
      return el('li', { className: 'webhook' },
        el('strong', { textContent: h.url }), ' ',
        el('span', { className: 'muted', textContent: h.events.join(', ') }), ' ', show, ' ', del, deliveries);
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      try {
        const h = await call('POST', '/api/webhooks', { url: url.value, events: boxes.filter((b) => b.checked).map((b) => b.value) });
        secret.replaceChildren('Secret of the new webhook (shown only now): ', el('code', { textContent: h.secret }));
        secret.hidden = false;
        url.value = '';
        await refresh();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    });
    listView.append(section);
    refresh().catch((err) => { error.textContent = err.message; error.hidden = false; });
  }

  // ---- the event log of one video (owner and admins) ----------------------

  let shownFor = '';

  async function showEvents(session) {
    const m = /^#\/v\/([^/?#]+)$/.exec(location.hash);
    const id = m ? decodeURIComponent(m[1]) : '';
    const old = document.getElementById('events');
    if (id === shownFor && old) return;
    if (old) old.remove();
    shownFor = id;
    const card = document.querySelector('#player-view article');
    if (!id || !card) return;
    const v = await call('GET', `/api/videos/${encodeURIComponent(id)}`);
    const mine = session.open || session.role === 'admin' || (v.owner && v.owner === session.key_id);
    if (!mine || shownFor !== id) return;
    const { events } = await call('GET', `/api/videos/${encodeURIComponent(id)}/events`);
    if (shownFor !== id) return;
    const items = events.map((e) => {
      const li = el('li', {}, el('time', { dateTime: e.time, textContent: fmtTime(e.time) }), ' ',
        el('strong', { textContent: e.type }), ' ', e.message);
      if (e.detail) li.append(el('pre', { className: 'detail', textContent: e.detail }));
      return li;
    });
    card.append(el('details', { id: 'events', className: 'events' },
      el('summary', { textContent: `Event log (${events.length})` }), el('ol', {}, ...items)));
  }

  call('GET', '/api/session').then((s) => {
    if (s.open || (s.signed_in && s.role === 'admin')) webhookSection();
    if (s.open || s.signed_in) {
      const show = () => { showEvents(s).catch(() => {}); };
      window.addEventListener('hashchange', show);
      show();
    }
  }, () => { /* the list view reports an unreachable server */ });
}
