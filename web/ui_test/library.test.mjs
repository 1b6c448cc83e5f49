// Browser tests of the upload queue, the library, the keys section and
// what a signed-out visitor sees (web/static/upload.js, app.js, keys.js),
// at 1280 and 390 px wide, in Debian's chromium. Each saves screenshots of
// what it checked into web/ui_test/screenshots/.
//
// - The upload queue (on the shared reel, REEL_URL, which runs open):
//   several files picked at once and one dropped, titles from the file
//   names, edited before and after; audience locked once started; two at
//   once while the third waits; progress, pause (no byte moves) and
//   resume, cancel (the video is gone); a link to each finished video;
//   and in the library, without reloading, the videos' live status up to
//   ready or failed, with the reason, Retry and Delete.
// - Search, filter, sort and pages that keep their place across reload
//   and Back (shared reel; titles with a token of their own).
// - Keys, and the signed-out visitor (a reel of their own with keys);
//   every asset fetched by its content hash.
//
//   REEL_URL=http://127.0.0.1:8080 REEL_DATA=./data node --test web/ui_test/library.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  contrastOf, launch, makeClip, makeNoise, noSidewaysScroll, reelBin, screenshot, startProxy, startReel, tempDir,
} from './helpers.mjs';

const baseURL = (process.env.REEL_URL || '').replace(/\/+$/, '');
const dataDir = process.env.REEL_DATA || '';
const WIDTHS = [1280, 390];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const token = () => Math.random().toString(36).slice(2, 8);

