// Browser test of a split video with AV1 rungs: a reel of its own with
// --codecs h264,av1 --split-above 10s --chunk-duration 6s cuts a 24 s clip
// into four pieces and stitches an H.264 and an AV1 variant; hls.js in
// Chromium plays each variant, held to it, across the joins, and every
// fragment it buffers starts where the one before ends (a stitched AV1
// variant that ran 0.2 s early after each join overlapped the fragment
// before by 0.2 s).
//
//   REEL_URL=... node --test web/ui_test/     (REEL_URL only enables it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch, startReel, tempDir, waitReady } from './helpers.mjs';

const enabled = Boolean(process.env.REEL_URL);
const CHUNK = 6; // seconds: one segment per piece

test('hls.js plays each codec of a split video across its joins, fragments end to end', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 400_000,
}, async (t) => {
  const reel = await startReel({ admin: 'admin' },
    ['--codecs', 'h264,av1', '--split-above', '10s', '--chunk-duration', `${CHUNK}s`, '--workers', '2']);
  t.after(() => reel.stop());
  const key = reel.keys.admin;
  const clip = path.join(tempDir('reel-ui-split-codecs-'), 'split.mp4');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:beep_factor=4',
    '-t', '24', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', clip]);
  const form = new FormData();
  form.append('title', 'split codecs');
  form.append('file', new Blob([fs.readFileSync(clip)]), 'split.mp4');
  const res = await fetch(`${reel.url}/api/videos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${key}` } });
  const created = await res.text();
  assert.equal(res.status, 201, created);
  const v = await waitReady(reel.url, JSON.parse(created).id, { key });
  assert.equal(v.chunks, 4);

  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: reel.url });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  for (const codec of ['avc1', 'av01']) {
    const got = await page.evaluate(async ({ url, codec, chunk }) => {
      // The module the page loads, from where make ui puts it.
      const Hls = (await import('/static/vendor/hls.min.mjs')).default;
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const hls = new Hls();
      const frags = [];
      hls.on(Hls.Events.FRAG_BUFFERED, (_, d) => {
        if (d.frag.type === 'main') frags.push({ sn: d.frag.sn, start: d.frag.startPTS, end: d.frag.endPTS });
      });
      let level = -1;
      await new Promise((resolve, reject) => {
        hls.on(Hls.Events.MANIFEST_PARSED, () => {
          // Held to the variant of the codec under test.
          level = hls.levels.findIndex((l) => (l.videoCodec || '').startsWith(codec));
          if (level < 0) reject(new Error(`no ${codec} variant among ${hls.levels.map((l) => l.videoCodec)}`));
          hls.currentLevel = level;
          resolve();
        });
        hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) reject(new Error(d.details)); });
        hls.loadSource(url);
        hls.attachMedia(video);
      });
      // From before the second join to past the third.
      video.currentTime = 2 * chunk - 1.5;
      await video.play();
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stuck at ${video.currentTime} s`)), 90_000);
        video.addEventListener('timeupdate', () => {
          if (video.currentTime > 3 * chunk + 1.5) { clearTimeout(timer); resolve(); }
        });
      });
      const buffered = [];
      for (let i = 0; i < video.buffered.length; i++) buffered.push([video.buffered.start(i), video.buffered.end(i)]);
      const out = {
        level, playing: hls.levels[hls.currentLevel].videoCodec, frags, buffered,
        frames: video.getVideoPlaybackQuality().totalVideoFrames,
      };
      hls.destroy();
      video.remove();
      return out;
    }, { url: v.playback.url, codec, chunk: CHUNK });
    t.diagnostic(`${codec}: played ${got.playing}, fragments ${JSON.stringify(got.frags)}, buffered ${JSON.stringify(got.buffered)}`);
    assert.ok(got.playing.startsWith(codec), `played ${got.playing}, not ${codec}`);
    assert.ok(got.frames > 0, `${codec}: no frames decoded`);
    // Fragments in order of their numbers: each starts where the one
    // before ends, to a millisecond or so, across every join.
    const frags = got.frags.sort((a, b) => a.sn - b.sn);
    assert.ok(frags.length >= 3, `${codec}: ${frags.length} fragments buffered`);
    for (let i = 1; i < frags.length; i++) {
      if (frags[i].sn !== frags[i - 1].sn + 1) continue;
      assert.ok(Math.abs(frags[i].start - frags[i - 1].end) < 0.005,
        `${codec}: fragment ${frags[i].sn} starts at ${frags[i].start} s, the one before ends at ${frags[i - 1].end} s`);
      assert.ok(Math.abs(frags[i].end - frags[i].start - CHUNK) < 0.005 || i === frags.length - 1,
        `${codec}: fragment ${frags[i].sn} lasts ${frags[i].end - frags[i].start} s`);
    }
  }
  assert.deepEqual(errors, []);
});
