// watch.js: the watch page ("#/v/<id>"): one video's header, its player
// (player.js: quality and captions menus, storyboard on the seek bar,
// keyboard shortcuts), renditions, its downloads when it has them, share
// link and embed code, and for its
// owner and admins Edit (title, and description where the server keeps
// one; signin.js adds the visibility select), Retry, Delete and the
// choice of poster. While the video is still being transcoded
// the page asks the API every few seconds and updates in place: the
// player starts once it is playable, and renditions, poster and
// storyboard appear when it is ready, without a reload. app.js routes to
// it with openPlayer and leaves it with stopPlayer.

import { api, videoPath } from './api.js';
import { $, el } from './dom.js';
import { fmtBytes, fmtDate, fmtDuration, fmtKbps, fmtPercent, videoName } from './format.js';
import { createPlayer, renditionOf } from './player.js';
import { canManage as mayManage, getSession } from './session.js';
import { renderCaptions, wireCaptions } from './captions.js';
import { load as loadStoryboard } from './storyboard.js';

const POLL_MS = 2000; // refresh while a video is not in a final state
const RETRY_MS = 5000; // refresh after the server could not be reached
const POSTER_FRAMES = 12; // storyboard frames offered as posters

let player = null; // the page's one player (loadHls)

const watch = {
  seq: 0, // drops answers for a page that was left
  timer: 0,
  id: '',
  video: null, // the API's video
  session: null, // who the visitor is (session.js)
  playing: false, // the player has a source
  framesFor: '', // the video whose storyboard frames are offered as posters
};

// loadHls loads hls.js, which plays HLS where the browser does not (all
// but Safari; it is vendored by `make ui`, and without it the page falls
// back to native HLS), builds the page's player on it and wires the
// page's controls.
export async function loadHls() {
  const Hls = await import('./vendor/hls.min.mjs').then((m) => m.default, () => null);
  player = createPlayer($('player-box'), {
    Hls,
    renew: async () => (await api('GET', videoPath(watch.id))).playback,
    onLevel: showLevel,
    onError: showPlayerError,
  });
  player.video.id = 'player-video';
  // Shortcuts work anywhere on the watch page but in text fields.
  document.addEventListener('keydown', (event) => {
    if (!$('player-view').hidden && watch.playing) player.handleKey(event);
  });
  wireActions();
  wireShare();
  wireDownloads();
  wirePoster();
  wireCaptions();
}

// ---- the page's life --------------------------------------------------

export function stopPlayer() {
  watch.seq++;
  clearTimeout(watch.timer);
  if (player) player.stop();
  watch.video = null;
  watch.playing = false;
  watch.framesFor = '';
  $('player-level').textContent = '—';
  for (const id of ['player-stage', 'player-info', 'player-wait', 'player-error', 'player-actions',
    'player-edit-form', 'player-share', 'player-poster', 'player-description', 'player-downloads']) $(id).hidden = true;
  $('poster-frames').replaceChildren();
  $('poster-status').textContent = '';
  $('share-status').textContent = '';
}

function showPlayerError(msg) {
  $('player-error').textContent = msg;
  $('player-error').hidden = false;
}

export async function openPlayer(id) {
  const seq = watch.seq;
  watch.id = id;
  $('player-title').textContent = '';
  $('player-meta').textContent = 'Loading…';
  // Who the visitor is decides the owner's tools.
  watch.session = await getSession();
  if (seq === watch.seq) await refresh(id, seq);
}

