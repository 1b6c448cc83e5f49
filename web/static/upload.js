// upload.js: the upload form, with tus resumable uploads (tus-js-client,
// vendored as /static/vendor/tus.min.js by `make ui`) to reel's
// /api/uploads/ endpoint.
//
// - A lost connection is retried with the delays below, each time from the
//   offset the server reports; if the browser is offline when they run
//   out, the upload continues by itself when it is back online.
// - After a reload (or a crash of the browser), choosing the same file
//   again continues its upload: tus-js-client keeps each unfinished
//   upload's URL in localStorage under a fingerprint of the file (name,
//   type, size, modification time, endpoint).
// - Cancel terminates the upload on the server.
//
// app.js calls attach with a callback run whenever a video
// appears or finishes uploading, so the list can refresh.
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

const $ = (id) => document.getElementById(id);
let current = null; // the running tus.Upload
let changed = () => {};

function fmtETA(seconds) {
  const s = Math.round(seconds);
  const mm = `${Math.floor((s % 3600) / 60)}`.padStart(s >= 3600 ? 2 : 1, '0');
  return `${s >= 3600 ? Math.floor(s / 3600) + ':' : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
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
    rate() { // bytes per second
      if (samples.length < 2) return 0;
      const a = samples[0];
      const b = samples[samples.length - 1];
      return b.now > a.now ? (b.bytes - a.bytes) / ((b.now - a.now) / 1000) : 0;
    },
  };
}

function setBusy(busy) {
  $('upload-button').disabled = busy;
  $('upload-file').disabled = busy;
  $('upload-title').disabled = busy;
  $('upload-cancel').hidden = !busy;
}

function showError(msg) {
  $('upload-error').textContent = msg;
  $('upload-error').hidden = false;
}

function showProgress(sent, total, rate, note) {
  const fraction = total > 0 ? sent / total : 0;
  $('upload-progress').value = Math.floor(fraction * 100);
  const parts = [`${Math.floor(fraction * 100)} %`, `${(rate / 1e6).toFixed(1)} MB/s`,
    `${fmtBytes(sent)} of ${fmtBytes(total)}`];
  if (rate > 0 && sent < total) parts.push(`${fmtETA((total - sent) / rate)} left`);
  if (note) parts.push(note);
  $('upload-text').textContent = parts.join(' · ');
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

async function start() {
  const file = $('upload-file').files[0];
  $('upload-error').hidden = true;
  if (!file) {
    showError('Choose a video file first.');
    return;
  }
  const tus = await tusReady;
  if (!tus || !tus.isSupported) {
    showError('The upload library is missing (/static/vendor/tus.min.js): build reel with `make build`.');
    return;
  }
  const title = $('upload-title').value.trim();
  const metadata = { filename: file.name, filetype: file.type || 'application/octet-stream' };
  if (title) metadata.title = title;
  metadata.visibility = $('upload-visibility').value;
  if ($('upload-encrypt').checked) metadata.encrypt = 'true';
  const speed = meter();
  let note = '';

  const upload = new tus.Upload(file, {
    endpoint: ENDPOINT,
    chunkSize: CHUNK_SIZE,
    retryDelays: RETRY_DELAYS,
    metadata,
    removeFingerprintOnSuccess: true,
    onUploadUrlAvailable: () => changed(), // the video is listed as uploading
    onProgress: (sent, total) => {
      speed.add(sent);
      note = '';
      showProgress(sent, total, speed.rate(), note);
    },
    onShouldRetry: (err, attempt) => {
      if (!retryable(err)) return false;
      note = `connection lost, retry ${attempt + 1} of ${RETRY_DELAYS.length}…`;
      $('upload-text').textContent = note;
      return true;
    },
    onSuccess: () => {
      current = null;
      setBusy(false);
      const rate = speed.rate();
      showProgress(file.size, file.size, rate, `uploaded “${title || file.name}”`);
      $('upload-form').dataset.videoId = videoID(upload.url);
      $('upload-form').reset();
      showPending();
      changed();
    },
    onError: (err) => {
      if (current !== upload) return;
      if (!err.originalResponse && !navigator.onLine) {
        // Out of retries while offline: continue once back online.
        $('upload-text').textContent = 'Offline: the upload continues when the network is back.';
        window.addEventListener('online', () => { if (current === upload) upload.start(); }, { once: true });
        return;
      }
      current = null;
      setBusy(false);
      $('upload-status').hidden = true;
      showError(`The upload failed: ${messageOf(err)} Choose the same file again to continue it.`);
      showPending();
    },
  });
  current = upload;
  setBusy(true);
  $('upload-status').hidden = false;
  showProgress(0, file.size, 0, '');

  // An earlier upload of the same file continues where the server stopped.
  let previous = [];
  try {
    previous = await upload.findPreviousUploads();
  } catch (_) { /* no localStorage: start afresh */ }
  if (current !== upload) return; // cancelled meanwhile
  if (previous.length) {
    previous.sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)));
    upload.resumeFromPreviousUpload(previous[0]);
    note = 'resuming';
    $('upload-text').textContent = 'Resuming the earlier upload of this file…';
  }
  upload.start();
}

function cancel() {
  const upload = current;
  if (!upload) return;
  current = null;
  setBusy(false);
  $('upload-status').hidden = true;
  showError('Upload cancelled.');
  // true: delete the upload on the server and forget it here.
  upload.abort(true).catch(() => {}).finally(() => { showPending(); changed(); });
}

// showPending lists the uploads this browser left unfinished, so the
// user knows to choose the file again.
async function showPending() {
  let p = $('upload-pending');
  if (!p) {
    p = document.createElement('p');
    p.id = 'upload-pending';
    p.className = 'muted';
    $('upload-form').after(p);
  }
  let names = [];
  try {
    const tus = await tusReady;
    const all = tus ? await tus.defaultOptions.urlStorage.findAllUploads() : [];
    names = all.filter((u) => !current || u.uploadUrl !== current.url)
      .map((u) => (u.metadata && u.metadata.filename) || 'a file');
  } catch (_) { /* no localStorage */ }
  p.textContent = names.length
    ? `Unfinished: ${[...new Set(names)].join(', ')}. Choose the same file again to continue.`
    : '';
  p.hidden = names.length === 0;
}

export function attach(onChange) {
  changed = onChange || changed;
  $('upload-form').addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  $('upload-cancel').addEventListener('click', cancel);
  window.addEventListener('beforeunload', (e) => {
    if (current) e.preventDefault(); // ask before leaving mid-upload
  });
  showPending();
}
