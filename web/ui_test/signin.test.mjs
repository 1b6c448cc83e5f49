// Browser test of the sign-in (web/static/signin.js): the open-mode banner
// on the shared reel (REEL_URL, started without keys), then, on a reel of
// its own started with an API key, a wrong key refused, signing in with
// the right one (an HttpOnly cookie the page's script cannot read),
// changing a video's visibility in the player view, and signing out.
// Needs bin/reel (scripts/browser-test.sh builds it) or
// REEL_BIN.
//
//   REEL_URL=http://127.0.0.1:8080 node --test web/ui_test/signin.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const baseURL = (process.env.REEL_URL || '').replace(/\/+$/, '');
const reelBin = process.env.REEL_BIN || path.join(root, 'bin', 'reel');
const executablePath = process.env.REEL_CHROMIUM || '/usr/bin/chromium';

function launch() {
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

// startReel runs reel serve with one uploader key on a temp data dir and
// returns its URL, the key and a stop function.
async function startReel() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-signin-'));
  execFileSync(reelBin, ['migrate', '--data', data], { encoding: 'utf8' }); // reel keys creates no database
  const out = execFileSync(reelBin, ['keys', 'create', '--data', data, '--name', 'ui', '--role', 'uploader'], { encoding: 'utf8' });
  const key = out.trim().split('\n').pop();
  const proc = spawn(reelBin, ['serve', '--data', data, '--addr', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  return { url, key, stop };
}

test('open mode shows a banner', {
  skip: baseURL ? false : 'REEL_URL is not set',
}, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL });
  await page.goto('/');
  const banner = page.locator('#open-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /reel keys create/);
  assert.equal(await page.locator('#signin form').count(), 0, 'a sign-in form in open mode');
});

test('sign in with an API key and out again', {
  skip: fs.existsSync(reelBin) ? false : `no reel binary at ${reelBin} (go build -o bin/reel ./cmd/reel)`,
  timeout: 120_000,
}, async (t) => {
  const reel = await startReel();
  t.after(reel.stop);
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: reel.url });
  await page.goto('/');

  const keyInput = page.getByLabel('API key');
  await keyInput.waitFor();
  assert.equal(await page.locator('#open-banner').isHidden(), true);

  // A wrong key is refused with the server's message, and no cookie.
  await keyInput.fill('not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const error = page.locator('#signin .error');
  await error.waitFor();
  assert.match(await error.textContent(), /unknown or revoked/);

  // The right key signs in; the page reloads as the key's user.
  await keyInput.fill(reel.key);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByText('Signed in as ui (uploader)').waitFor();
  const session = await page.evaluate(async () => (await fetch('/api/session')).json());
  assert.equal(session.signed_in, true);
  assert.equal(session.role, 'uploader');
  assert.doesNotMatch(await page.evaluate(() => document.cookie), /reel_session/, 'the session cookie is readable by scripts');
  const cookies = await page.context().cookies();
  const cookie = cookies.find((c) => c.name === 'reel_session');
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Lax', `cookie: ${JSON.stringify(cookie)}`);

  // The owner changes the visibility of a video in the player view. (A
  // non-video file is enough: the row exists, owned by the key.)
  const form = new FormData();
  form.append('visibility', 'private');
  form.append('file', new Blob(['not a video']), 'notes.txt');
  const up = await fetch(`${reel.url}/api/videos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${reel.key}` } });
  assert.equal(up.status, 201, await up.clone().text());
  const { id } = await up.json();
  await page.goto(`/#/v/${id}`);
  const select = page.getByLabel('Visibility');
  await select.waitFor();
  assert.equal(await select.inputValue(), 'private');
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await select.selectOption('public');
  assert.equal((await patched).status(), 200);
  const anon = await fetch(`${reel.url}/api/videos/${id}`);
  assert.equal((await anon.json()).visibility, 'public', 'anonymous GET after making it public');

  // Signing out ends the session on the server.
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign out' }).click()]);
  await page.getByLabel('API key').waitFor();
  const after = await fetch(`${reel.url}/api/session`, { headers: { Cookie: `reel_session=${cookie.value}` } });
  assert.equal((await after.json()).signed_in, false);
});
