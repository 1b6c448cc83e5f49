// upload.js: the upload queue. Files chosen with the picker (several at
// once) or dropped on the drop zone join a queue. Each file has its own
// title (its name without the extension, editable before and after the
// upload), an optional description, and an audience, encryption and, under
// Options, extra codecs (HEVC, AV1) and downloads, chosen before it starts
// and locked from then on (an option left unchecked is the server's
// default: --codecs, --downloads); once started, its own
// progress, speed and time left, with pause, resume and cancel, and when
// it finishes a link to its video. Two files upload at once; the others
// wait their turn.
//
// Uploads are tus resumable uploads (tus-js-client, vendored as
// /static/vendor/tus.min.js by `make ui`) to reel's /api/uploads/:
// - A lost connection is retried with the delays below, each time from the
//   offset the server reports; if the browser is offline when they run
//   out, the upload continues by itself when it is back online.
// - Over the server's upload rate (429), an upload waits the Retry-After
//   the server asks for and goes on.
// - Pause stops sending and keeps the upload on the server; resume asks
//   the server for its offset and goes on from there.
// - After a reload (or a crash of the browser), choosing the same file
//   again continues its upload: tus-js-client keeps each unfinished
//   upload's URL in localStorage under a fingerprint of the file (name,
//   type, size, modification time, endpoint).
// - Cancel terminates the upload on the server, which deletes its video.
//
// app.js calls attach with a callback run whenever a video appears or
// finishes uploading, so the list can refresh. Text reaches the page
// through textContent only.
import { api, videoPath } from './api.js';
import { $, el } from './dom.js';
import { fmtBytes } from './format.js';

// tus-js-client has no ES module build that runs without a bundler (its
// lib.esm imports npm packages by bare name), so its browser bundle, a
// UMD script, is imported for its effect and read once from the name it
// sets on the window. It may be missing (reel built without `make ui`):
// then uploads say so.
const tusReady = import('./vendor/tus.min.js').then(() => globalThis.tus || null, () => null);

const ENDPOINT = '/api/uploads/';
// One PATCH per chunk bounds each request, for proxies that limit bodies.
const CHUNK_SIZE = 64 * 1024 * 1024;
// Waits before each retry of a failed request, about two minutes in all.
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 30000];
const SPEED_WINDOW_MS = 5000; // speed is measured over the last seconds
const PARALLEL = 2; // uploads sending at once: more only split the bandwidth
const SAY_EVERY_MS = 1000; // progress text changes at most this often, for screen readers

const AUDIENCES = [
  ['unlisted', 'Unlisted: anyone with the link'],
  ['public', 'Public: listed'],
  ['private', 'Private: signed-in viewers only'],
];

const queue = []; // the items, in the order they were added
let changed = () => {};
let nextItem = 0;

