// watch.js: the watch page ("#/v/<id>"): one video's header, its player
// (hls.js, or the browser's own HLS), quality, renditions and storyboard,
// refreshed while the video is still being transcoded. app.js routes to
// it with openPlayer and leaves it with stopPlayer.

import { api, videoPath } from './api.js';
import { $, el } from './dom.js';
import { fmtBytes, fmtDate, fmtDuration, fmtKbps, fmtPercent, videoName } from './format.js';
import * as storyboard from './storyboard.js';

let Hls = null; // hls.js's class, once loaded (loadHls)

const POLL_MS = 2000; // refresh while a video is not in a final state
const RETRY_MS = 5000; // refresh after the server could not be reached

// loadHls loads hls.js, which plays HLS where the browser does not (all
// but Safari); it is vendored by `make ui`, and without it the page falls
// back to native HLS.
export async function loadHls() {
  Hls = await import('./vendor/hls.min.mjs').then((m) => m.default, () => null);
}

const player = {
  seq: 0, // drops answers for a player that was left
  timer: 0,
  hls: null,
  video: null, // the API's video
  lastRefresh: 0, // when the signed URL was last renewed after a network error
  mediaRecovered: false,
};

export function stopPlayer() {
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

export async function openPlayer(id) {
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
