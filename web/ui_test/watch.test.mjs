// Browser tests of the watch page, the poster choice and the embed page,
// at 1280 and 390 px wide, in Debian's chromium through playwright-core,
// against a running reel (REEL_URL, as scripts/browser-test.sh starts it).
// Each test saves screenshots of what it checked in
// web/ui_test/screenshots/ (gitignored), for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { contrastOf } from './helpers.mjs';

const baseURL = (process.env.REEL_URL || '').replace(/\/+$/, '');
const executablePath = process.env.REEL_CHROMIUM || '/usr/bin/chromium';
const skip = baseURL ? false : 'REEL_URL is not set (e.g. REEL_URL=http://127.0.0.1:8080)';
const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
fs.mkdirSync(shots, { recursive: true });

const READY_TIMEOUT = 180_000;
const PLAY_TIMEOUT = 30_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-watch-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// ffmpeg makes the test's media with lavfi: a 12 s 854x480 clip (two
// rungs, so a quality menu) and a PNG picture.
function ffmpeg(...args) {
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
}
function makeClip() {
  const out = path.join(tmp, 'clip.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=24', '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000',
    '-t', '12', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', out);
  return out;
}
function makePNG() {
  const out = path.join(tmp, 'cover.png');
  ffmpeg('-f', 'lavfi', '-i', 'color=c=0x2f5bd3:size=640x360,drawbox=x=100:y=80:w=200:h=120:color=yellow:t=fill', '-frames:v', '1', out);
  return out;
}

function launch() {
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

// upload sends a file through the API (the form has its own tests) and
// returns the video's id.
async function upload(file, title, visibility = 'unlisted') {
  const form = new FormData();
  form.append('title', title);
  form.append('visibility', visibility);
  form.append('file', new Blob([fs.readFileSync(file)], { type: 'video/mp4' }), path.basename(file));
  const res = await fetch(`${baseURL}/api/videos`, { method: 'POST', body: form });
  const body = await res.text();
  assert.equal(res.status, 201, `upload: ${res.status} ${body}`);
  return JSON.parse(body).id;
}

async function getVideo(id) {
  return (await fetch(`${baseURL}/api/videos/${id}`)).json();
}

async function waitReady(id) {
  const deadline = Date.now() + READY_TIMEOUT;
  for (;;) {
    const v = await getVideo(id);
    if (v.status === 'ready') return v;
    assert.notEqual(v.status, 'failed', `transcode failed: ${v.error}`);
    assert.ok(Date.now() < deadline, `not ready after ${READY_TIMEOUT / 1000} s: ${v.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// watchLog keeps what the page says about itself, for failure messages.
function watchLog(t, page) {
  const log = [];
  page.on('console', (m) => { if (m.type() === 'error') log.push(`console.error: ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  t.after(() => { if (log.length) t.diagnostic(log.join('\n')); });
  return log;
}

async function playing(page, video) {
  await video.evaluate((v) => { v.muted = true; return v.play(); });
  await page.waitForFunction((v) => v.currentTime > 0.5 && !v.paused, await video.elementHandle(), { timeout: PLAY_TIMEOUT });
}

async function noSideScroll(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: the page scrolls sideways (${scroll} > ${client} px)`);
}

let clip = '';
const clipPath = () => (clip ||= makeClip());

test('watch page: updates in place, quality, shortcuts, storyboard, edit, at 1280 and 390 px', { skip, timeout: READY_TIMEOUT + 180_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const id = await upload(clipPath(), `watch test ${Date.now()}`);
  t.after(() => fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {}));

  // Opened while the video is still being transcoded: the page fills in
  // without a reload (the marker set on window survives).
  const page = await browser.newPage({ baseURL, viewport: { width: 1280, height: 900 } });
  watchLog(t, page);
  await page.goto(`/#/v/${id}`);
  await page.evaluate(() => { window.reelMarker = 'same page'; });
  await waitReady(id);
  await page.locator('#player-renditions tr').nth(2).waitFor({ timeout: 30_000 }); // 480p, 360p, audio
  await page.locator('#player-poster').waitFor();
  assert.equal(await page.evaluate(() => window.reelMarker), 'same page', 'the page reloaded');
  const video = page.locator('#player-video');
  await page.waitForFunction(() => document.querySelector('#player-video').poster.includes('/poster'));
  assert.equal(await page.locator('#player-video').evaluate((v) => v.controls), false, 'native controls shown');

  await playing(page, video);
  // The player learnt the whole length once the finished playlists replaced
  // the growing ones it started on.
  await page.waitForFunction(() => document.querySelector('#player-video').duration > 11.5, null, { timeout: PLAY_TIMEOUT });
  assert.match(await page.locator('#player-level').textContent(), /\(auto\)$/);
  await page.screenshot({ path: path.join(shots, 'watch-1280-playing.png') });

  // Quality: a fixed level is named as such, never "(auto)".
  const quality = page.getByLabel('Quality', { exact: true });
  assert.equal(await quality.isVisible(), true, 'no quality menu in the controls');
  const options = await quality.locator('option').allTextContents();
  assert.equal(options[0], 'Auto');
  const low = options.findIndex((o) => o.startsWith('360p'));
  assert.ok(low > 0, `no 360p level in ${options}`);
  await quality.selectOption(String(low - 1));
  await page.waitForFunction(() => /^360p · 640×360/.test(document.querySelector('#player-level').textContent), null, { timeout: PLAY_TIMEOUT });
  assert.doesNotMatch(await page.locator('#player-level').textContent(), /auto/i);
  // No subtitle renditions: no captions menu.
  assert.equal(await page.getByLabel('Captions', { exact: true }).isVisible(), false);
  await page.screenshot({ path: path.join(shots, 'watch-1280-quality.png') });

  // Keyboard shortcuts, from the page (not a field).
  await page.locator('#player-title').click();
  const state = () => video.evaluate((v) => ({ paused: v.paused, t: v.currentTime, muted: v.muted }));
  await page.keyboard.press('k');
  assert.equal((await state()).paused, true, 'k did not pause');
  await page.keyboard.press(' ');
  assert.equal((await state()).paused, false, 'space did not play');
  await page.keyboard.press('k');
  await video.evaluate((v) => { v.currentTime = 1; });
  // Each key moves the playhead by its step: l +10 s, j -10 s, arrows 5 s.
  for (const [key, want] of [['l', 11], ['j', 1], ['ArrowRight', 6], ['ArrowLeft', 1]]) {
    await page.keyboard.press(key);
    const now = (await state()).t;
    assert.ok(Math.abs(now - want) < 0.6, `${key}: at ${now} s, want ${want}`);
  }
  const muted = (await state()).muted;
  await page.keyboard.press('m');
  assert.equal((await state()).muted, !muted, 'm did not toggle mute');
  await page.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement && document.fullscreenElement.classList.contains('player'));
  await page.screenshot({ path: path.join(shots, 'watch-1280-fullscreen.png') });
  await page.keyboard.press('f');
  await page.waitForFunction(() => !document.fullscreenElement);

  // Typing in a field types; it does not drive the player.
  await page.getByRole('button', { name: 'Edit' }).click();
  const editForm = page.locator('#player-edit-form');
  const titleField = editForm.getByLabel('Title', { exact: true });
  await titleField.fill('');
  const before = await state();
  await titleField.pressSequentially('kjlm f');
  assert.deepEqual(await state(), before, 'keys typed in a field drove the player');
  assert.equal(await titleField.inputValue(), 'kjlm f');

  // Edit inline: the title, and the visibility beside it.
  const newTitle = `renamed <i>${Date.now()}</i>`;
  await titleField.fill(newTitle);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction((want) => document.querySelector('#player-title').textContent === want, newTitle);
  assert.equal(await page.locator('#player-edit-form').isHidden(), true);
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.locator('#visibility-select').selectOption('public');
  assert.equal((await patched).status(), 200);
  const saved = await getVideo(id);
  assert.equal(saved.title, newTitle);
  assert.equal(saved.visibility, 'public');

  // Storyboard previews on the player's own seek bar.
  const seek = page.getByRole('slider', { name: 'Seek' });
  await seek.scrollIntoViewIfNeeded();
  const box = await seek.boundingBox();
  await seek.hover({ position: { x: box.width * 0.6, y: box.height / 2 } });
  const preview = page.locator('.seek-preview');
  await preview.waitFor();
  await page.waitForFunction(() => /storyboard_\d+\.jpg/.test(document.querySelector('.seek-thumb').style.backgroundImage));
  const at = Number(await preview.getAttribute('data-time'));
  assert.ok(at > 5 && at < 9, `preview of ${at} s at 60 % of 12 s`);
  const sheet = (await page.locator('.seek-thumb').evaluate((e) => e.style.backgroundImage)).match(/url\("(.*)"\)/)[1];
  const sheetRes = await fetch(sheet);
  assert.equal(sheetRes.status, 200);
  assert.equal(sheetRes.headers.get('content-type'), 'image/jpeg');
  await page.screenshot({ path: path.join(shots, 'watch-1280-storyboard.png') });
  await noSideScroll(page, '1280 px');

  // Share: the link and the embed code.
  const share = page.locator('#player-share');
  assert.equal(await share.getByLabel('Link', { exact: true }).inputValue(), `${baseURL}/#/v/${id}`);
  assert.match(await share.getByLabel('Embed', { exact: true }).inputValue(), new RegExp(`<iframe src="${baseURL}/embed/${id}"`));

  // The same page at 390 px: nothing scrolls sideways; the controls fit.
  const narrow = await browser.newPage({ baseURL, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  watchLog(t, narrow);
  await narrow.goto(`/#/v/${id}`);
  await narrow.locator('#player-renditions tr').first().waitFor();
  await narrow.locator('#player-poster').waitFor();
  await narrow.locator('.poster-pick').first().waitFor();
  await noSideScroll(narrow, '390 px');
  for (const name of ['Play', 'Mute', 'Full screen']) {
    const b = narrow.getByRole('button', { name, exact: true });
    const bb = await b.boundingBox();
    assert.ok(bb && bb.x >= 0 && bb.x + bb.width <= 390, `${name} button off screen at 390 px: ${JSON.stringify(bb)}`);
  }
  await narrow.screenshot({ path: path.join(shots, 'watch-390.png'), fullPage: true });
});

test('poster: choose a storyboard frame, then upload a picture', { skip, timeout: READY_TIMEOUT + 120_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const id = await upload(clipPath(), `poster test ${Date.now()}`);
  t.after(() => fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {}));
  const first = (await waitReady(id)).playback.poster_url;
  const page = await browser.newPage({ baseURL, viewport: { width: 1280, height: 1000 } });
  watchLog(t, page);
  await page.goto(`/#/v/${id}`);
  const picks = page.locator('.poster-pick');
  await picks.nth(3).waitFor();
  await page.screenshot({ path: path.join(shots, 'poster-1280-choices.png'), fullPage: true });

  // A frame of the storyboard: the server takes it from the original.
  const pick = picks.nth(3);
  const label = await pick.getAttribute('aria-label');
  assert.match(label, /^Use the frame at \d+:\d\d as the poster$/);
  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/videos/${id}/poster`));
  await pick.click();
  assert.equal((await put).status(), 200);
  await page.waitForFunction(() => document.querySelector('#poster-status').textContent === 'Poster changed.');
  const second = (await getVideo(id)).playback.poster_url;
  assert.match(new URL(second).pathname, /\/poster-[a-z2-7]+\.jpg$/);
  assert.notEqual(new URL(second).pathname, new URL(first).pathname);
  const img = await fetch(second);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/jpeg');
  // The player shows the new poster at once (the file; the token in
  // front of it names its expiry, a second later in a later answer).
  const file = (url) => new URL(url).pathname.split('/').slice(3).join('/');
  assert.equal(file(await page.locator('#player-video').evaluate((v) => v.poster)), file(second));

  // A picture of the owner's.
  const put2 = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/videos/${id}/poster`));
  await page.getByLabel(/Upload a picture/).setInputFiles(makePNG());
  assert.equal((await put2).status(), 200);
  await page.waitForFunction((old) => {
    const img = document.querySelector('#poster-current');
    return !img.src.includes(old) && img.complete && img.naturalWidth === 640;
  }, new URL(second).pathname);
  await page.screenshot({ path: path.join(shots, 'poster-1280-uploaded.png'), fullPage: true });

  // Not a picture: refused, said, nothing changed.
  const notPicture = path.join(tmp, 'notes.png');
  fs.writeFileSync(notPicture, 'not a picture');
  const put3 = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/videos/${id}/poster`));
  await page.getByLabel(/Upload a picture/).setInputFiles(notPicture);
  assert.equal((await put3).status(), 400);
  await page.waitForFunction(() => /not a JPEG or PNG/.test(document.querySelector('#poster-status').textContent));
  assert.equal(await page.locator('#poster-status').getAttribute('class'), 'error');
});

test('embed page plays inside an iframe of another origin; other pages refuse framing', { skip, timeout: READY_TIMEOUT + 120_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const id = await upload(clipPath(), `embed test ${Date.now()}`, 'unlisted');
  const priv = await upload(clipPath(), `private ${Date.now()}`, 'private');
  t.after(() => Promise.all([id, priv].map((v) => fetch(`${baseURL}/api/videos/${v}`, { method: 'DELETE' }).catch(() => {}))));
  await waitReady(id);

  // Another site: localhost (reel is at 127.0.0.1) on a port of its own.
  const site = http.createServer((req, res) => {
    const src = new URL(req.url, 'http://x').searchParams.get('src');
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><title>a blog</title><h1>A blog post</h1>
<iframe src="${src}" width="640" height="360" allow="fullscreen" allowfullscreen></iframe>`);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  t.after(() => site.close());
  const siteURL = `http://localhost:${site.address().port}/`;

  for (const width of [1280, 390]) {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    watchLog(t, page);
    await page.goto(`${siteURL}?src=${encodeURIComponent(`${baseURL}/embed/${id}`)}`);
    const frame = page.frameLocator('iframe');
    const v = frame.locator('video');
    await v.waitFor();
    await v.evaluate((e) => { e.muted = true; return e.play(); });
    await v.evaluate((e) => new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => (e.currentTime > 1 ? resolve() : Date.now() - t0 > 30000 ? reject(new Error(`stuck at ${e.currentTime}`)) : setTimeout(tick, 100));
      tick();
    }));
    assert.ok(await v.evaluate((e) => e.videoWidth > 0 && e.poster.includes('/poster')), 'no frames or poster in the embed');
    assert.equal(await frame.getByLabel('Quality', { exact: true }).isVisible(), true, 'no quality menu in the embed');
    assert.equal(await frame.getByRole('button', { name: 'Full screen' }).isVisible(), true);
    // Nothing but the player: no header, no upload form.
    assert.equal(await frame.locator('header, form, #list-view').count(), 0);
    await page.screenshot({ path: path.join(shots, `embed-${width}.png`) });
    await page.close();
  }

  // A private video is not embedded; the watch page itself cannot be framed.
  const page = await browser.newPage();
  await page.goto(`${siteURL}?src=${encodeURIComponent(`${baseURL}/embed/${priv}`)}`);
  await page.frameLocator('iframe').getByRole('heading', { name: 'Video not found' }).waitFor();
  assert.equal((await fetch(`${baseURL}/embed/${priv}`)).status, 404);
  await page.screenshot({ path: path.join(shots, 'embed-private.png') });

  await page.goto(`${siteURL}?src=${encodeURIComponent(`${baseURL}/#/v/${id}`)}`, { waitUntil: 'load' });
  const child = page.frames().find((f) => f !== page.mainFrame());
  assert.ok(child, 'no iframe');
  // Chromium replaces a refused frame with its error page.
  await page.waitForFunction(() => true);
  assert.match(child.url(), /^chrome-error:/, `the watch page loaded in another site's frame: ${child.url()}`);
  await page.screenshot({ path: path.join(shots, 'embed-page-refused.png') });
});

