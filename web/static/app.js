// reel's web page: the library of videos (the upload queue is upload.js,
// the watch page watch.js, the keys keys.js).
//
// Plain JavaScript, no build step. Two views chosen by the URL hash:
// "#/" (upload queue and library, "#/?q=...&status=...&order=...&cursor=..."
// with a search, filter, order or page) and "#/v/<id>" (player). What the
// visitor may do decides what is shown (session.js): signed-out visitors
// see public videos and the sign-in, no upload queue and no Retry or
// Delete. Every piece of
// user-provided text (titles, file names, error messages) reaches the page
// through textContent or attributes, never through innerHTML.
//
// An ES module (no build step): it imports the page's other modules
// (upload, watch page, sign-in, keys, webhooks); index.html names it alone.

import { api, videoPath } from './api.js';
import { $, el } from './dom.js';
import { fmtBytes, fmtDate, fmtDuration, fmtPercent, videoName } from './format.js';
import { attach as attachUpload } from './upload.js';
import { initKeys } from './keys.js';
import { canManage, canUpload, getSession } from './session.js';
import { initSignin } from './signin.js';
import { initWebhooks } from './webhooks.js';
import { loadHls, openPlayer, stopPlayer } from './watch.js';

const POLL_MS = 2000; // refresh while a video is not in a final state
const IDLE_POLL_MS = 15000; // refresh otherwise, to show videos new elsewhere
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
    // "All videos" goes back to the library where it was left.
    const back = document.querySelector('#player-view a.back');
    if (back) back.href = lastListHash();
    openPlayer(id);
  } else {
    view = 'list';
    document.title = 'reel';
    showTools();
    refreshList();
  }
}

// lastListHash is where this tab last left the library ('#/' if nowhere).
function lastListHash() {
  let h = '';
  try { h = sessionStorage.getItem('reel.list') || ''; } catch (_) { /* no sessionStorage */ }
  return /^#\/?(\?.*)?$/.test(h) ? h : '#/';
}

// ---- where the library stands, in the URL ---------------------------------

// listState reads the list view's hash: search, status, order, page size
// and the cursor of the page shown ('' for the first).
function listState() {
  const m = /^#\/?\?(.*)$/.exec(location.hash);
  const p = new URLSearchParams(m ? m[1] : '');
  const limit = Number(p.get('limit'));
  return {
    q: p.get('q') || '',
    status: p.get('status') || '',
    order: p.get('order') === 'oldest' ? 'oldest' : 'newest',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : 0,
    cursor: p.get('cursor') || '',
  };
}

// listHash writes a state as the list view's hash.
function listHash(st) {
  const p = new URLSearchParams();
  if (st.q) p.set('q', st.q);
  if (st.status) p.set('status', st.status);
  if (st.order === 'oldest') p.set('order', 'oldest');
  if (st.limit) p.set('limit', String(st.limit));
  if (st.cursor) p.set('cursor', st.cursor);
  const q = p.toString();
  return q ? `#/?${q}` : '#/';
}

// The page before each page, and its number, are remembered for this tab
// (sessionStorage), so Previous works after a reload too; a page reached
// from a shared link goes back to the first.
const pageKey = (st) => `reel.page.${listHash(st)}`;
function pageInfo(st) {
  if (!st.cursor) return { prev: null, number: 1 };
  try {
    const info = JSON.parse(sessionStorage.getItem(pageKey(st)) || 'null');
    if (info && typeof info.prev === 'string' && Number.isInteger(info.number)) return info;
  } catch (_) { /* no sessionStorage, or not ours */ }
  return { prev: '', number: 0 };
}

// apiQuery is the API's query for a state.
function apiQuery(st) {
  const p = new URLSearchParams();
  if (st.q) p.set('q', st.q);
  if (st.status) p.set('status', st.status);
  if (st.order === 'oldest') p.set('order', 'oldest');
  if (st.limit) p.set('limit', String(st.limit));
  if (st.cursor) p.set('cursor', st.cursor);
  const q = p.toString();
  return q ? `?${q}` : '';
}

// showTools puts the state in the search, filter and order controls.
function showTools() {
  const st = listState();
  if (document.activeElement !== $('library-q')) $('library-q').value = st.q;
  $('library-status').value = st.status;
  $('library-order').value = st.order;
}

// ---- list -------------------------------------------------------------

const list = {
  items: new Map(), // id -> <li>, reused across refreshes so posters do not reload
  timer: 0,
  seq: 0, // drops answers of superseded refreshes
  session: null, // who is looking (session.js)
  next: '', // cursor of the next page
};

function stopList() {
  list.seq++;
  clearTimeout(list.timer);
}

async function refreshList() {
  const seq = ++list.seq;
  clearTimeout(list.timer);
  const st = listState();
  try { sessionStorage.setItem('reel.list', listHash(st)); } catch (_) { /* no sessionStorage */ }
  let delay = IDLE_POLL_MS;
  try {
    const page = await api('GET', '/api/videos' + apiQuery(st));
    if (seq !== list.seq) return;
    hideBanner();
    const videos = page.videos || [];
    renderList(videos, page.next_cursor || '', st);
    if (videos.some((v) => !FINAL.has(v.status))) delay = POLL_MS;
  } catch (e) {
    if (seq !== list.seq) return;
    if (e.status === 400 && st.cursor) {
      // A cursor of another order or version: start over on the first page.
      history.replaceState(null, '', listHash({ ...st, cursor: '' }));
      refreshList();
      return;
    }
    showBanner(`Could not load the videos: ${e.message}`);
    delay = RETRY_MS;
  }
  list.timer = setTimeout(pollList, delay);
}

