// Browser test of a split video: reel cuts a 36 s clip into six pieces
// (--split-above 10s --chunk-duration 6s), encodes them as separate jobs
// and stitches them; hls.js in Chromium plays across a join and seeks into
// the second and the last piece, in the clear and encrypted. It starts a
// reel of its own with those flags (the binary bin/reel that
// scripts/browser-test.sh builds, or REEL_BIN).
//
//   REEL_URL=... node --test web/ui_test/     (REEL_URL only enables it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { waitReady } from './helpers.mjs';

const enabled = Boolean(process.env.REEL_URL);
const executablePath = process.env.REEL_CHROMIUM || '/usr/bin/chromium';
const bin = process.env.REEL_BIN || path.resolve('bin/reel');
const CHUNK = 6; // seconds: one segment per piece

// startReel runs reel serve with small split flags on a temp data folder
// and resolves to its base URL.
function startReel(t) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-split-'));
  const child = spawn(bin, ['serve', '--data', data, '--addr', '127.0.0.1:0',
    '--split-above', '10s', '--chunk-duration', `${CHUNK}s`, '--workers', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  t.after(() => {
    child.kill();
    fs.rmSync(data, { recursive: true, force: true });
  });
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      log += b;
      const m = log.match(/addr=(http:\/\/[0-9.:]+)/);
      if (m) resolve({ url: m[1], log: () => log });
    });
    child.on('exit', (code) => reject(new Error(`reel exited ${code}:\n${log}`)));
  });
}

function makeClip() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-ui-split-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'split.mp4');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:beep_factor=4',
    '-t', '36', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '64k', out]);
  return out;
}

async function upload(base, file, encrypt) {
  const form = new FormData();
  form.append('title', 'split');
  if (encrypt) form.append('encrypt', 'true');
  form.append('file', new Blob([fs.readFileSync(file)]), 'split.mp4');
  const res = await fetch(`${base}/api/videos`, { method: 'POST', body: form });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  return JSON.parse(body).id;
}


// playsFrom seeks to at seconds and waits until playback has run a
// second and a half past it, with frames decoded all along.
async function playsFrom(page, at) {
  const video = page.locator('#player-video');
  const before = await video.evaluate((v, at) => {
    v.currentTime = at;
    return v.getVideoPlaybackQuality().totalVideoFrames;
  }, at);
  try {
    await page.waitForFunction((at) => {
      const v = document.querySelector('#player-video');
      return !v.seeking && v.currentTime > at + 1.5;
    }, at, { timeout: 30_000 });
  } catch (e) {
    const state = await video.evaluate((v) => ({
      currentTime: v.currentTime, readyState: v.readyState, seeking: v.seeking,
      error: v.error && v.error.message, pageError: document.querySelector('#player-error').textContent,
    }));
    assert.fail(`no playback from ${at} s: ${JSON.stringify(state)}`);
  }
  const after = await video.evaluate((v) => v.getVideoPlaybackQuality().totalVideoFrames);
  assert.ok(after > before, `no frames decoded after seeking to ${at} s`);
}

for (const encrypt of [false, true]) {
  test(`hls.js plays a split video across its joins${encrypt ? ', encrypted' : ''}`, {
    skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
    timeout: 300_000,
  }, async (t) => {
    assert.ok(fs.existsSync(bin), `no reel binary at ${bin} (go build -o bin/reel ./cmd/reel)`);
    const reel = await startReel(t);
    const id = await upload(reel.url, makeClip(), encrypt);
    const v = await waitReady(reel.url, id, { timeout: 180_000 });
    assert.equal(v.chunks, 6);
    assert.equal(v.encrypted, encrypt);

    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    t.after(() => browser.close());
    const page = await browser.newPage({ baseURL: reel.url });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`/#/v/${id}`);
    const video = page.locator('#player-video');
    await video.waitFor();
    await video.evaluate((el) => { el.muted = true; return el.play(); });
    assert.equal(await video.evaluate((el) => el.dataset.engine), 'hls.js');

    // Across the first join (at 6 s): from 4.5 s to past 7.5 s.
    await playsFrom(page, CHUNK - 1.5);
    // Into the second piece, and the last.
    await playsFrom(page, CHUNK + 2);
    await playsFrom(page, 5 * CHUNK + 1);
    assert.ok(await video.evaluate((el) => el.videoWidth > 0), 'no video frames');
    assert.equal(await page.locator('#player-error').isHidden(), true);
    assert.deepEqual(errors, []);
  });
}