function fmtETA(seconds) {
  const s = Math.round(seconds);
  const mm = `${Math.floor((s % 3600) / 60)}`.padStart(s >= 3600 ? 2 : 1, '0');
  return `${s >= 3600 ? Math.floor(s / 3600) + ':' : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

// titleOf is a file's name without its extension: the default title.
export function titleOf(name) {
  const i = name.lastIndexOf('.');
  return (i > 0 ? name.slice(0, i) : name).trim();
}

// meter measures the speed over a sliding window of progress samples;
// bytes lost to a cut connection restart it.
function meter() {
  let samples = [];
  return {
    add(bytes) {
      const now = performance.now();
      if (samples.length && bytes < samples[samples.length - 1].bytes) samples = [];
      samples.push({ now, bytes });
      while (samples.length > 2 && now - samples[0].now > SPEED_WINDOW_MS) samples.shift();
    },
    reset() { samples = []; },
    rate() { // bytes per second
      if (samples.length < 2) return 0;
      const a = samples[0];
      const b = samples[samples.length - 1];
      return b.now > a.now ? (b.bytes - a.bytes) / ((b.now - a.now) / 1000) : 0;
    },
  };
}

// messageOf turns a tus-js-client error into a sentence: reel's JSON
// error message or the server's text when there is an answer.
function messageOf(err) {
  const res = err && err.originalResponse;
  if (!res) return 'the connection to the server was lost.';
  const body = res.getBody() || '';
  try {
    const msg = JSON.parse(body).error.message;
    if (typeof msg === 'string' && msg) return msg;
  } catch (_) { /* not JSON */ }
  return body.trim().slice(0, 300) || `the server answered ${res.getStatus()}.`;
}

// retryable is tus-js-client's default rule (retry unless a 4xx other
// than 409 or 423) plus 460, a chunk that arrived damaged, but without
// its navigator.onLine check: a flaky network should keep trying.
function retryable(err) {
  const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
  return !(status >= 400 && status < 500) || status === 409 || status === 423 || status === 460;
}

const videoID = (url) => url.replace(/\/+$/, '').split('/').pop();

// ---- one file of the queue -------------------------------------------------

// The states of an item: ready (not started: everything editable),
// waiting (its turn comes), uploading, paused, done, failed (may try
// again), cancelled.
const STATE_TEXT = {
  ready: 'Ready to upload.',
  waiting: 'Waiting for its turn…',
  paused: 'Paused.',
  cancelled: 'Cancelled: nothing of it is kept.',
};

function newItem(file) {
  const n = ++nextItem;
  const id = (k) => `upload-${n}-${k}`;
  const item = {
    n, file, state: 'ready', upload: null, videoId: '', speed: meter(),
    sent: { title: null, description: null }, // as the server has them
    said: 0, note: '', fresh: false,
  };
  const title = el('input', { id: id('title'), className: 'q-title', type: 'text', maxLength: 500, autocomplete: 'off', value: titleOf(file.name) });
  const description = el('textarea', { id: id('description'), className: 'q-description', maxLength: 5000, rows: 2 });
  const visibility = el('select', { id: id('visibility'), className: 'q-visibility' },
    ...AUDIENCES.map(([v, t]) => el('option', { value: v, text: t })));
  const encrypt = el('input', { id: id('encrypt'), className: 'q-encrypt', type: 'checkbox' });
  const hevc = el('input', { id: id('hevc'), className: 'q-hevc', type: 'checkbox' });
  const av1 = el('input', { id: id('av1'), className: 'q-av1', type: 'checkbox' });
  const downloads = el('input', { id: id('downloads'), className: 'q-downloads', type: 'checkbox' });
  const check = (input, text) => el('div', { className: 'q-check' }, input, ' ', el('label', { htmlFor: input.id, text }));
  const progress = el('progress', { className: 'q-progress', max: 100, value: 0, attrs: { 'aria-label': `Upload of ${file.name}` } });
  const status = el('p', { className: 'q-status', attrs: { 'aria-live': 'polite' } });
  const error = el('p', { className: 'q-error error', hidden: true, attrs: { role: 'alert' } });
  const button = (text, cls, onClick) => {
    const b = el('button', { type: 'button', className: cls, text, attrs: { 'aria-label': `${text}: ${file.name}` } });
    b.addEventListener('click', onClick);
    return b;
  };
  const link = el('a', { className: 'q-link', text: 'Open the video', hidden: true });
  const buttons = {
    start: button('Upload', 'q-start', () => enqueue(item)),
    pause: button('Pause', 'q-pause secondary', () => pause(item)),
    resume: button('Resume', 'q-resume', () => enqueue(item)),
    retry: button('Try again', 'q-retry', () => enqueue(item)),
    cancel: button('Cancel', 'q-cancel secondary delete', () => cancel(item)),
    remove: button('Remove', 'q-remove secondary', () => remove(item)),
  };
  const li = el('li', { className: 'queue-item' },
    el('div', { className: 'q-head' },
      el('strong', { className: 'q-file', text: file.name }),
      el('span', { className: 'muted', text: ` ${fmtBytes(file.size)}` })),
    el('div', { className: 'q-fields' },
      el('div', { className: 'field' }, el('label', { htmlFor: title.id, text: 'Title' }), title),
      el('div', { className: 'field' }, el('label', { htmlFor: visibility.id, text: 'Audience' }), visibility),
      el('div', { className: 'field q-wide' },
        el('label', { htmlFor: description.id, text: 'Description ' }, el('span', { className: 'muted', text: '(optional)' })), description),
      el('div', { className: 'q-check' }, encrypt, ' ', el('label', { htmlFor: encrypt.id, text: 'Encrypt segments (HLS AES-128)' })),
      el('details', { className: 'q-options q-wide' },
        el('summary', { text: 'Options' }),
        check(hevc, 'Add HEVC variants (smaller, for players that decode it)'),
        check(av1, 'Add AV1 variants (smallest, slow to encode)'),
        check(downloads, 'Make downloads (MP4 and M4A; not for encrypted videos)'),
        el('p', { className: 'muted', text: 'Left unchecked: the server’s defaults. H.264 is always made.' }))),
    progress, status, error,
    el('div', { className: 'q-actions' }, ...Object.values(buttons), link));
  li.dataset.file = file.name;
  Object.assign(item, { li, title, description, visibility, encrypt, hevc, av1, downloads, progress, status, error, buttons, link });
  // The title and description change on the server once its video exists.
  title.addEventListener('change', () => sync(item));
  description.addEventListener('change', () => sync(item));
  render(item);
  return item;
}

// render shows the item's state: which buttons, what is locked.
function render(item) {
  const s = item.state;
  item.li.dataset.state = s;
  const b = item.buttons;
  b.start.hidden = s !== 'ready';
  b.pause.hidden = s !== 'uploading';
  b.resume.hidden = s !== 'paused';
  b.retry.hidden = s !== 'failed';
  b.cancel.hidden = !['waiting', 'uploading', 'paused', 'failed'].includes(s) || (s === 'failed' && !item.upload);
  b.remove.hidden = !['ready', 'done', 'cancelled'].includes(s) && !(s === 'failed' && !item.upload);
  // Audience, encryption and options are the upload's from its start on.
  const started = s !== 'ready';
  for (const input of [item.visibility, item.encrypt, item.hevc, item.av1, item.downloads]) input.disabled = started;
  item.title.disabled = s === 'cancelled';
  item.description.disabled = s === 'cancelled';
  item.progress.hidden = s === 'ready' || s === 'cancelled';
  if (STATE_TEXT[s]) say(item, STATE_TEXT[s], true);
  $('upload-all').hidden = !queue.some((i) => i.state === 'ready');
}

function say(item, text, now) {
  const t = performance.now();
  if (!now && t - item.said < SAY_EVERY_MS) return;
  item.said = t;
  item.status.textContent = text;
}

function showError(item, msg) {
  item.error.textContent = msg;
  item.error.hidden = !msg;
}

function showProgress(item, sent, total, now) {
  const rate = item.speed.rate();
  const fraction = total > 0 ? sent / total : 0;
  item.progress.value = Math.floor(fraction * 100);
  const parts = [`${Math.floor(fraction * 100)} %`, `${(rate / 1e6).toFixed(1)} MB/s`, `${fmtBytes(sent)} of ${fmtBytes(total)}`];
  if (rate > 0 && sent < total) parts.push(`${fmtETA((total - sent) / rate)} left`);
  if (item.note) parts.push(item.note);
  say(item, parts.join(' · '), now || sent >= total);
}

// sync sends a changed title or description of an item whose video
// exists; before that, start sends them with the file.
async function sync(item) {
  if (!item.videoId || item.state === 'cancelled') return;
  const body = {};
  const title = item.title.value.trim();
  const description = item.description.value.trim();
  if (title !== item.sent.title) body.title = title;
  if (description !== item.sent.description) body.description = description;
  if (!Object.keys(body).length) return;
  try {
    const v = await api('PATCH', videoPath(item.videoId), body);
    item.sent.title = v.title;
    item.sent.description = v.description;
    if (item.state === 'done') item.link.textContent = `Open “${v.title || item.file.name}”`;
    showError(item, '');
    changed();
  } catch (e) {
    showError(item, `Could not save the change: ${e.message}`);
  }
}

// ---- the queue -------------------------------------------------------------

const running = () => queue.filter((i) => i.state === 'uploading').length;

// enqueue puts an item in line; it starts when a slot is free.
function enqueue(item) {
  showError(item, '');
  item.state = 'waiting';
  render(item);
  next();
}

function next() {
  for (const item of queue) {
    if (running() >= PARALLEL) return;
    if (item.state === 'waiting') begin(item);
  }
}

async function begin(item) {
  item.state = 'uploading';
  item.note = '';
  item.fresh = true; // the first progress replaces the waiting text at once
  item.speed.reset();
  render(item);
  if (item.upload) { // resumed, or tried again: the server says where it stopped
    say(item, 'Resuming…', true);
    item.upload.start();
    return;
  }
  const tus = await tusReady;
  if (!tus || !tus.isSupported) {
    item.state = 'failed';
    render(item);
    showError(item, 'The upload library is missing (/static/vendor/tus.min.js): build reel with `make build`.');
    next();
    return;
  }
  const file = item.file;
  const title = item.title.value.trim();
  const description = item.description.value.trim();
  const metadata = { filename: file.name, filetype: file.type || 'application/octet-stream', visibility: item.visibility.value };
  if (title) metadata.title = title;
  if (description) metadata.description = description;
  if (item.encrypt.checked) metadata.encrypt = 'true';
  // Extra codecs join H.264, which every player falls back to.
  const codecs = ['h264', ...(item.hevc.checked ? ['hevc'] : []), ...(item.av1.checked ? ['av1'] : [])];
  if (codecs.length > 1) metadata.codecs = codecs.join(',');
  if (item.downloads.checked) metadata.downloads = 'true';
  item.sent = { title, description };

  const upload = new tus.Upload(file, {
    endpoint: ENDPOINT,
    chunkSize: CHUNK_SIZE,
    retryDelays: RETRY_DELAYS,
    metadata,
    removeFingerprintOnSuccess: true,
    onUploadUrlAvailable: () => {
      item.videoId = videoID(upload.url);
      item.li.dataset.uploadId = item.videoId;
      changed(); // the video is listed as uploading
      sync(item); // a title typed since the start
    },
    onProgress: (sent, total) => {
      if (item.upload !== upload || item.state !== 'uploading') return;
      item.speed.add(sent);
      item.note = '';
      showProgress(item, sent, total, item.fresh);
      item.fresh = false;
    },
    onShouldRetry: (err, attempt) => {
      if (!retryable(err)) return false;
      item.note = `connection lost, retry ${attempt + 1} of ${RETRY_DELAYS.length}…`;
      say(item, item.note, true);
      return true;
    },
    onSuccess: () => {
      item.state = 'done';
      item.note = '';
      render(item);
      item.progress.value = 100;
      say(item, `Uploaded (${fmtBytes(file.size)}); transcoding follows.`, true);
      item.link.href = `#/v/${encodeURIComponent(item.videoId)}`;
      item.link.textContent = `Open “${item.title.value.trim() || file.name}”`;
      item.link.hidden = false;
      changed();
      showPending();
      next();
    },
    onError: (err) => {
      if (item.upload !== upload || item.state !== 'uploading') return;
      const res = err.originalResponse;
      if (res && res.getStatus() === 429) {
        // Over the server's upload rate: wait as long as it asks, then go on.
        const wait = Math.min(300, Math.max(1, Number(res.getHeader('Retry-After')) || 5));
        say(item, `Too many uploads at once for the server: trying again in ${wait} s…`, true);
        setTimeout(() => { if (item.upload === upload && item.state === 'uploading') upload.start(); }, wait * 1000);
        return;
      }
      if (!err.originalResponse && !navigator.onLine) {
        // Out of retries while offline: continue once back online.
        say(item, 'Offline: the upload continues when the network is back.', true);
        window.addEventListener('online', () => { if (item.state === 'uploading') upload.start(); }, { once: true });
        return;
      }
      item.state = 'failed';
      render(item);
      showError(item, `The upload failed: ${messageOf(err)}`);
      say(item, 'Stopped.', true);
      next();
    },
  });
  item.upload = upload;

  // An earlier upload of the same file continues where the server stopped.
  let previous = [];
  try {
    previous = await upload.findPreviousUploads();
  } catch (_) { /* no localStorage: start afresh */ }
  if (item.state !== 'uploading') return; // paused or cancelled meanwhile
  if (previous.length) {
    previous.sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)));
    upload.resumeFromPreviousUpload(previous[0]);
    item.note = 'resuming an earlier upload';
    say(item, 'Resuming the earlier upload of this file…', true);
  }
  upload.start();
}

