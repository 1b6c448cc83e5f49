// reel's web page: list videos (the upload form is upload.js, the watch
// page watch.js).
//
// Plain JavaScript, no build step. Two views chosen by the URL hash:
// "#/" (upload form and list) and "#/v/<id>" (player). Every piece of
// user-provided text (titles, file names, error messages) reaches the page
// through textContent or attributes, never through innerHTML.
//
// An ES module (no build step): it imports the page's other modules
// (upload, watch page, sign-in, webhooks); index.html names it alone.

import { api, videoPath } from './api.js';
import { $, el } from './dom.js';
import { fmtBytes, fmtDate, fmtDuration, fmtPercent, videoName } from './format.js';
import { attach as attachUpload } from './upload.js';
import { initSignin } from './signin.js';
import { initWebhooks } from './webhooks.js';
import { loadHls, openPlayer, stopPlayer } from './watch.js';

const POLL_MS = 2000; // refresh while a video is not in a final state
const RETRY_MS = 5000; // refresh after the server could not be reached
const FINAL = new Set(['ready', 'failed']);

// ---- formatting -------------------------------------------------------

function statusText(v) {
  switch (v.status) {
    case 'uploading': return 'uploading';
    case 'queued': return 'queued';
    case 'processing': return `processing ${fmtPercent(v.progress || 0)}`;
    case 'ready': return 'ready';
    case 'failed': return 'failed';
    default: return String(v.status || 'unknown');
  }
}

// ---- banner (errors not tied to one control) --------------------------

function showBanner(msg) {
  $('banner').textContent = msg;
  $('banner').hidden = false;
}
function hideBanner() {
  $('banner').hidden = true;
}

// ---- routing ----------------------------------------------------------

let view = '';

function route() {
  stopList();
  stopPlayer();
  hideBanner();
  let id = null;
  const m = /^#\/v\/([^/?#]+)$/.exec(location.hash);
  if (m) {
    try { id = decodeURIComponent(m[1]); } catch (_) { id = m[1]; }
  }
  $('list-view').hidden = id !== null;
  $('player-view').hidden = id === null;
  if (id !== null) {
    view = 'player';
    openPlayer(id);
  } else {
    view = 'list';
    document.title = 'reel';
    refreshList();
  }
}

// ---- list -------------------------------------------------------------

const list = {
  items: new Map(), // id -> <li>, reused across refreshes so posters do not reload
  pages: 1, // pages shown; each refresh fetches this many
  timer: 0,
  seq: 0, // drops answers of superseded refreshes
};

function stopList() {
  list.seq++;
  clearTimeout(list.timer);
}

async function refreshList() {
  const seq = ++list.seq;
  clearTimeout(list.timer);
  let delay = 0;
  try {
    const videos = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await api('GET', '/api/videos' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
      videos.push(...(page.videos || []));
      cursor = page.next_cursor || '';
      pages++;
    } while (cursor && pages < list.pages);
    if (seq !== list.seq) return;
    hideBanner();
    renderList(videos, cursor);
    if (videos.some((v) => !FINAL.has(v.status))) delay = POLL_MS;
  } catch (e) {
    if (seq !== list.seq) return;
    showBanner(`Could not load the videos: ${e.message}`);
    delay = RETRY_MS;
  }
  if (delay) list.timer = setTimeout(pollList, delay);
}

function pollList() {
  // A hidden tab waits; the next visible tick refreshes.
  if (document.hidden) list.timer = setTimeout(pollList, POLL_MS);
  else refreshList();
}

function renderList(videos, nextCursor) {
  const ul = $('videos');
  const ids = new Set(videos.map((v) => v.id));
  for (const [id, li] of list.items) {
    if (!ids.has(id)) {
      li.remove();
      list.items.delete(id);
    }
  }
  videos.forEach((v, i) => {
    let li = list.items.get(v.id);
    if (!li) {
      li = createItem(v.id);
      list.items.set(v.id, li);
    }
    updateItem(li, v);
    // Move only misplaced items, so a focused button keeps its focus.
    if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null);
  });
  $('videos-empty').hidden = videos.length > 0;
  $('videos-more').hidden = !nextCursor;
}

