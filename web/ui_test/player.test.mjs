// Browser test of reel's web page: upload a clip through the upload queue,
// wait for it to be transcoded, open the player and check that the video
// really plays. It drives Debian's chromium through playwright-core against
// an already running reel.
//
//   REEL_URL=http://127.0.0.1:8080 node --test web/ui_test/
//
// Environment:
//   REEL_URL       base URL of a running reel; the test is skipped without it
//   REEL_CHROMIUM  the browser binary (default: /usr/bin/chromium)
//   REEL_UI_SLOWMO milliseconds between browser actions, for watching it
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const baseURL = (process.env.REEL_URL || '').replace(/\/+$/, '');
const executablePath = process.env.REEL_CHROMIUM || '/usr/bin/chromium';

// makeClip encodes a 10 s 320x240 H.264 + AAC clip shown at 16:9 (the
// pixels are 4:3 wide), as mediatest.Anamorphic is, into a temp folder.
function makeClip() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-ui-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'anamorphic.mp4');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=24',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '10', '-vf', 'setsar=4/3', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '200k',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', out]);
  return out;
}

// The clip both tests upload, made once; only when they run.
let clipPath = '';
function clip() {
  if (!clipPath) clipPath = makeClip();
  return clipPath;
}

const READY_TIMEOUT = 180_000; // a 10 s clip on a slow, busy CI machine
const PLAY_TIMEOUT = 30_000;

// A title with markup and quotes: the page must show it as text.
const title = `ui test <b>bold</b> & "quoted" ${Date.now()}`;