test('a failed video: its reason, Retry and Delete on the watch page', { skip, timeout: 120_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  // Not a video: the transcode fails for good.
  const junk = path.join(tmp, 'notes.mp4');
  fs.writeFileSync(junk, 'these are notes, not a video\n'.repeat(50));
  const id = await upload(junk, `failing ${Date.now()}`);
  t.after(() => fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {}));
  const deadline = Date.now() + 60_000;
  while ((await getVideo(id)).status !== 'failed') {
    assert.ok(Date.now() < deadline, 'the junk upload did not fail');
    await new Promise((r) => setTimeout(r, 300));
  }

  for (const width of [1280, 390]) {
    const page = await browser.newPage({ baseURL, viewport: { width, height: 800 } });
    watchLog(t, page);
    await page.goto(`/#/v/${id}`);
    await page.locator('#player-error').waitFor();
    assert.match(await page.locator('#player-error').textContent(), /\w/);
    assert.equal(await page.getByRole('button', { name: 'Retry' }).isVisible(), true);
    await noSideScroll(page, `failed video at ${width} px`);
    await page.screenshot({ path: path.join(shots, `watch-${width}-failed.png`) });
    await page.close();
  }

  const page = await browser.newPage({ baseURL });
  await page.goto(`/#/v/${id}`);
  const retried = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/videos/${id}/retry`));
  await page.getByRole('button', { name: 'Retry' }).click();
  assert.equal((await retried).status(), 202);
  page.once('dialog', (d) => d.accept());
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/videos/${id}`));
  await page.getByRole('button', { name: 'Delete' }).click();
  assert.equal((await deleted).status(), 204);
  await page.waitForURL((u) => !u.hash.startsWith('#/v/'));
  assert.equal((await fetch(`${baseURL}/api/videos/${id}`)).status, 404);
});