function createItem(id) {
  const href = `#/v/${encodeURIComponent(id)}`;
  const li = el('li', { className: 'video' });
  li.dataset.videoId = id;
  const thumb = el('a', { className: 'thumb', href, tabIndex: -1, attrs: { 'aria-hidden': 'true' } },
    el('img', { alt: '', loading: 'lazy', decoding: 'async', hidden: true }));
  const info = el('div', { className: 'info' },
    el('h3', {}, el('a', { className: 'title', href })),
    el('p', { className: 'meta' },
      el('span', { className: 'badge status' }),
      el('span', { className: 'duration' }),
      el('span', { className: 'size' }),
      el('span', { className: 'date' })),
    el('progress', { className: 'processing', max: 1, value: 0, hidden: true }),
    el('p', { className: 'error item-error', hidden: true }));
  const del = el('button', { type: 'button', className: 'delete secondary', text: 'Delete' });
  del.addEventListener('click', () => deleteVideo(li, del));
  li.append(thumb, info, del);
  return li;
}

function updateItem(li, v) {
  const name = videoName(v);
  li.dataset.status = v.status;
  li.dataset.name = name;
  li.querySelector('.title').textContent = name;
  const badge = li.querySelector('.status');
  badge.textContent = statusText(v);
  badge.className = `badge status status-${String(v.status).replace(/[^a-z]/g, '')}`;
  li.querySelector('.duration').textContent = v.status === 'ready' ? fmtDuration(v.duration) : '';
  li.querySelector('.size').textContent = fmtBytes(v.size);
  li.querySelector('.date').textContent = fmtDate(v.created_at);

  const bar = li.querySelector('progress');
  bar.hidden = v.status !== 'processing';
  bar.value = v.progress || 0;
  bar.setAttribute('aria-label', `Processing ${name}`);

  const err = li.querySelector('.item-error');
  err.hidden = v.status !== 'failed';
  err.textContent = v.status === 'failed' ? (v.error || 'Processing failed.') : '';

  // Set the poster once: each listing signs a new URL, and reloading the
  // image every refresh would flicker.
  const img = li.querySelector('img');
  const poster = v.status === 'ready' && v.playback && v.playback.poster_url;
  if (poster && !img.getAttribute('src')) {
    img.src = poster;
    img.hidden = false;
  } else if (!poster) {
    img.removeAttribute('src');
    img.hidden = true;
  }
  li.querySelector('.delete').setAttribute('aria-label', `Delete ${name}`);
}

async function deleteVideo(li, button) {
  const name = li.dataset.name || li.dataset.videoId;
  if (!window.confirm(`Delete “${name}”? This cannot be undone.`)) return;
  button.disabled = true;
  try {
    await api('DELETE', videoPath(li.dataset.videoId));
    li.remove();
    list.items.delete(li.dataset.videoId);
    $('videos-empty').hidden = list.items.size > 0;
    hideBanner();
  } catch (e) {
    if (e.status === 404) { // already gone
      li.remove();
      list.items.delete(li.dataset.videoId);
    } else {
      showBanner(`Could not delete “${name}”: ${e.message}`);
    }
  } finally {
    button.disabled = false;
  }
}

// ---- wiring -----------------------------------------------------------

async function init() {
  await loadHls();
  // The upload form lives in upload.js; a new or finished upload
  // changes the list.
  attachUpload(() => { if (view === 'list') refreshList(); });
  $('videos-more').addEventListener('click', () => {
    list.pages++;
    refreshList();
  });
  window.addEventListener('hashchange', route);
  route();
}

init().then(() => {
  initSignin();
  initWebhooks();
});
