// Helpers of the browser tests (not a test file itself): launching
// Debian's chromium, starting a reel of a test's own with keys, making
// small clips with ffmpeg (lavfi), a throttling TCP proxy, and screenshots
// into web/ui_test/screenshots/ (gitignored) for a person to look at.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

// reelBin is the reel binary scripts/browser-test.sh builds, or REEL_BIN.
export const reelBin = process.env.REEL_BIN || path.join(root, 'bin', 'reel');

// launch starts Debian's chromium headless (never a downloaded browser).
export function launch() {
  return chromium.launch({
    executablePath: process.env.REEL_CHROMIUM || '/usr/bin/chromium',
    slowMo: Number(process.env.REEL_UI_SLOWMO || 0),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

// tempDir makes a folder removed when the process exits.
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// makeClip encodes a short small H.264 + AAC clip named name into dir.
export function makeClip(dir, name, seconds = 1) {
  const out = path.join(dir, name);
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=12:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '32k', '-shortest', out]);
  return out;
}

// makeNoise writes size random bytes named name into dir: a "video" that
// uploads like any file and fails to transcode.
export function makeNoise(dir, name, size) {
  const out = path.join(dir, name);
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) buf.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  fs.writeFileSync(out, buf);
  return out;
}

// startReel runs reel serve on a temp data dir with the keys named in
// keys ({name: role}), and args added to reel serve's, and returns its
// URL, the keys' secrets, the data dir and a stop function.
export async function startReel(keys = { admin: 'admin' }, args = []) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-ui-'));
  const secrets = {};
  // reel keys creates no database: reel migrate makes it first.
  execFileSync(reelBin, ['migrate', '--data', data], { encoding: 'utf8' });
  for (const [name, role] of Object.entries(keys)) {
    const out = execFileSync(reelBin, ['keys', 'create', '--data', data, '--name', name, '--role', role], { encoding: 'utf8' });
    secrets[name] = out.trim().split('\n').pop();
  }
  const proc = spawn(reelBin, ['serve', '--data', data, '--addr', '127.0.0.1:0', '--workers', '1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reel did not start:\n${log}`)), 30_000);
    proc.stderr.on('data', (b) => {
      log += b;
      const m = /addr=(http:\/\/[0-9.:]+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`reel exited ${code}:\n${log}`)); });
  });
  const stop = async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    fs.rmSync(data, { recursive: true, force: true });
  };
  return { url, keys: secrets, data, stop };
}

// screenshot saves the page as web/ui_test/screenshots/<name>.png.
export async function screenshot(page, name) {
  const dir = path.join(here, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

// noSidewaysScroll reports whether the page fits its viewport's width.
export const noSidewaysScroll = (page) =>
  page.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth);

// startProxy forwards TCP connections to target, passing bytes up at
// about `rate` bytes per second, so that an upload on loopback lasts long
// enough to be interrupted. Once, it cuts a connection after `cutAt` bytes
// went up in total, in the middle of whatever request is passing; drop()
// cuts every connection and refuses new ones until restore().
export async function startProxy(target, { cutAt = Infinity, rate = 20e6 } = {}) {
  const { hostname, port } = new URL(target);
  const state = { up: 0, cuts: 0, down: false };
  const sockets = new Set();
  const server = net.createServer((client) => {
    if (state.down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    upstream.on('error', close);
    client.on('error', close);
    upstream.on('close', close);
    client.on('close', close);
    upstream.pipe(client);
    client.on('data', (chunk) => {
      if (state.cuts === 0 && state.up + chunk.length >= cutAt) {
        upstream.write(chunk.subarray(0, cutAt - state.up));
        state.up = cutAt;
        state.cuts++;
        close();
        return;
      }
      state.up += chunk.length;
      upstream.write(chunk);
      client.pause();
      setTimeout(() => client.resume(), (chunk.length / rate) * 1000);
    });
    client.on('end', () => upstream.end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.drop = () => {
    state.down = true;
    for (const s of sockets) s.destroy();
  };
  state.restore = () => { state.down = false; };
  state.close = () => {
    state.drop();
    return new Promise((resolve) => server.close(resolve));
  };
  return state;
}

// contrastOf is the WCAG contrast ratio of an element's text against the
// first opaque background behind it (run in the page: locator.evaluate(contrastOf)).
export function contrastOf(el) {
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let bg = null;
  for (let n = el; n && !bg; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
  }
  bg = bg || rgb(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
  const fg = rgb(getComputedStyle(el).color).slice(0, 3);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

// waitReady polls the video id on the reel at base (with key, if any)
// until it is ready and returns it; a failed video or timeout ms without
// ready fails the test.
export async function waitReady(base, id, { key = '', timeout = 240_000 } = {}) {
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  for (const deadline = Date.now() + timeout; Date.now() < deadline;) {
    const v = await (await fetch(`${base}/api/videos/${id}`, { headers })).json();
    if (v.status === 'ready') return v;
    assert.notEqual(v.status, 'failed', v.error);
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`not ready after ${timeout / 1000} s`);
}
