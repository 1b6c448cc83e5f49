// Browser test of a video's own options and its downloads: on a reel of
// its own whose defaults are H.264 alone and no downloads, the page's
// upload form, under Options, asks for HEVC variants and downloads; the
// tus upload carries them, the video's master has an HEVC variant, and the
// watch page's Download and Download audio links fetch attachments (an
// MP4 and an M4A named after the title). A video uploaded without the
// options has neither link.
//
//   REEL_URL=... node --test web/ui_test/     (REEL_URL only enables it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, makeClip, screenshot, startReel, tempDir, waitReady } from './helpers.mjs';

const enabled = Boolean(process.env.REEL_URL);

test('the upload form asks for HEVC and downloads; the watch page downloads the files', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 400_000,
}, async (t) => {
  // No keys: reel runs open on loopback, every request acts as admin.
  const reel = await startReel({});
  t.after(() => reel.stop());
  const dir = tempDir('reel-ui-downloads-');
  const clip = makeClip(dir, 'options.mp4', 3);
  const title = 'Options “take 1”';

  const browser = await launch();
  t.after(() => browser.close());
  const context = await browser.newContext({ baseURL: reel.url, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');

  await page.getByLabel('Video files').setInputFiles(clip);
  const queued = page.locator('.queue-item').last();
  await queued.getByLabel('Title').fill(title);
  // The options are folded away until asked for.
  assert.equal(await queued.getByLabel(/HEVC/).isVisible(), false);
  await queued.locator('.q-options summary').click();
  await queued.getByLabel(/HEVC/).check();
  await queued.getByLabel(/downloads/i).check();
  await screenshot(page, 'downloads-upload-options');
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/');
  await queued.getByRole('button', { name: /^Upload/ }).click();
  const res = await created;
  assert.equal(res.status(), 201, await res.text());
  const meta = Object.fromEntries((res.request().headers()['upload-metadata'] || '').split(',').map((kv) => {
    const [k, v = ''] = kv.trim().split(' ');
    return [k, Buffer.from(v, 'base64').toString()];
  }));
  assert.equal(meta.codecs, 'h264,hevc');
  assert.equal(meta.downloads, 'true');
  // Locked once started.
  assert.equal(await queued.getByLabel(/HEVC/).isDisabled(), true);
  const id = (res.headers().location || '').split('/').pop();

  const v = await waitReady(reel.url, id);
  assert.equal(v.codecs, 'h264,hevc');
  assert.equal(v.downloads, true);
  const master = await (await fetch(v.playback.url)).text();
  assert.match(master, /CODECS="hvc1\./, master);
  assert.ok(v.playback.download_url && v.playback.audio_download_url, JSON.stringify(v.playback));

  // The watch page offers both downloads; each fetches an attachment.
  await page.goto(`/#/v/${id}`);
  const link = page.getByRole('link', { name: 'Download', exact: true });
  await link.waitFor();
  const audio = page.getByRole('link', { name: 'Download audio' });
  assert.equal(await audio.isVisible(), true);
  await screenshot(page, 'downloads-watch');
  for (const [a, ext, brand] of [[link, '.mp4', 'video'], [audio, '.m4a', 'audio']]) {
    const href = await a.getAttribute('href');
    const head = await fetch(new URL(href, reel.url), { method: 'HEAD' });
    assert.equal(head.status, 200, href);
    assert.match(head.headers.get('content-disposition') || '', /^attachment; /);
    assert.equal(head.headers.get('content-type'), `${brand}/mp4`);
    const [download] = await Promise.all([page.waitForEvent('download'), a.click()]);
    assert.equal(download.suggestedFilename(), `Options “take 1”${ext}`);
    const file = await download.path();
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.subarray(4, 8).toString(), 'ftyp', `${ext} is no MP4`);
    assert.ok(bytes.length > 1000, `${ext}: ${bytes.length} bytes`);
  }

  // Without the options: no HEVC, no downloads, no links.
  const form = new FormData();
  form.append('title', 'plain');
  form.append('file', new Blob([fs.readFileSync(clip)]), 'plain.mp4');
  const plainRes = await fetch(`${reel.url}/api/videos`, { method: 'POST', body: form });
  const body = await plainRes.text();
  assert.equal(plainRes.status, 201, body);
  const plain = await waitReady(reel.url, JSON.parse(body).id);
  assert.equal(plain.codecs, 'h264');
  assert.equal(plain.downloads, false);
  assert.equal(plain.playback.download_url, undefined);
  assert.doesNotMatch(await (await fetch(plain.playback.url)).text(), /hvc1/);
  await page.goto(`/#/v/${plain.id}`);
  await page.locator('#player-info').waitFor();
  assert.equal(await page.locator('#player-downloads').isHidden(), true);
  assert.deepEqual(errors, []);
});