// upload stores a file through the form API (no transcode needed to list
// it) and answers the video.
async function upload(url, { title, body = 'not a video', visibility, key }) {
  const form = new FormData();
  form.append('title', title);
  if (visibility) form.append('visibility', visibility);
  form.append('file', new Blob([body]), `${title}.mp4`);
  const res = await fetch(`${url}/api/videos`, { method: 'POST', body: form, headers: key ? { Authorization: `Bearer ${key}` } : {} });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

const getVideo = async (url, id, key) =>
  fetch(`${url}/api/videos/${id}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });

// drop dispatches a drop of the files (name → bytes) on the selector, as
// a drag from the desktop does.
async function drop(page, selector, files) {
  const data = Object.entries(files).map(([name, buf]) => [name, buf.toString('base64')]);
  const dt = await page.evaluateHandle((data) => {
    const dt = new DataTransfer();
    for (const [name, b64] of data) {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], name, { type: 'video/mp4' }));
    }
    return dt;
  }, data);
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

test('the upload queue: pick several, drop one, pause, resume, cancel, live status', {
  skip: baseURL ? false : 'REEL_URL is not set',
  timeout: 600_000,
}, async (t) => {
  const dir = tempDir('reel-queue-');
  const tag = token();
  const a = makeClip(dir, `first ${tag}.mp4`);
  const b = makeClip(dir, `second ${tag}.mov`);
  const noise = makeNoise(dir, `noise ${tag}.mp4`, 6 << 20);
  const doomed = makeNoise(dir, `doomed ${tag}.mp4`, 6 << 20);
  // Through a proxy passing ~1 MB/s up, so the 6 MB files take long
  // enough to pause and cancel.
  const proxy = await startProxy(baseURL, { rate: 1e6 });
  t.after(() => proxy.close());
  const browser = await launch();
  t.after(() => browser.close());
  const created = [];
  t.after(async () => {
    for (const id of created) await fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {});
  });

  for (const width of WIDTHS) {
    const page = await browser.newPage({ baseURL: proxy.url, viewport: { width, height: 900 } });
    page.on('dialog', (d) => d.accept());
    const ids = {}; // file name → video id, from the tus creations
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/' && r.status() === 201) {
        const id = (r.headers().location || '').split('/').pop();
        const meta = r.request().headers()['upload-metadata'] || '';
        const name = meta.split(',').map((p) => p.trim().split(' ')).find(([k]) => k === 'filename');
        ids[Buffer.from(name[1], 'base64').toString()] = id;
        created.push(id);
      }
    });
    await page.goto('/');
    await page.locator('#upload-section').waitFor();

    // Two files picked at once, one dropped: three items, titled after
    // their files, ready, with nothing sent yet.
    await page.getByLabel('Video files').setInputFiles([a, b]);
    await drop(page, '#drop-zone', { [path.basename(noise)]: fs.readFileSync(noise) });
    const items = page.locator('.queue-item');
    await page.waitForFunction(() => document.querySelectorAll('.queue-item').length === 3);
    const item = (n) => items.nth(n);
    assert.deepEqual(await page.locator('.queue-item .q-title').evaluateAll((xs) => xs.map((x) => x.value)),
      [`first ${tag}`, `second ${tag}`, `noise ${tag}`]);
    assert.deepEqual(await items.evaluateAll((xs) => xs.map((x) => x.dataset.state)), ['ready', 'ready', 'ready']);
    assert.ok(await noSidewaysScroll(page), `the queue scrolls sideways at ${width} px`);

    // Options before the start: a new title, a description, an audience.
    await item(0).getByLabel('Title').fill(`First ${tag} edited`);
    await item(0).getByLabel('Description').fill('line one\nline two');
    await item(1).getByLabel('Audience').selectOption('public');
    await screenshot(page, `queue-${width}-ready`);

    // Upload all: two send at once, the third waits its turn; the
    // audience is locked from the start.
    await page.getByRole('button', { name: 'Upload all' }).click();
    await page.waitForFunction(() => document.querySelector('.queue-item:nth-child(3)').dataset.state === 'uploading', null, { timeout: 60_000 });
    assert.equal(await item(1).getByLabel('Audience').isDisabled(), true, 'the audience is editable mid-upload');
    await page.waitForFunction(() => [...document.querySelectorAll('.queue-item')].slice(0, 2).every((li) => li.dataset.state === 'done'),
      null, { timeout: 60_000 });
    for (const n of [0, 1]) {
      const id = await item(n).locator('.q-link').getAttribute('href');
      assert.match(id, /^#\/v\/[a-z2-7]{16}$/, 'no link to the finished video');
    }
    const first = await (await getVideo(baseURL, ids[path.basename(a)])).json();
    assert.equal(first.title, `First ${tag} edited`);
    assert.equal(first.description, 'line one\nline two');
    assert.equal((await (await getVideo(baseURL, ids[path.basename(b)])).json()).visibility, 'public');

    // The title changes after the upload too.
    await item(1).getByLabel('Title').fill(`Second ${tag} renamed`);
    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await item(1).getByLabel('Title').press('Tab');
    assert.equal((await patched).status(), 200);
    assert.equal((await (await getVideo(baseURL, ids[path.basename(b)])).json()).title, `Second ${tag} renamed`);

    // Pause the third mid-way: its progress shows speed and time left,
    // then stands still, and so does the server's offset; resume finishes
    // it from there.
    await page.waitForFunction(() => document.querySelector('.queue-item:nth-child(3) .q-progress').value >= 20, null, { timeout: 60_000 });
    assert.match(await item(2).locator('.q-status').textContent(), /\d+ % · [\d.]+ MB\/s · .* of .*( · \d+:\d\d left)?/);
    await item(2).getByRole('button', { name: /^Pause/ }).click();
    assert.equal(await item(2).getAttribute('data-state'), 'paused');
    await screenshot(page, `queue-${width}-paused`);
    const noiseID = ids[path.basename(noise)];
    const offset = async () => (await fetch(`${baseURL}/api/uploads/${noiseID}`, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })).headers.get('upload-offset');
    await sleep(500);
    const pausedAt = await item(2).locator('.q-progress').evaluate((p) => p.value);
    const offsetAt = await offset();
    await sleep(1500);
    assert.equal(await item(2).locator('.q-progress').evaluate((p) => p.value), pausedAt, 'the paused upload moved on');
    assert.equal(await offset(), offsetAt, 'the server received bytes while paused');
    assert.ok(Number(offsetAt) < (6 << 20), `offset while paused: ${offsetAt}`);
    await item(2).getByRole('button', { name: /^Resume/ }).click();
    await page.waitForFunction(() => document.querySelector('.queue-item:nth-child(3)').dataset.state === 'done', null, { timeout: 60_000 });
    if (dataDir) {
      const stored = path.join(dataDir, 'originals', noiseID, 'original');
      assert.ok(fs.readFileSync(stored).equals(fs.readFileSync(noise)), 'the resumed original differs from the file');
    }

    // Cancel one mid-way: its video is gone from the server.
    await page.getByLabel('Video files').setInputFiles(doomed);
    await item(3).getByRole('button', { name: /^Upload/ }).click();
    await page.waitForFunction(() => document.querySelector('.queue-item:nth-child(4) .q-progress').value >= 10, null, { timeout: 60_000 });
    await item(3).getByRole('button', { name: /^Cancel/ }).click();
    assert.equal(await item(3).getAttribute('data-state'), 'cancelled');
    const doomedID = ids[path.basename(doomed)];
    for (let i = 0; i < 50 && (await getVideo(baseURL, doomedID)).status !== 404; i++) await sleep(100);
    assert.equal((await getVideo(baseURL, doomedID)).status, 404, 'the cancelled video is still there');

    // The library follows every video without a reload: the clips become
    // ready, the noise fails with its reason, Retry and Delete at hand.
    const row = (file) => page.locator(`#videos li[data-video-id="${ids[path.basename(file)]}"]`);
    await page.waitForFunction((id) => {
      const li = document.querySelector(`#videos li[data-video-id="${id}"]`);
      return li && li.dataset.status === 'failed';
    }, noiseID, { timeout: 120_000 });
    const failed = row(noise);
    assert.notEqual((await failed.locator('.item-error').textContent()).trim(), '');
    assert.equal(await failed.getByRole('button', { name: /^Retry/ }).isVisible(), true);
    assert.equal(await failed.getByRole('button', { name: /^Delete/ }).isVisible(), true);
    await page.waitForFunction((id) => {
      const li = document.querySelector(`#videos li[data-video-id="${id}"]`);
      return li && li.dataset.status === 'ready';
    }, ids[path.basename(a)], { timeout: 240_000 });
    const ready = row(a);
    assert.match(await ready.locator('.duration').textContent(), /^\d+:\d\d$/);
    assert.equal(await ready.locator('.visibility').textContent(), 'unlisted');
    assert.equal(await row(b).locator('.visibility').textContent(), 'public');
    assert.notEqual(await ready.locator('.size').textContent(), '');
    assert.notEqual(await ready.locator('.date').textContent(), '');
    assert.ok(await noSidewaysScroll(page), `the library scrolls sideways at ${width} px`);
    await screenshot(page, `queue-${width}-library`);

    // Retry right there: the failed video is queued again (and fails
    // again, being noise).
    const retried = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/retry'));
    await failed.getByRole('button', { name: /^Retry/ }).click();
    assert.equal((await retried).status(), 202);
    await page.close();
  }
});

