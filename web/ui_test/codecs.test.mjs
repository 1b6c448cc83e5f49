// Browser test of a ladder in three codecs: a reel of its own with
// --codecs h264,hevc,av1 transcodes a short clip; the master names an
// H.264, an HEVC and an AV1 variant, each with its CODECS; hls.js in
// Debian's Chromium keeps the variants this browser can decode
// (MediaSource.isTypeSupported), plays one of them, and the watch page
// plays the video.
//
//   REEL_URL=... node --test web/ui_test/     (REEL_URL only enables it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, makeClip, startReel, tempDir, waitReady } from './helpers.mjs';

const enabled = Boolean(process.env.REEL_URL);


test('hls.js plays a master of H.264, HEVC and AV1 variants, taking one it can decode', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 400_000,
}, async (t) => {
  const reel = await startReel({ admin: 'admin' }, ['--codecs', 'h264,hevc,av1']);
  t.after(() => reel.stop());
  const key = reel.keys.admin;
  const clip = makeClip(tempDir('reel-ui-codecs-'), 'codecs.mp4', 4);
  const form = new FormData();
  form.append('title', 'codecs');
  form.append('file', new Blob([fs.readFileSync(clip)]), 'codecs.mp4');
  const res = await fetch(`${reel.url}/api/videos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${key}` } });
  const created = await res.text();
  assert.equal(res.status, 201, created);
  const v = await waitReady(reel.url, JSON.parse(created).id, { key });

  const master = await (await fetch(v.playback.url)).text();
  const codecs = [...master.matchAll(/#EXT-X-STREAM-INF:[^\n]*CODECS="([^"]+)"/g)].map((m) => m[1].split(',')[0]);
  assert.deepEqual(codecs.map((c) => c.slice(0, 4)).sort(), ['av01', 'avc1', 'hvc1'], master);
  const h264 = codecs.find((c) => c.startsWith('avc1'));

  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: reel.url });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const got = await page.evaluate(async ({ url, codecs }) => {
    // The module the page loads, from where make ui puts it.
    window.Hls = (await import('/static/vendor/hls.min.mjs')).default;
    const supported = codecs.filter((c) => MediaSource.isTypeSupported(`video/mp4; codecs="${c}"`));
    const video = document.createElement('video');
    video.muted = true;
    document.body.append(video);
    const hls = new window.Hls();
    await new Promise((resolve, reject) => {
      hls.on(window.Hls.Events.MANIFEST_PARSED, resolve);
      hls.on(window.Hls.Events.ERROR, (_, d) => { if (d.fatal) reject(new Error(d.details)); });
      hls.loadSource(url);
      hls.attachMedia(video);
    });
    await video.play();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stuck at ${video.currentTime} s`)), 60_000);
      video.addEventListener('timeupdate', () => { if (video.currentTime > 1.5) { clearTimeout(timer); resolve(); } });
    });
    return {
      supported,
      levels: hls.levels.map((l) => l.videoCodec),
      playing: hls.levels[hls.currentLevel].videoCodec,
      frames: video.getVideoPlaybackQuality().totalVideoFrames,
      width: video.videoWidth,
    };
  }, { url: v.playback.url, codecs });
  t.diagnostic(`Chromium decodes ${got.supported.join(', ')}; hls.js kept ${got.levels.join(', ')} and played ${got.playing}`);
  assert.ok(got.supported.includes(h264), 'Chromium cannot decode the H.264 variant');
  // hls.js keeps what the browser decodes, and plays one of those.
  for (const c of got.levels) assert.ok(got.supported.includes(c), `hls.js kept ${c}, which Chromium cannot decode`);
  assert.ok(got.supported.includes(got.playing), `hls.js plays ${got.playing}`);
  assert.ok(got.frames > 0 && got.width > 0, `no frames decoded: ${JSON.stringify(got)}`);

  // The watch page plays it too.
  await page.goto(`/#/v/${v.id}`);
  const video = page.locator('#player-video');
  await video.waitFor();
  await video.evaluate((el) => { el.muted = true; return el.play(); });
  await page.waitForFunction(() => document.querySelector('#player-video').currentTime > 1, null, { timeout: 60_000 });
  assert.equal(await page.locator('#player-error').isHidden(), true);
  assert.deepEqual(errors, []);
});