test('watch page: contrast in both themes, labelled controls, a focus order that follows the page', { skip, timeout: READY_TIMEOUT + 60_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const id = await upload(clipPath(), `a11y ${Date.now()}`);
  t.after(() => fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {}));
  await waitReady(id);
  const selectors = ['#player-title', '#player-meta', '.level-line', '#player-renditions td', '.player-time',
    '.player-quality', '#share-heading', '.share-row label', '#share-copy', '#player-edit', '#player-delete',
    '#poster-heading', '#poster-frame', '.poster-pick span:last-child'];
  for (const colorScheme of ['light', 'dark']) {
    const page = await browser.newPage({ baseURL, colorScheme, viewport: { width: 1280, height: 900 } });
    watchLog(t, page);
    await page.goto(`/#/v/${id}`);
    await page.locator('.poster-pick').first().waitFor();
    await page.locator('#player-level[data-level]').waitFor({ state: 'attached' });
    const ratios = [];
    for (const sel of selectors) {
      const ratio = await page.locator(sel).first().evaluate(contrastOf);
      ratios.push(`${sel} ${ratio.toFixed(1)}`);
      assert.ok(ratio >= 4.5, `${colorScheme}: ${sel} has contrast ${ratio.toFixed(2)}, want 4.5 or more`);
    }
    t.diagnostic(`${colorScheme}: ${ratios.join(', ')}`);
    await page.screenshot({ path: path.join(shots, `watch-contrast-${colorScheme}.png`), fullPage: true });

    if (colorScheme === 'light') {
      // Every control of the player has a name.
      for (const name of ['Play', 'Seek', 'Mute', 'Quality', 'Full screen']) {
        assert.equal(await page.getByRole(name === 'Seek' ? 'slider' : name === 'Quality' ? 'combobox' : 'button', { name, exact: true }).count(), 1, `no control named ${name}`);
      }
      // Tab from the back link walks the page top to bottom: the owner's
      // tools, the player's controls, share, poster.
      await page.locator('a.back').focus();
      const order = [];
      for (let i = 0; i < 16; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => {
          const a = document.activeElement;
          return a.id || a.getAttribute('aria-label') || a.className;
        }));
      }
      const want = ['player-edit', 'player-delete', 'Play', 'Seek', 'Mute', 'Quality', 'Full screen',
        'share-link', 'share-copy', 'share-embed', 'share-embed-copy', 'poster-frame', 'poster-file'];
      const at = want.map((w) => order.indexOf(w));
      assert.ok(at.every((n, i) => n >= 0 && (i === 0 || n > at[i - 1])), `tab order: ${order.join(', ')}`);
    }
    await page.close();
  }
});