test('search, filter, sort and pages keep their place', {
  skip: baseURL ? false : 'REEL_URL is not set',
  timeout: 180_000,
}, async (t) => {
  const tag = `zq${token()}`;
  const titles = ['One', 'Two', 'Three', 'Four', 'Five'].map((n) => `${tag} ${n}`);
  const ids = [];
  for (const title of titles) ids.push((await upload(baseURL, { title })).id);
  const other = await upload(baseURL, { title: `other ${token()}` });
  t.after(async () => {
    for (const id of [...ids, other.id]) await fetch(`${baseURL}/api/videos/${id}`, { method: 'DELETE' }).catch(() => {});
  });
  // Not videos: they fail, quickly.
  for (const id of ids) {
    for (let i = 0; i < 600; i++) {
      const v = await (await getVideo(baseURL, id)).json();
      if (v.status === 'failed') break;
      await sleep(200);
    }
  }
  const browser = await launch();
  t.after(() => browser.close());
  const shown = (page) => page.locator('#videos li .title').allTextContents();

  for (const width of WIDTHS) {
    const page = await browser.newPage({ baseURL, viewport: { width, height: 900 } });
    // Two a page, to have pages.
    await page.goto('/#/?limit=2');
    await page.getByLabel('Search titles').fill(tag.toUpperCase()); // any case
    await page.waitForFunction((tag) => [...document.querySelectorAll('#videos li .title')].every((a) => a.textContent.startsWith(tag)) &&
      document.querySelectorAll('#videos li').length === 2, tag);
    assert.deepEqual(await shown(page), [titles[4], titles[3]]);
    assert.match(page.url(), new RegExp(`q=${tag.toUpperCase()}`));

    // Next page; a reload keeps it, and so does Previous after it.
    await page.getByRole('button', { name: /Next page/ }).click();
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[2]);
    assert.match(page.url(), /cursor=/);
    assert.equal(await page.locator('#videos-page').textContent(), 'Page 2');
    await page.reload();
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[2]);
    assert.deepEqual(await shown(page), [titles[2], titles[1]]);
    assert.equal(await page.getByLabel('Search titles').inputValue(), tag.toUpperCase());
    await screenshot(page, `search-${width}-page2`);
    // A video and back through "All videos": the same page of the search.
    await page.locator('#videos li .title').first().click();
    await page.locator('#player-view').waitFor();
    await page.getByRole('link', { name: /All videos/ }).click();
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[2]);
    assert.match(page.url(), /cursor=.*|q=.*cursor=/);
    assert.equal(await page.getByLabel('Search titles').inputValue(), tag.toUpperCase());
    await page.getByRole('button', { name: /Previous page/ }).click();
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[4]);
    // Back returns to page 2.
    await page.goBack();
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[2]);

    // Oldest first, from the first page.
    await page.getByLabel('Sort').selectOption('oldest');
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[0]);
    assert.deepEqual(await shown(page), [titles[0], titles[1]]);
    assert.doesNotMatch(page.url(), /cursor=/);

    // Status: none of them is ready; all failed.
    await page.getByLabel('Status').selectOption('ready');
    await page.locator('#videos-empty').waitFor();
    assert.equal(await page.locator('#videos-empty').textContent(), 'No videos match.');
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForFunction((t) => document.querySelector('#videos li .title')?.textContent === t, titles[0]);
    assert.ok(await noSidewaysScroll(page), `the library scrolls sideways at ${width} px`);
    await screenshot(page, `search-${width}-failed-oldest`);
    await page.close();
  }
});