function pollList() {
  // A hidden tab waits; the next visible tick refreshes.
  if (document.hidden) list.timer = setTimeout(pollList, POLL_MS);
  else refreshList();
}

function renderList(videos, nextCursor, st) {
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
  const filtered = st.q || st.status;
  $('videos-empty').textContent = filtered ? 'No videos match.'
    : canUpload(list.session) ? 'No videos yet. Upload some above.' : 'No public videos yet.';
  $('videos-empty').hidden = videos.length > 0;
  const count = `${videos.length} ${videos.length === 1 ? 'video' : 'videos'}${filtered ? ' found' : ''}`;
  if ($('videos-count').textContent !== count) $('videos-count').textContent = count;

  // The pager: Next carries the cursor; Previous the page remembered.
  list.next = nextCursor;
  const info = pageInfo(st);
  $('videos-next').hidden = !nextCursor;
  $('videos-prev').hidden = !st.cursor;
  $('videos-page').textContent = st.cursor || nextCursor ? (info.number ? `Page ${info.number}` : '') : '';
}

function goNext() {
  const st = listState();
  if (!list.next) return;
  const next = { ...st, cursor: list.next };
  const info = pageInfo(st);
  try {
    sessionStorage.setItem(pageKey(next), JSON.stringify({ prev: st.cursor, number: info.number ? info.number + 1 : 0 }));
  } catch (_) { /* no sessionStorage: Previous goes to the first page */ }
  location.hash = listHash(next);
}

function goPrev() {
  const st = listState();
  const info = pageInfo(st);
  location.hash = listHash({ ...st, cursor: info.prev || '' });
}

// A new search, filter or order starts on the first page. Typing replaces
// the history entry; the selects add one, so Back undoes them.
let searchTimer = 0;
function wireTools() {
  $('library-tools').addEventListener('submit', (e) => e.preventDefault());
  $('library-q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const st = listState();
      const q = $('library-q').value.trim();
      if (q === st.q) return;
      history.replaceState(null, '', listHash({ ...st, q, cursor: '' }));
      refreshList();
    }, 250);
  });
  $('library-status').addEventListener('change', () => {
    location.hash = listHash({ ...listState(), status: $('library-status').value, cursor: '' });
  });
  $('library-order').addEventListener('change', () => {
    location.hash = listHash({ ...listState(), order: $('library-order').value, cursor: '' });
  });
  $('videos-next').addEventListener('click', goNext);
  $('videos-prev').addEventListener('click', goPrev);
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
      el('span', { className: 'badge visibility' }),
      el('span', { className: 'duration' }),
      el('span', { className: 'size' }),
      el('span', { className: 'date' })),
    el('progress', { className: 'processing', max: 1, value: 0, hidden: true }),
    el('p', { className: 'error item-error', hidden: true }));
  const retry = el('button', { type: 'button', className: 'retry', text: 'Retry', hidden: true });
  retry.addEventListener('click', () => retryVideo(li, retry));
  const del = el('button', { type: 'button', className: 'delete secondary', text: 'Delete', hidden: true });
  del.addEventListener('click', () => deleteVideo(li, del));
  li.append(thumb, info, el('div', { className: 'item-actions' }, retry, del));
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
  const vis = li.querySelector('.visibility');
  vis.textContent = v.visibility || '';
  vis.title = { public: 'Listed to anyone', unlisted: 'Anyone with the link', private: 'Its owner, viewers and admins' }[v.visibility] || '';
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
  // Retry and Delete only for those who may (the server checks anyway).
  const manage = canManage(list.session, v);
  const retry = li.querySelector('.retry');
  retry.hidden = !manage || v.status !== 'failed';
  retry.setAttribute('aria-label', `Retry ${name}`);
  const del = li.querySelector('.delete');
  del.hidden = !manage;
  del.setAttribute('aria-label', `Delete ${name}`);
}

async function retryVideo(li, button) {
  const name = li.dataset.name || li.dataset.videoId;
  button.disabled = true;
  try {
    const v = await api('POST', `${videoPath(li.dataset.videoId)}/retry`);
    updateItem(li, v);
    hideBanner();
    refreshList(); // and poll while it transcodes
  } catch (e) {
    showBanner(`Could not retry “${name}”: ${e.message}`);
  } finally {
    button.disabled = false;
  }
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
  const [session] = await Promise.all([getSession(), loadHls()]);
  list.session = session;
  // Only those who may upload get the upload queue (upload.js); a new or
  // finished upload changes the list.
  if (canUpload(session)) {
    $('upload-section').hidden = false;
    attachUpload(() => { if (view === 'list') refreshList(); });
  }
  wireTools();
  window.addEventListener('hashchange', route);
  route();
}

init().then(() => {
  initSignin();
  initKeys();
  initWebhooks();
});