// refresh fetches the video and brings the page up to date with it.
async function refresh(id, seq) {
  let v;
  try {
    v = await api('GET', videoPath(id));
  } catch (e) {
    if (seq !== watch.seq) return;
    $('player-meta').textContent = '';
    if (e.status === 404) {
      $('player-title').textContent = 'Video not found';
      document.title = 'Video not found · reel';
      $('player-actions').hidden = true;
      showPlayerError('There is no video with this address; it may have been deleted.');
    } else {
      showPlayerError(`Could not load the video: ${e.message}`);
      watch.timer = setTimeout(() => refresh(id, seq), RETRY_MS);
    }
    return;
  }
  if (seq !== watch.seq) return;
  const before = watch.video;
  watch.video = v;
  $('player-error').hidden = true;
  renderHeader(v);
  renderWarnings(v.warnings);
  renderActions(v);

  const ready = v.status === 'ready';
  if (ready || (v.playable && v.playback)) {
    // A video plays while its ladder is still being made: start at the
    // beginning (the playlists grow as EVENT playlists) and keep asking.
    if (!watch.playing) {
      startPlayback(v, ready ? -1 : 0);
    } else if (ready && before && before.status !== 'ready') {
      // Finished while playing: what the end of the transcode publishes
      // (renditions, poster, storyboard) joins the page in place.
      renderRenditions(v.renditions);
      player.update({ poster: v.playback.poster_url, renditions: v.renditions, url: v.playback.url });
    }
    $('player-wait').hidden = ready;
    if (!ready) {
      $('player-progress').value = v.progress || 0;
      $('player-wait-text').textContent = `Playable while transcoding: ${fmtPercent(v.progress || 0)}`;
      watch.timer = setTimeout(() => refresh(id, seq), POLL_MS);
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
    watch.timer = setTimeout(() => refresh(id, seq), POLL_MS);
  }
  renderDownloads(v);
  renderShare(v);
  renderPosterChoice(v);
  renderCaptions(v, canManage(v), () => watch.video && player.update({ url: watch.video.playback.url, fresh: true }));
}

function renderHeader(v) {
  const name = videoName(v);
  document.title = `${name} · reel`;
  $('player-title').textContent = name;
  const parts = [];
  if (v.status === 'ready') {
    parts.push(fmtDuration(v.duration));
    // An audio-only video has no picture, hence no size to show.
    if (v.width && v.height) parts.push(`${v.width}×${v.height}`);
    else if ((v.renditions || []).every((r) => !r.width)) parts.push('audio only');
  }
  if (v.filename && v.filename !== name) parts.push(v.filename);
  parts.push(fmtBytes(v.size), fmtDate(v.created_at), v.visibility);
  $('player-meta').textContent = parts.filter(Boolean).join(' · ');
  const description = typeof v.description === 'string' ? v.description.trim() : '';
  $('player-description').textContent = description;
  $('player-description').hidden = !description;
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
      el('td', { text: r.width ? `${r.width}×${r.height}` : `${r.channels || 2} ch audio` }),
      el('td', { text: fmtKbps(r.bandwidth) }));
    tr.dataset.name = r.name;
    return tr;
  });
  $('player-renditions').replaceChildren(...rows);
}

function startPlayback(v, startPosition) {
  const pb = v.playback || {};
  renderRenditions(v.renditions);
  $('player-stage').hidden = false;
  $('player-info').hidden = false;
  if (!pb.url) {
    showPlayerError('The server sent no playback address.');
    return;
  }
  watch.playing = player.load({ url: pb.url, poster: pb.poster_url, startPosition, renditions: v.renditions });
}

// renderDownloads offers the video's downloads, when it has them
// (playback.download_url, audio_download_url): links to the signed files,
// which the server sends as attachments named after the title.
function renderDownloads(v) {
  const pb = (v.status === 'ready' && v.playback) || {};
  let any = false;
  for (const [id, url] of [['player-download', pb.download_url], ['player-download-audio', pb.audio_download_url]]) {
    const a = $(id);
    a.hidden = !url;
    if (url) a.href = url;
    else a.removeAttribute('href');
    any = any || Boolean(url);
  }
  $('player-downloads').hidden = !any;
}

// wireDownloads renews the links' signed URLs on a click once they are
// about to expire: a page left open outlives its playback token.
function wireDownloads() {
  for (const [id, field] of [['player-download', 'download_url'], ['player-download-audio', 'audio_download_url']]) {
    const a = $(id);
    a.addEventListener('click', async (event) => {
      const v = watch.video;
      const expires = v && v.playback ? Date.parse(v.playback.expires_at) : 0;
      if (!v || !(expires - Date.now() < 60_000)) return; // still valid: follow it
      event.preventDefault();
      try {
        const fresh = await api('GET', videoPath(v.id));
        if (!watch.video || watch.video.id !== fresh.id) return;
        watch.video = fresh;
        renderDownloads(fresh);
        if (fresh.playback && fresh.playback[field]) location.assign(fresh.playback[field]);
      } catch (e) {
        showPlayerError(`Could not renew the download link: ${e.message}`);
      }
    });
  }
}

