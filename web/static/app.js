// reel's web page: list videos, play one (the upload form is upload.js).
//
// Plain JavaScript, no build step. Two views chosen by the URL hash:
// "#/" (upload form and list) and "#/v/<id>" (player). Every piece of
// user-provided text (titles, file names, error messages) reaches the page
// through textContent or attributes, never through innerHTML.
//
// An ES module (no build step): it imports the page's other modules
// (upload, storyboard, sign-in, webhooks) and loads hls.js; index.html
// names it alone.

import { fmtBytes } from './format.js';
import * as storyboard from './storyboard.js';
import { attach as attachUpload } from './upload.js';
import { initSignin } from './signin.js';
import { initWebhooks } from './webhooks.js';

let Hls = null; // hls.js's class, once loaded (init)

const POLL_MS = 2000; // refresh while a video is not in a final state
const RETRY_MS = 5000; // refresh after the server could not be reached
const FINAL = new Set(['ready', 'failed']);

const $ = (id) => document.getElementById(id);

// el builds an element: el('p', {className: 'x', text: 'hi', hidden: true}, child...).
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) node.setAttribute(a, av);
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

// ---- formatting -------------------------------------------------------

function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const fmtKbps = (bps) => `${Math.round(bps / 1000).toLocaleString()} kb/s`;
const fmtPercent = (fraction) => `${Math.floor(Math.max(0, Math.min(1, fraction)) * 100)} %`;
const videoName = (v) => v.title || v.filename || v.id;

function fmtDate(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

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

// ---- API --------------------------------------------------------------

// errorMessage pulls the message out of reel's {"error":{"message"}} body,
// or falls back to the HTTP status.
function errorMessage(status, statusText, body) {
  try {
    const msg = JSON.parse(body).error.message;
    if (typeof msg === 'string' && msg) return msg;
  } catch (_) { /* not JSON */ }
  return `The server answered ${status}${statusText ? ' ' + statusText : ''}.`;
}

async function api(method, path) {
  let res;
  try {
    res = await fetch(path, { method, headers: { Accept: 'application/json' } });
  } catch (_) {
    const err = new Error('The server cannot be reached.');
    err.status = 0;
    throw err;
  }
  if (res.status === 204) return null;
  const body = await res.text();
  if (!res.ok) {
    const err = new Error(errorMessage(res.status, res.statusText, body));
    err.status = res.status;
    throw err;
  }
  return JSON.parse(body);
}

const videoPath = (id) => `/api/videos/${encodeURIComponent(id)}`;

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

// ---- player -----------------------------------------------------------

const player = {
  seq: 0, // drops answers for a player that was left
  timer: 0,
  hls: null,
  video: null, // the API's video
  lastRefresh: 0, // when the signed URL was last renewed after a network error
  mediaRecovered: false,
};

function stopPlayer() {
  player.seq++;
  storyboard.detach();
  clearTimeout(player.timer);
  if (player.hls) {
    player.hls.destroy();
    player.hls = null;
  }
  const video = $('player-video');
  video.pause();
  video.removeAttribute('src');
  video.removeAttribute('poster');
  delete video.dataset.engine;
  video.load();
  player.video = null;
  player.mediaRecovered = false;
  $('player-level').textContent = '—';
  $('player-quality').closest('label').hidden = true;
  $('player-stage').hidden = true;
  $('player-info').hidden = true;
  $('player-wait').hidden = true;
  $('player-error').hidden = true;
}

function showPlayerError(msg) {
  $('player-error').textContent = msg;
  $('player-error').hidden = false;
}

async function openPlayer(id) {
  const seq = player.seq;
  $('player-title').textContent = '';
  $('player-meta').textContent = 'Loading…';
  let v;
  try {
    v = await api('GET', videoPath(id));
  } catch (e) {
    if (seq !== player.seq) return;
    $('player-meta').textContent = '';
    if (e.status === 404) {
      $('player-title').textContent = 'Video not found';
      showPlayerError('There is no video with this address; it may have been deleted.');
    } else {
      showPlayerError(`Could not load the video: ${e.message}`);
      player.timer = setTimeout(() => openPlayer(id), RETRY_MS);
    }
    return;
  }
  if (seq !== player.seq) return;
  $('player-error').hidden = true;
  player.video = v;
  renderPlayerHeader(v);

  renderWarnings(v.warnings);
  if (v.status === 'ready' || (v.playable && v.playback)) {
    // A video plays while its ladder is still being made: start at the
    // beginning (the playlists grow as EVENT playlists) and keep polling.
    const playing = player.hls || $('player-video').getAttribute('src');
    if (!playing) startPlayback(v, v.status === 'ready' ? -1 : 0);
    $('player-wait').hidden = v.status === 'ready';
    if (v.status !== 'ready') {
      $('player-progress').value = v.progress || 0;
      $('player-wait-text').textContent = `Playable while transcoding: ${fmtPercent(v.progress || 0)}`;
      player.timer = setTimeout(() => openPlayer(id), POLL_MS);
    }
  } else if (v.status === 'failed') {
    $('player-wait').hidden = true;
    showPlayerError(v.error || 'Processing failed.');
  } else {
    $('player-wait').hidden = false;
    $('player-progress').value = v.status === 'processing' ? (v.progress || 0) : 0;
    $('player-wait-text').textContent = {
      uploading: 'The upload is not finished yet.',
      queued: 'Waiting for a transcoder…',
      processing: `Transcoding: ${fmtPercent(v.progress || 0)}`,
    }[v.status] || `Status: ${v.status}`;
    player.timer = setTimeout(() => openPlayer(id), POLL_MS);
  }
}

function renderPlayerHeader(v) {
  const name = videoName(v);
  document.title = `${name} · reel`;
  $('player-title').textContent = name;
  const parts = [];
  if (v.status === 'ready') {
    parts.push(fmtDuration(v.duration));
    if (v.width && v.height) parts.push(`${v.width}×${v.height}`);
  }
  if (v.filename && v.filename !== name) parts.push(v.filename);
  parts.push(fmtBytes(v.size), fmtDate(v.created_at));
  $('player-meta').textContent = parts.filter(Boolean).join(' · ');
}

// renderWarnings lists the media report: what the server found in the
// file and what it did about it.
function renderWarnings(warnings) {
  const items = (warnings || []).map((w) => el('li', { text: w.message }));
  $('player-warnings').replaceChildren(...items);
  $('player-warnings').hidden = items.length === 0;
}

function renderRenditions(renditions) {
  const rows = [...(renditions || [])].sort((a, b) => b.bandwidth - a.bandwidth).map((r) => {
    const tr = el('tr', {},
      el('td', { text: r.name }),
      // The audio rendition has no picture: every video rung plays it.
      el('td', { text: r.width ? `${r.width}×${r.height}` : `${r.channels || 2} ch` }),
      el('td', { text: fmtKbps(r.bandwidth) }));
    tr.dataset.name = r.name;
    return tr;
  });
  $('player-renditions').replaceChildren(...rows);
}

// renditionFor finds the API rendition an hls.js level plays: the
// rendition's name is the folder of its media playlist.
function renditionFor(level) {
  const renditions = (player.video && player.video.renditions) || [];
  const url = level.url && (Array.isArray(level.url) ? level.url[0] : level.url);
  return renditions.find((r) => url && url.includes(`/${r.name}/`)) ||
    renditions.find((r) => r.width === level.width && r.height === level.height && r.bandwidth === level.bitrate) ||
    null;
}

function levelLabel(level) {
  const r = renditionFor(level);
  const name = r ? r.name : (level.height ? `${level.height}p` : 'audio');
  return `${name} · ${level.width}×${level.height} · ${fmtKbps(level.bitrate)}`;
}

function startPlayback(v, startPosition) {
  const video = $('player-video');
  const pb = v.playback || {};
  renderRenditions(v.renditions);
  $('player-stage').hidden = false;
  $('player-info').hidden = false;
  if (pb.poster_url) video.poster = pb.poster_url;
  if (!pb.url) {
    showPlayerError('The server sent no playback address.');
    return;
  }

  storyboard.attach(video, $('player-scrub'), pb.url);
  if (Hls && Hls.isSupported()) {
    const hls = new Hls({ startPosition });
    player.hls = hls;
    video.dataset.engine = 'hls.js';
    hls.on(Hls.Events.MANIFEST_PARSED, () => fillQuality(hls));
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => showLevel(hls, data.level));
    hls.on(Hls.Events.ERROR, (_, data) => onHlsError(hls, data));
    hls.attachMedia(video);
    hls.loadSource(pb.url);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    // Safari plays HLS itself and picks the level on its own.
    video.dataset.engine = 'native';
    $('player-level').textContent = 'chosen by the browser';
    $('player-quality').closest('label').hidden = true;
    video.src = pb.url;
    if (startPosition > 0) {
      video.addEventListener('loadedmetadata', () => { video.currentTime = startPosition; }, { once: true });
    }
  } else {
    showPlayerError('This browser cannot play HLS video.');
  }
}