test('an admin manages keys in the page; a signed-out visitor sees only public videos', {
  skip: fs.existsSync(reelBin) ? false : `no reel binary at ${reelBin} (go build -o bin/reel ./cmd/reel)`,
  timeout: 120_000,
}, async (t) => {
  const reel = await startReel({ boss: 'admin', ulla: 'uploader' });
  t.after(reel.stop);
  const pub = await upload(reel.url, { title: 'a public one', visibility: 'public', key: reel.keys.ulla });
  const unlisted = await upload(reel.url, { title: 'an unlisted one', visibility: 'unlisted', key: reel.keys.ulla });
  const bosses = await upload(reel.url, { title: "the admin's", visibility: 'public', key: reel.keys.boss });
  const browser = await launch();
  t.after(() => browser.close());

  for (const width of WIDTHS) {
    // Signed out: public videos and the sign-in; no upload queue, no
    // Retry or Delete, no keys.
    const anon = await browser.newPage({ baseURL: reel.url, viewport: { width, height: 900 } });
    await anon.goto('/');
    await anon.getByLabel('API key').waitFor();
    await anon.locator(`#videos li[data-video-id="${pub.id}"]`).waitFor();
    assert.equal(await anon.locator(`#videos li[data-video-id="${unlisted.id}"]`).count(), 0, 'an unlisted video is listed');
    assert.equal(await anon.locator('#upload-section').isHidden(), true, 'an upload form for a signed-out visitor');
    assert.equal(await anon.locator('#upload-file').isVisible(), false);
    assert.equal(await anon.getByRole('button', { name: /^(Delete|Retry)/ }).count(), 0);
    assert.equal(await anon.locator('#videos li button:visible').count(), 0, 'buttons a signed-out visitor cannot use');
    assert.equal(await anon.locator('#keys-section').count(), 0);
    assert.ok(await noSidewaysScroll(anon));
    await screenshot(anon, `signed-out-${width}`);
    await anon.context().close();
  }

  // The admin signs in; the keys section lists both keys.
  const context = await browser.newContext({ baseURL: reel.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  // Every script and stylesheet is fetched by its content hash (the
  // import map sends the modules' own imports there too).
  const assets = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/static/')) assets.push(r.url()); });
  await page.goto('/');
  await page.getByLabel('API key').fill(reel.keys.boss);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.locator('#keys-section').waitFor();
  await page.locator('#keys tr[data-name="ulla"]').waitFor();
  assert.match(await page.locator('#keys tr[data-name="ulla"]').textContent(), /uploader/);

  // Create a viewer key: its secret is shown once and works.
  await page.getByLabel('Name', { exact: true }).fill('ci viewer');
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.locator('#key-created code.secret').textContent()).trim();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  await page.locator('#keys tr[data-name="ci viewer"]').waitFor();
  assert.match(await page.locator('#keys tr[data-name="ci viewer"]').textContent(), /viewer.*never.*valid/);
  const seen = await fetch(`${reel.url}/api/videos/${unlisted.id}`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(seen.status, 200);
  const listed = await (await fetch(`${reel.url}/api/keys`, { headers: { Authorization: `Bearer ${reel.keys.boss}` } })).text();
  assert.doesNotMatch(listed, new RegExp(secret), 'GET /api/keys shows a secret');

  // Its last use shows after a reload; then revoke it.
  await page.reload();
  const row = page.locator('#keys tr[data-name="ci viewer"]');
  await row.waitFor();
  assert.doesNotMatch(await row.locator('td').nth(3).textContent(), /never/);
  await screenshot(page, 'keys-1280');
  assert.ok(assets.some((u) => u.includes('/static/session.js?v=')), `modules fetched: ${assets}`);
  assert.deepEqual(assets.filter((u) => !/\?v=[0-9a-f]{16}$/.test(u)), [], 'assets fetched without their hash');
  await row.getByRole('button', { name: 'Revoke ci viewer' }).click();
  await page.waitForFunction(() => /revoked/.test(document.querySelector('#keys tr[data-name="ci viewer"]')?.textContent || ''));
  assert.equal(await row.getByRole('button').count(), 0, 'a revoked key can be revoked again');
  const refused = await fetch(`${reel.url}/api/videos`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(refused.status, 401, 'the revoked key still works');

  // At 390 px the section fits.
  await page.setViewportSize({ width: 390, height: 900 });
  assert.ok(await noSidewaysScroll(page), 'the keys section scrolls the page sideways at 390 px');
  await screenshot(page, 'keys-390');

  // An uploader sees the queue, Delete on its own videos, and no keys.
  const up = await browser.newContext({ baseURL: reel.url, viewport: { width: 1280, height: 900 } });
  const upage = await up.newPage();
  await upage.goto('/');
  await upage.getByLabel('API key').fill(reel.keys.ulla);
  await Promise.all([upage.waitForEvent('load'), upage.getByRole('button', { name: 'Sign in' }).click()]);
  await upage.locator(`#videos li[data-video-id="${unlisted.id}"]`).waitFor();
  assert.equal(await upage.locator('#upload-section').isVisible(), true);
  assert.equal(await upage.locator(`#videos li[data-video-id="${unlisted.id}"] .delete`).isVisible(), true);
  // Another key's video: listed (public), but not the uploader's to delete or retry.
  const theirs = upage.locator(`#videos li[data-video-id="${bosses.id}"]`);
  await theirs.waitFor();
  assert.equal(await theirs.locator('button:visible').count(), 0, "Delete or Retry on another key's video");
  assert.equal(await upage.locator('#keys-section').count(), 0, 'keys for an uploader');
  const keys = await upage.evaluate(async () => (await fetch('/api/keys')).status);
  assert.equal(keys, 403);
  await up.close();
  await context.close();
});

test('contrast in both themes, and a focus order that follows the page', {
  skip: baseURL ? false : 'REEL_URL is not set',
  timeout: 120_000,
}, async (t) => {
  // A failed video, for its badges, reason and buttons.
  const v = await upload(baseURL, { title: `contrast ${token()}` });
  t.after(() => fetch(`${baseURL}/api/videos/${v.id}`, { method: 'DELETE' }).catch(() => {}));
  for (let i = 0; i < 600; i++) {
    if ((await (await getVideo(baseURL, v.id)).json()).status === 'failed') break;
    await sleep(200);
  }
  const browser = await launch();
  t.after(() => browser.close());
  const selectors = ['main h2', '#open-banner', '#upload-section p', '.drop-zone p', 'label[for="library-q"]',
    `#videos li[data-video-id="${v.id}"] .title`, `#videos li[data-video-id="${v.id}"] .badge.status`,
    `#videos li[data-video-id="${v.id}"] .badge.visibility`, `#videos li[data-video-id="${v.id}"] .size`,
    `#videos li[data-video-id="${v.id}"] .item-error`, `#videos li[data-video-id="${v.id}"] .retry`,
    `#videos li[data-video-id="${v.id}"] .delete`, '#keys-section .muted'];
  for (const colorScheme of ['light', 'dark']) {
    const page = await browser.newPage({ baseURL, colorScheme, viewport: { width: 1280, height: 900 } });
    await page.goto('/');
    await page.locator(`#videos li[data-video-id="${v.id}"] .retry`).waitFor();
    await page.locator('#keys-section').waitFor();
    const ratios = [];
    for (const sel of selectors) {
      const ratio = await page.locator(sel).first().evaluate(contrastOf);
      ratios.push(`${sel.replace(/#videos li\[[^\]]*\] /, '')} ${ratio.toFixed(1)}`);
      assert.ok(ratio >= 4.5, `${colorScheme}: ${sel} has contrast ${ratio.toFixed(2)}, want 4.5 or more`);
    }
    t.diagnostic(`${colorScheme}: ${ratios.join(', ')}`);
    await screenshot(page, `contrast-${colorScheme}`);

    // Tab order: sign-in area, the upload picker, then search, status,
    // sort, then the videos.
    if (colorScheme === 'light') {
      const order = [];
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.className));
      }
      const at = (id) => order.indexOf(id);
      assert.ok(at('upload-file') >= 0 && at('upload-file') < at('library-q') && at('library-q') < at('library-status') &&
        at('library-status') < at('library-order') && at('library-order') < order.indexOf('title'), `tab order: ${order}`);
    }
    await page.close();
  }
});