function launch() {
  return chromium.launch({
    executablePath,
    slowMo: Number(process.env.REEL_UI_SLOWMO || 0),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// waitForStatus polls the list item until the video is ready, failing at
// once with the page's error message if it failed.
async function waitForReady(item, timeout) {
  const deadline = Date.now() + timeout;
  let status = '';
  while (Date.now() < deadline) {
    status = (await item.getAttribute('data-status')) || '';
    if (status === 'ready') return;
    if (status === 'failed') {
      const msg = await item.locator('.item-error').textContent();
      assert.fail(`transcoding failed: ${msg}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`video not ready after ${timeout / 1000} s (status "${status}")`);
}

test('upload, transcode and play a video in the browser', {
  skip: baseURL ? false : 'REEL_URL is not set (e.g. REEL_URL=http://127.0.0.1:8080)',
  timeout: READY_TIMEOUT + 120_000,
}, async (t) => {
  assert.ok(fs.existsSync(executablePath), `no browser at ${executablePath} (apt-get install chromium)`);

  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL });

  // Keep what the page says about itself, for the failure message.
  const log = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) log.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });
  page.on('requestfailed', (r) => log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  t.after(() => { if (log.length) t.diagnostic(log.join('\n')); });

  let id = '';
  t.after(async () => {
    // Leave no video behind if the test stopped before the UI deleted it.
    if (id) await fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {});
  });

  await page.goto('/');
  await assert.doesNotReject(page.getByRole('heading', { name: 'reel', level: 1 }).waitFor());

  // Upload through the queue: pick the file, give it a title, start it.
  await page.getByLabel('Video files').setInputFiles(clip());
  const queued = page.locator('.queue-item').last();
  await queued.getByLabel('Title').fill(title);
  // The page uploads with tus: the creation POST names the video in its
  // Location (the upload id is the video id).
  const uploaded = page.waitForResponse((r) =>
    r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/');
  await queued.getByRole('button', { name: /^Upload/ }).click();
  const res = await uploaded;
  assert.equal(res.status(), 201, `upload creation answered ${res.status()}: ${await res.text()}`);
  id = (res.headers().location || '').split('/').pop();
  assert.match(id, /^[a-z2-7]{16}$/);

  // The progress bar reaches 100 %, and the item links to its video.
  const progress = queued.locator('.q-progress');
  await page.waitForFunction(() => document.querySelector('.queue-item:last-child').dataset.state === 'done');
  assert.equal(await progress.evaluate((p) => p.value), 100);
  assert.equal(await progress.isVisible(), true);
  assert.match(await queued.locator('.q-status').textContent(), /^Uploaded/);
  assert.equal(await queued.locator('.q-link').getAttribute('href'), `#/v/${id}`);
  assert.equal(await queued.locator('.q-error').isHidden(), true);
  assert.equal((await (await fetch(`${baseURL}/api/videos/${id}`)).json()).title, title);

  // The video is listed, its title shown as text, and becomes ready.
  const item = page.locator(`li[data-video-id="${id}"]`);
  await item.waitFor();
  assert.equal(await item.locator('.title').textContent(), title);
  assert.equal(await item.locator('b').count(), 0, 'the title was parsed as HTML');
  await waitForReady(item, READY_TIMEOUT);
  const poster = item.locator('img');
  await poster.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await poster.elementHandle());
  assert.match(await item.locator('.duration').textContent(), /^\d+:\d\d$/);

  // Open its player.
  await item.locator('a.title').click();
  await page.waitForURL(`**/#/v/${id}`);
  // The title appears once the player's GET /api/videos/{id} is answered.
  await page.waitForFunction((t) => document.querySelector('#player-title').textContent === t, title);
  const video = page.locator('#player-video');
  await video.waitFor();
  assert.ok(await page.locator('#player-renditions tr').count() >= 1, 'no renditions listed');
  assert.match(await page.locator('#player-renditions tr').first().textContent(), /\d+×\d+.*kb\/s/);

  // Play it (muted, as a script may without a user gesture) and check that
  // time advances and frames have a size.
  await video.evaluate((v) => { v.muted = true; return v.play(); });
  try {
    await page.waitForFunction(
      () => document.querySelector('#player-video').currentTime > 1,
      null, { timeout: PLAY_TIMEOUT });
  } catch (e) {
    const state = await video.evaluate((v) => ({
      currentTime: v.currentTime, readyState: v.readyState, networkState: v.networkState,
      error: v.error && v.error.message, engine: v.dataset.engine,
      pageError: document.querySelector('#player-error').textContent,
    }));
    assert.fail(`video did not play: ${JSON.stringify(state)}`);
  }
  const played = await video.evaluate((v) => ({
    width: v.videoWidth, height: v.videoHeight, engine: v.dataset.engine, paused: v.paused,
  }));
  assert.ok(played.width > 0 && played.height > 0, `no video frames: ${JSON.stringify(played)}`);
  assert.equal(played.paused, false);
  assert.equal(played.engine, 'hls.js', 'hls.js did not load: is web/static/vendor/hls.min.mjs there (make ui)?');
  // hls.js reported the level it switched to.
  assert.match(await page.locator('#player-level').textContent(), /\d+×\d+ · [\d.,\s]+ kb\/s/);
  assert.equal(await page.locator('#player-error').isHidden(), true);

  // The player's seek bar shows a thumbnail of the hovered moment, whose
  // sprite sheet loads.
  const seek = page.getByRole('slider', { name: 'Seek' });
  await seek.hover(); // scrolls the bar into view, then moves to its middle
  const preview = page.locator('.seek-preview');
  await preview.waitFor();
  await page.waitForFunction(() => /storyboard_\d+\.jpg/.test(document.querySelector('.seek-thumb').style.backgroundImage));
  const sheet = await page.locator('.seek-thumb').evaluate((el) => el.style.backgroundImage);
  const sheetURL = sheet.match(/url\("(.*)"\)/)[1];
  const sheetRes = await fetch(sheetURL);
  assert.equal(sheetRes.status, 200);
  assert.equal(sheetRes.headers.get('content-type'), 'image/jpeg');

  // Back to the list and delete it through the page (confirming the dialog).
  await page.getByRole('link', { name: /All videos/ }).click();
  await item.waitFor();
  page.once('dialog', (d) => d.accept());
  const deleted = page.waitForResponse((r) =>
    r.request().method() === 'DELETE' && new URL(r.url()).pathname === `/api/videos/${id}`);
  await item.getByRole('button', { name: 'Delete' }).click();
  assert.equal((await deleted).status(), 204);
  await item.waitFor({ state: 'detached' });
  const gone = await fetch(`${baseURL}/api/videos/${id}`);
  assert.equal(gone.status, 404);
  id = '';
});

test('an encrypted public upload plays in the browser', {
  skip: baseURL ? false : 'REEL_URL is not set (e.g. REEL_URL=http://127.0.0.1:8080)',
  timeout: READY_TIMEOUT + 120_000,
}, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL });
  let id = '';
  t.after(async () => {
    if (id) await fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {});
  });

  await page.goto('/');
  await page.getByLabel('Video files').setInputFiles(clip());
  const queued = page.locator('.queue-item').last();
  await queued.getByLabel('Audience').selectOption('public');
  await queued.getByLabel('Encrypt segments').check();
  const uploaded = page.waitForResponse((r) =>
    r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/');
  await queued.getByRole('button', { name: /^Upload/ }).click();
  const res = await uploaded;
  assert.equal(res.status(), 201);
  id = (res.headers().location || '').split('/').pop();

  const item = page.locator(`li[data-video-id="${id}"]`);
  await item.waitFor();
  await waitForReady(item, READY_TIMEOUT);
  const v = await (await fetch(`${baseURL}/api/videos/${id}`)).json();
  assert.equal(v.visibility, 'public');
  assert.equal(v.encrypted, true);

  // hls.js fetches the key under the signed prefix and decrypts every
  // segment; time advancing means the frames decoded.
  const key = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(`/${id}/enc.key`));
  await item.locator('a.title').click();
  await page.waitForURL(`**/#/v/${id}`);
  const video = page.locator('#player-video');
  await video.waitFor();
  await video.evaluate((el) => { el.muted = true; return el.play(); });
  assert.equal((await key).status(), 200);
  try {
    await page.waitForFunction(() => document.querySelector('#player-video').currentTime > 1, null, { timeout: PLAY_TIMEOUT });
  } catch (e) {
    const state = await video.evaluate((el) => ({
      currentTime: el.currentTime, readyState: el.readyState, error: el.error && el.error.message,
      pageError: document.querySelector('#player-error').textContent,
    }));
    assert.fail(`encrypted video did not play: ${JSON.stringify(state)}`);
  }
  assert.ok(await video.evaluate((el) => el.videoWidth > 0), 'no video frames');
});