function pause(item) {
  if (item.state !== 'uploading') return;
  item.state = 'paused';
  render(item);
  // false: keep the upload on the server, to resume from its offset.
  if (item.upload) item.upload.abort(false).catch(() => {});
  next();
}

function cancel(item) {
  const upload = item.upload;
  item.state = 'cancelled';
  item.progress.value = 0;
  item.link.hidden = true;
  showError(item, '');
  render(item);
  next();
  if (!upload) return;
  // true: delete the upload (and its video) on the server and forget it here.
  upload.abort(true).catch(() => {}).finally(() => { showPending(); changed(); });
}

function remove(item) {
  const i = queue.indexOf(item);
  if (i >= 0) queue.splice(i, 1);
  // Focus moves on to the next file's title, or the picker.
  const after = queue[i] || queue[i - 1];
  item.li.remove();
  (after ? after.title : $('upload-file')).focus();
  $('upload-all').hidden = !queue.some((q) => q.state === 'ready');
}

// add puts files in the queue, ready: their options can still change.
function add(files) {
  const list = [...files];
  const refused = list.filter((f) => f.size === 0).map((f) => f.name);
  for (const file of list) {
    if (file.size === 0) continue;
    const item = newItem(file);
    queue.push(item);
    $('upload-queue').append(item.li);
  }
  $('upload-note').textContent = refused.length ? `Left out, empty: ${refused.join(', ')}.` : '';
  $('upload-all').hidden = !queue.some((i) => i.state === 'ready');
  const first = queue.find((i) => i.state === 'ready');
  if (first && list.length) first.title.focus();
}

