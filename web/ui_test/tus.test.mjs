// Resumable uploads against a running reel, with tus-js-client (its Node
// build) as the page uses it: a ~20 MB clip goes through a TCP proxy that
// cuts the connection in the middle of the body; tus-js-client retries
// from the server's offset. Then the upload is stopped (as a page reload
// would) and a new Upload finds it in its URL storage and continues it.
// The stored original must equal the source byte for byte, and the video
// must become ready.
//
// A second test does it in the page itself (chromium): the network drops
// for a while in the middle of an upload, then the page is reloaded, and
// choosing the same file again continues the upload where it stopped.
//
//   REEL_URL=http://127.0.0.1:8080 REEL_DATA=./data node --test web/ui_test/tus.test.mjs
//
// Environment:
//   REEL_URL      base URL of a running reel; the test is skipped without it
//   REEL_DATA     that reel's data dir, whose originals store is on disk
//                 (DATA/originals/<id>/original), to compare the bytes
//   REEL_API_KEY  sent as Authorization: Bearer, if reel wants API keys
//   REEL_CHROMIUM the browser of the page test (default: /usr/bin/chromium)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { chromium } from 'playwright-core';
import { startProxy } from './helpers.mjs';

const baseURL = (process.env.REEL_URL || '').replace(/\/+$/, '');
const dataDir = process.env.REEL_DATA || '';
const apiKey = process.env.REEL_API_KEY || '';