test('captions menu: lists the subtitle renditions and shows the chosen one', { skip, timeout: READY_TIMEOUT + 60_000 }, async (t) => {
  const srt = path.join(tmp, 'subs.srt');
  fs.writeFileSync(srt, '1\n00:00:00,500 --> 00:00:05,000\nHello from the captions\n\n2\n00:00:05,500 --> 00:00:11,000\nSecond line\n');
  const clipWithSubs = path.join(tmp, 'subs.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=24', '-i', srt, '-t', '12', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng', clipWithSubs);
  const browser = await launch();
  t.after(() => browser.close());
  const id = await upload(clipWithSubs, `captions ${Date.now()}`);
  t.after(() => fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {}));
  await waitReady(id);
  const page = await browser.newPage({ baseURL, viewport: { width: 1280, height: 900 } });
  watchLog(t, page);
  await page.goto(`/#/v/${id}`);
  const captions = page.getByLabel('Captions', { exact: true });
  await captions.waitFor();
  assert.deepEqual(await captions.locator('option').allTextContents(), ['Captions off', 'English']);
  await playing(page, page.locator('#player-video'));
  await captions.selectOption({ label: 'English' });
  await page.waitForFunction(() => [...document.querySelector('#player-video').textTracks]
    .some((tt) => tt.mode === 'showing' && tt.activeCues && [...tt.activeCues].some((c) => /captions|Second line/.test(c.text))), null, { timeout: PLAY_TIMEOUT });
  await page.screenshot({ path: path.join(shots, 'watch-1280-captions.png') });
  await captions.selectOption({ label: 'Captions off' });
  await page.waitForFunction(() => ![...document.querySelector('#player-video').textTracks].some((tt) => tt.mode === 'showing'));
});