test('the queue waits out the server\'s upload rate limit', {
  skip: fs.existsSync(reelBin) ? false : `no reel binary at ${reelBin} (go build -o bin/reel ./cmd/reel)`,
  timeout: 120_000,
}, async (t) => {
  // One upload may start a second, none at once beyond it.
  const reel = await startReel({ uma: 'uploader' }, ['--upload-rate', '60', '--upload-burst', '1']);
  t.after(reel.stop);
  const dir = tempDir('reel-rate-');
  const files = ['a', 'b', 'c'].map((n) => makeClip(dir, `rate ${n}.mp4`));
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: reel.url, viewport: { width: 390, height: 900 } });
  const creations = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/') creations.push(r.status());
  });
  await page.goto('/');
  await page.getByLabel('API key').fill(reel.keys.uma);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByLabel('Video files').setInputFiles(files);
  await page.getByRole('button', { name: 'Upload all' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('.queue-item')].every((li) => li.dataset.state === 'done'),
    null, { timeout: 60_000 });
  await screenshot(page, 'rate-limited-390');
  t.diagnostic(`creations: ${creations.join(' ')}`);
  assert.ok(creations.includes(429), `no upload was rate limited: ${creations}`);
  assert.equal(creations.filter((s) => s === 201).length, 3, `creations: ${creations}`);
  assert.equal(await page.locator('.queue-item .q-error:visible').count(), 0);
  const { videos } = await (await fetch(`${reel.url}/api/videos`, { headers: { Authorization: `Bearer ${reel.keys.uma}` } })).json();
  assert.equal(videos.length, 3, 'each file arrived once');
});