// showLevel says which level plays and marks its rendition.
function showLevel(label, level, index) {
  $('player-level').textContent = label;
  $('player-level').dataset.level = String(index);
  const r = level && watch.video ? renditionOf(level, watch.video.renditions) : null;
  for (const tr of $('player-renditions').children) {
    const current = r !== null && tr.dataset.name === r.name;
    tr.classList.toggle('current', current);
    if (current) tr.setAttribute('aria-current', 'true');
    else tr.removeAttribute('aria-current');
  }
}

// ---- the owner's tools: edit, retry, delete ---------------------------

// canManage reports whether the visitor may change v: its owner, an
// admin, or anyone while reel runs open (session.js).
const canManage = (v) => Boolean(v) && mayManage(watch.session, v);

function renderActions(v) {
  const mine = canManage(v);
  $('player-actions').hidden = !mine;
  $('player-retry').hidden = v.status !== 'failed';
  if (!mine) $('player-edit-form').hidden = true;
}

function wireActions() {
  const form = $('player-edit-form');
  const editButton = $('player-edit');
  const close = () => {
    form.hidden = true;
    editButton.setAttribute('aria-expanded', 'false');
  };
  editButton.addEventListener('click', () => {
    const v = watch.video;
    if (!v) return;
    if (!form.hidden) { close(); return; }
    $('edit-title').value = v.title || '';
    // The description, where the server keeps one.
    const hasDescription = typeof v.description === 'string';
    $('edit-description-field').hidden = !hasDescription;
    $('edit-description').value = hasDescription ? v.description : '';
    $('edit-error').hidden = true;
    form.hidden = false;
    editButton.setAttribute('aria-expanded', 'true');
    $('edit-title').focus();
  });
  $('edit-cancel').addEventListener('click', () => { close(); editButton.focus(); });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = watch.video;
    const change = { title: $('edit-title').value };
    if (!$('edit-description-field').hidden) change.description = $('edit-description').value;
    const save = form.querySelector('button[type="submit"]');
    save.disabled = true;
    try {
      const updated = await api('PATCH', videoPath(v.id), change);
      if (watch.video && watch.video.id === updated.id) {
        watch.video = updated;
        renderHeader(updated);
        renderShare(updated);
      }
      close();
      editButton.focus();
    } catch (e) {
      $('edit-error').textContent = `Could not save: ${e.message}`;
      $('edit-error').hidden = false;
    } finally {
      save.disabled = false;
    }
  });

  $('player-retry').addEventListener('click', async () => {
    const v = watch.video;
    const button = $('player-retry');
    button.disabled = true;
    try {
      await api('POST', `${videoPath(v.id)}/retry`);
      clearTimeout(watch.timer);
      await refresh(v.id, watch.seq);
    } catch (e) {
      showPlayerError(`Could not retry: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  });

  $('player-delete').addEventListener('click', async () => {
    const v = watch.video;
    if (!v || !window.confirm(`Delete “${videoName(v)}”? This cannot be undone.`)) return;
    try {
      await api('DELETE', videoPath(v.id));
    } catch (e) {
      if (e.status !== 404) { // a 404: already gone
        showPlayerError(`Could not delete: ${e.message}`);
        return;
      }
    }
    location.hash = '#/';
  });
}

// ---- share and embed --------------------------------------------------

const attrEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function renderShare(v) {
  const link = `${location.origin}/#/v/${encodeURIComponent(v.id)}`;
  $('share-link').value = link;
  // The embed page shows public and unlisted videos only.
  const embeddable = v.visibility !== 'private';
  $('share-embed-row').hidden = !embeddable;
  $('share-embed').value = embeddable
    ? `<iframe src="${location.origin}/embed/${encodeURIComponent(v.id)}" title="${attrEscape(videoName(v))}" width="640" height="360" allow="fullscreen; picture-in-picture" allowfullscreen loading="lazy" referrerpolicy="no-referrer"></iframe>`
    : '';
  $('player-share').hidden = false;
}

async function copy(field, done) {
  try {
    await navigator.clipboard.writeText(field.value);
  } catch (_) {
    // No clipboard permission: select it for the visitor to copy.
    field.focus();
    field.select();
    $('share-status').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    return;
  }
  $('share-status').textContent = done;
}

function wireShare() {
  $('share-copy').addEventListener('click', () => copy($('share-link'), 'Link copied.'));
  $('share-embed-copy').addEventListener('click', () => copy($('share-embed'), 'Embed code copied.'));
}

// ---- poster -----------------------------------------------------------

function renderPosterChoice(v) {
  const show = canManage(v) && v.status === 'ready' && Boolean(v.playback);
  $('player-poster').hidden = !show;
  if (!show) return;
  const current = $('poster-current');
  if (current.getAttribute('src') !== v.playback.poster_url) current.src = v.playback.poster_url;
  if (watch.framesFor !== v.id) {
    watch.framesFor = v.id;
    offerFrames(v, watch.seq);
  }
}

// offerFrames offers frames of the storyboard, spread over the video, as
// posters.
async function offerFrames(v, seq) {
  const cues = await loadStoryboard(v.playback.url);
  if (seq !== watch.seq) return;
  const step = Math.max(1, cues.length / POSTER_FRAMES);
  const picked = [];
  for (let i = 0; i < cues.length && picked.length < POSTER_FRAMES; i += step) picked.push(cues[Math.floor(i)]);
  $('poster-frames').replaceChildren(...picked.map((cue) => {
    const at = (cue.start + cue.end) / 2;
    const face = el('span', { className: 'poster-thumb' });
    face.style.width = `${cue.w}px`;
    face.style.height = `${cue.h}px`;
    face.style.backgroundImage = `url("${cue.url}")`;
    face.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    const b = el('button', { type: 'button', className: 'poster-pick' }, face, el('span', { text: fmtDuration(at) }));
    b.setAttribute('aria-label', `Use the frame at ${fmtDuration(at)} as the poster`);
    b.dataset.time = at.toFixed(3);
    b.addEventListener('click', () => choosePoster({ time: at }));
    return b;
  }));
  $('poster-frames-label').hidden = picked.length === 0;
}

// choosePoster sends the owner's choice: {time} or a picture File.
async function choosePoster(choice) {
  const v = watch.video;
  if (!v) return;
  const seq = watch.seq;
  const status = $('poster-status');
  status.className = '';
  status.textContent = 'Changing the poster…';
  for (const b of $('player-poster').querySelectorAll('button')) b.disabled = true;
  try {
    const updated = choice instanceof Blob
      ? await api('PUT', `${videoPath(v.id)}/poster`, choice, choice.type)
      : await api('PUT', `${videoPath(v.id)}/poster`, choice);
    if (seq !== watch.seq) return;
    watch.video = updated;
    $('poster-current').src = updated.playback.poster_url;
    player.update({ poster: updated.playback.poster_url });
    status.textContent = 'Poster changed.';
  } catch (e) {
    if (seq !== watch.seq) return;
    status.className = 'error';
    status.textContent = `Could not change the poster: ${e.message}`;
  } finally {
    for (const b of $('player-poster').querySelectorAll('button')) b.disabled = false;
  }
}

function wirePoster() {
  $('poster-frame').addEventListener('click', () => {
    // The frame shown; at the very end, the last one the server can take.
    const t = player.video.currentTime || 0;
    const d = (watch.video && watch.video.duration) || t;
    choosePoster({ time: Math.max(0, Math.min(t, d - 0.05)) });
  });
  $('poster-file').addEventListener('change', () => {
    const file = $('poster-file').files[0];
    $('poster-file').value = '';
    if (!file) return;
    if (file.type !== 'image/jpeg' && file.type !== 'image/png') {
      $('poster-status').className = 'error';
      $('poster-status').textContent = 'Choose a JPEG or PNG picture.';
      return;
    }
    choosePoster(file);
  });
}