// showPending lists the uploads this browser left unfinished, so the
// user knows to choose the file again.
async function showPending() {
  const p = $('upload-pending');
  let names = [];
  try {
    const tus = await tusReady;
    const all = tus ? await tus.defaultOptions.urlStorage.findAllUploads() : [];
    const live = new Set(queue.filter((i) => i.upload && i.state !== 'done').map((i) => i.upload.url));
    names = all.filter((u) => !live.has(u.uploadUrl)).map((u) => (u.metadata && u.metadata.filename) || 'a file');
  } catch (_) { /* no localStorage */ }
  p.textContent = names.length
    ? `Unfinished: ${[...new Set(names)].join(', ')}. Choose the same file again to continue.`
    : '';
  p.hidden = names.length === 0;
}

// attach wires the picker, the drop zone and the queue's buttons.
export function attach(onChange) {
  changed = onChange || changed;
  const input = $('upload-file');
  input.addEventListener('change', () => {
    add(input.files);
    input.value = ''; // the same file may be chosen again
  });
  const zone = $('drop-zone');
  const over = (e) => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  };
  zone.addEventListener('dragenter', over);
  zone.addEventListener('dragover', over);
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files.length) add(e.dataTransfer.files);
  });
  $('upload-all').addEventListener('click', () => {
    for (const item of queue) if (item.state === 'ready') enqueue(item);
  });
  window.addEventListener('beforeunload', (e) => {
    // Ask before leaving mid-upload.
    if (queue.some((i) => i.state === 'uploading' || i.state === 'waiting')) e.preventDefault();
  });
  showPending();
}