const READY_TIMEOUT = 240_000;
const CUT_AT = 6 << 20; // the proxy cuts the connection after this many bytes up
const STOP_AT = 0.6; // the first Upload is stopped here, like a page reload

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// makeClip encodes a 10 s 720p clip with sound at a bitrate that makes it
// about 20 MB.
function makeClip(dir) {
  const out = path.join(dir, 'tus-clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=10',
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '16M', '-maxrate', '16M', '-bufsize', '16M',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', out]);
  return out;
}

// uploadOptions are those of web/static/upload.js, pointed at endpoint,
// with each request logged as "METHOD status".
function uploadOptions(endpoint, storage, log, extra) {
  return {
    endpoint,
    chunkSize: 64 * 1024 * 1024,
    retryDelays: [0, 200, 500, 1000, 2000],
    metadata: { filename: 'tus-clip.mp4', filetype: 'video/mp4', title: 'tus resume test' },
    headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
    urlStorage: storage,
    removeFingerprintOnSuccess: true,
    onAfterResponse: (req, res) => { log.push(`${req.getMethod()} ${res.getStatus()}`); },
    ...extra,
  };
}

test('tus upload survives a cut connection and a restart, bytes intact', {
  skip: baseURL ? false : 'REEL_URL is not set (e.g. REEL_URL=http://127.0.0.1:8080)',
  timeout: READY_TIMEOUT + 120_000,
}, async (t) => {
  const probe = await fetch(`${baseURL}/api/uploads/`, { method: 'OPTIONS' });
  if (probe.status === 404) {
    t.skip('reel answers 404 on /api/uploads/: this build has no tus endpoint');
    return;
  }
  assert.ok(dataDir, 'REEL_DATA must name the running reel\'s data dir (scripts/browser-test.sh sets it)');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-tus-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const clip = makeClip(tmp);
  const source = fs.readFileSync(clip);
  assert.ok(source.length > 2 * CUT_AT, `clip only ${source.length} bytes`);

  const proxy = await startProxy(baseURL, { cutAt: CUT_AT });
  t.after(() => proxy.close());
  const endpoint = `${proxy.url}/api/uploads/`;
  // Kept in a file, as the page keeps it in localStorage across reloads.
  const storage = new tus.FileUrlStorage(path.join(tmp, 'tus-urls.json'));
  const log = [];

  let id = '';
  t.after(async () => {
    if (id) await fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE', headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} }).catch(() => {});
  });

  // First run: the proxy cuts it at CUT_AT, tus-js-client retries by
  // itself; stopped at STOP_AT (abort without terminating: the server
  // keeps what it has, the storage keeps the URL).
  const first = await new Promise((resolve, reject) => {
    let stopping = false;
    const up = new tus.Upload(source, uploadOptions(endpoint, storage, log, {
      onProgress: (sent, total) => {
        if (!stopping && sent / total >= STOP_AT && proxy.cuts === 1) {
          stopping = true;
          up.abort(false).then(() => resolve({ url: up.url, sent }), reject);
        }
      },
      onSuccess: () => reject(new Error('the first upload finished before it was stopped')),
      onError: reject,
    }));
    up.start();
  });
  assert.equal(proxy.cuts, 1, 'the proxy never cut the connection');
  id = first.url.split('/').pop();
  assert.match(id, /^[a-z2-7]{16}$/);
  assert.ok(log.includes('HEAD 200') || log.includes('HEAD 204'),
    `no HEAD after the cut to learn the offset: ${log.join(', ')}`);

  t.diagnostic(`requests of the first run: ${log.join(', ')}`);

  // What the server holds now, as a fresh client would learn it.
  const head = await fetch(first.url.replace(proxy.url, baseURL), {
    method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
  });
  const held = Number(head.headers.get('upload-offset'));
  assert.ok(held > 0 && held < source.length, `server holds ${held} of ${source.length} bytes`);

  // Second run, as after a reload: the same file is found in the storage
  // and continued from the server's offset, with no new upload created.
  const posts = log.filter((l) => l.startsWith('POST')).length;
  let firstSent = -1;
  await new Promise((resolve, reject) => {
    const up = new tus.Upload(source, uploadOptions(endpoint, storage, log, {
      onProgress: (sent) => { if (firstSent < 0) firstSent = sent; },
      onSuccess: resolve,
      onError: reject,
    }));
    up.findPreviousUploads().then((previous) => {
      assert.equal(previous.length, 1, 'the unfinished upload was not remembered');
      up.resumeFromPreviousUpload(previous[0]);
      up.start();
    }, reject);
  });
  assert.equal(log.filter((l) => l.startsWith('POST')).length, posts, 'the second run created a new upload');
  assert.ok(firstSent >= held, `the second run started at ${firstSent}, the server held ${held}`);
  // tus-js-client forgets a finished upload without waiting for the file
  // storage's write (localStorage, in the page, is synchronous).
  let left = await storage.findAllUploads();
  for (let i = 0; i < 40 && left.length; i++) {
    await sleep(50);
    left = await storage.findAllUploads();
  }
  assert.deepEqual(left, [], 'the finished upload is still in the storage');

  // The original as stored equals the source.
  const stored = path.join(dataDir, 'originals', id, 'original');
  assert.ok(fs.existsSync(stored), `no original at ${stored}`);
  assert.equal(sha256(fs.readFileSync(stored)), sha256(source), 'stored original differs from the source');

  // And it is transcoded.
  const deadline = Date.now() + READY_TIMEOUT;
  let v = {};
  while (Date.now() < deadline) {
    v = await (await fetch(`${baseURL}/api/videos/${id}`, { headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} })).json();
    if (v.status === 'ready' || v.status === 'failed') break;
    await sleep(500);
  }
  assert.equal(v.status, 'ready', `video ${id}: ${v.status} ${v.error || ''}`);
  assert.equal(v.title, 'tus resume test');
  assert.equal(v.size, source.length);
  assert.ok(v.playback && v.playback.url, 'a ready video without a playback URL');
});