function fillQuality(hls) {
  const select = $('player-quality');
  const options = [el('option', { value: '-1', text: 'Auto' })];
  hls.levels.forEach((level, i) => {
    options.push(el('option', { value: String(i), text: levelLabel(level) }));
  });
  select.replaceChildren(...options);
  select.value = hls.autoLevelEnabled ? '-1' : String(hls.currentLevel);
  select.closest('label').hidden = hls.levels.length < 2;
  select.onchange = () => { hls.currentLevel = Number(select.value); };
}

function showLevel(hls, index) {
  const level = hls.levels[index];
  if (!level) return;
  $('player-level').textContent = levelLabel(level) + (hls.autoLevelEnabled ? ' (auto)' : '');
  $('player-level').dataset.level = String(index);
  const r = renditionFor(level);
  for (const tr of $('player-renditions').children) {
    const current = r !== null && tr.dataset.name === r.name;
    tr.classList.toggle('current', current);
    if (current) tr.setAttribute('aria-current', 'true');
    else tr.removeAttribute('aria-current');
  }
}

function onHlsError(hls, data) {
  if (!data.fatal || hls !== player.hls) return;
  if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !player.mediaRecovered) {
    player.mediaRecovered = true;
    hls.recoverMediaError();
    return;
  }
  if (data.type === Hls.ErrorTypes.NETWORK_ERROR && performance.now() - player.lastRefresh > 30000) {
    // The signed URL may have expired: fetch a fresh one and resume.
    player.lastRefresh = performance.now();
    renewPlayback();
    return;
  }
  showPlayerError(`Playback failed (${data.details}).`);
}

async function renewPlayback() {
  const seq = player.seq;
  const video = $('player-video');
  const at = video.currentTime || -1;
  try {
    const v = await api('GET', videoPath(player.video.id));
    if (seq !== player.seq) return;
    if (player.hls) player.hls.destroy();
    player.hls = null;
    player.video = v;
    startPlayback(v, at);
  } catch (e) {
    if (seq === player.seq) showPlayerError(`Playback failed: ${e.message}`);
  }
}

// ---- wiring -----------------------------------------------------------

async function init() {
  // hls.js plays HLS where the browser does not (all but Safari); it is
  // vendored by `make ui`, and without it the page falls back to native
  // HLS.
  Hls = await import('./vendor/hls.min.mjs').then((m) => m.default, () => null);
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