test('the page rides out a network drop and resumes after a reload', {
  skip: baseURL ? false : 'REEL_URL is not set (e.g. REEL_URL=http://127.0.0.1:8080)',
  timeout: 180_000,
}, async (t) => {
  const probe = await fetch(`${baseURL}/api/uploads/`, { method: 'OPTIONS' });
  if (probe.status === 404) {
    t.skip('reel answers 404 on /api/uploads/: this build has no tus endpoint');
    return;
  }
  assert.ok(dataDir, 'REEL_DATA must name the running reel\'s data dir (scripts/browser-test.sh sets it)');
  const executablePath = process.env.REEL_CHROMIUM || '/usr/bin/chromium';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-tus-page-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const clip = makeClip(tmp);
  const source = fs.readFileSync(clip);

  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic'],
  });
  t.after(() => browser.close());
  // The page talks to reel through the proxy: slow enough to interrupt,
  // and a network to drop.
  const proxy = await startProxy(baseURL, { rate: 2.5e6 });
  t.after(() => proxy.close());
  const page = await browser.newPage({ baseURL: proxy.url });
  const requests = []; // "METHOD status Upload-Offset" of the tus requests
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/uploads/')) {
      requests.push(`${r.request().method()} ${r.status()} ${r.request().headers()['upload-offset'] || ''}`.trim());
    }
  });

  let id = '';
  t.after(async () => {
    if (id) await fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {});
  });
  // The page's upload queue: the item of the clip, its progress and text.
  const item = () => page.locator('.queue-item').last();
  const percent = () => item().locator('.q-progress').evaluate((p) => p.value);
  const waitPercent = (n) => page.waitForFunction((n) => document.querySelector('.queue-item:last-child .q-progress').value >= n, n,
    { timeout: 60_000 });

  await page.goto('/');
  await page.getByLabel('Video files').setInputFiles(clip);
  const created = page.waitForResponse((r) =>
    r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/');
  await item().getByRole('button', { name: /^Upload/ }).click();
  id = ((await created).headers().location || '').split('/').pop();
  assert.match(id, /^[a-z2-7]{16}$/);

  // The network drops for three seconds: the page says so and carries on.
  await waitPercent(15);
  proxy.drop();
  await page.waitForFunction(() => /retry|Offline/.test(document.querySelector('.queue-item:last-child .q-status').textContent),
    null, { timeout: 20_000 });
  await sleep(3000);
  proxy.restore();
  const before = await percent();
  await page.waitForFunction((p) => document.querySelector('.queue-item:last-child .q-progress').value > p, before, { timeout: 30_000 });
  assert.equal(await item().locator('.q-error').isHidden(), true, 'the network drop ended the upload');

  // Reload half-way; the page lists the unfinished upload, and choosing
  // the same file continues it: a HEAD, then PATCHes from the server's
  // offset, no new upload.
  await waitPercent(45);
  // The page asks before leaving mid-upload: leave.
  page.on('dialog', (d) => (d.type() === 'beforeunload' ? d.accept() : d.dismiss()));
  await page.reload();
  await page.locator('#upload-pending').waitFor();
  assert.match(await page.locator('#upload-pending').textContent(), /tus-clip\.mp4/);
  const posts = requests.filter((r) => r.startsWith('POST')).length;
  const resumedFrom = requests.length;
  await page.getByLabel('Video files').setInputFiles(clip);
  await item().getByRole('button', { name: /^Upload/ }).click();
  await page.waitForFunction(() => document.querySelector('.queue-item:last-child').dataset.state === 'done' &&
    document.querySelector('.queue-item:last-child .q-progress').value === 100, null, { timeout: 60_000 });
  t.diagnostic(`tus requests: ${requests.join(', ')}`);
  assert.equal(requests.filter((r) => r.startsWith('POST')).length, posts, 'the reloaded page created a new upload');
  const after = requests.slice(resumedFrom);
  assert.match(after[0] || '', /^HEAD 200/, `the reloaded page did not ask for the offset first: ${after}`);
  const firstPatch = after.find((r) => r.startsWith('PATCH'));
  assert.ok(firstPatch && Number(firstPatch.split(' ')[2]) > 0, `the reloaded page started from 0: ${after}`);
  assert.equal(await page.locator('#upload-pending').isHidden(), true, 'the finished upload is still listed as unfinished');

  const stored = path.join(dataDir, 'originals', id, 'original');
  assert.equal(sha256(fs.readFileSync(stored)), sha256(source), 'stored original differs from the source');
});
