// Browser test of the pages' Content-Security-Policy while the player
// plays a video with subtitles: on the watch page and on the embed page,
// hls.js plays a clip with a SubRip track and the captions menu shows its
// cue, and the browser reports no violation of the policy, neither as a
// securitypolicyviolation event nor on the console (hls.js gives each
// subtitle track a <track> element whose source is data:,WEBVTT).
//
//   REEL_URL=... node --test web/ui_test/     (REEL_URL only enables it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch, startReel, tempDir, waitReady } from './helpers.mjs';

const enabled = Boolean(process.env.REEL_URL);
const cue = 'Captions under the policy';

// makeClip writes an 8 s Matroska clip with English SubRip subtitles.
function makeClip() {
  const dir = tempDir('reel-ui-csp-');
  const srt = path.join(dir, 'en.srt');
  fs.writeFileSync(srt, `1\n00:00:00,000 --> 00:00:08,000\n${cue}\n`);
  const out = path.join(dir, 'subs.mkv');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-i', srt, '-t', '8', '-map', '0:v', '-map', '1:a', '-map', '2:s',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-c:s', 'srt',
    '-metadata:s:s:0', 'language=eng', out]);
  return out;
}

// watchPolicy collects the page's CSP violations, from every frame:
// the events the policy fires and the console's reports of them.
async function watchPolicy(page) {
  const violations = [];
  await page.exposeFunction('reportViolation', (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.reportViolation(`${e.effectiveDirective} blocked ${e.blockedURI}`);
    });
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

// playWithCaptions plays the page's player, muted, turns its English
// captions on and waits for the cue to show.
async function playWithCaptions(page) {
  const video = page.locator('video');
  await video.waitFor();
  await video.evaluate((v) => { v.muted = true; return v.play(); });
  await page.locator('.player-captions option', { hasText: 'English' }).waitFor({ state: 'attached', timeout: 30_000 });
  await page.locator('select.player-captions').selectOption({ label: 'English' });
  await page.waitForFunction((text) => {
    const v = document.querySelector('video');
    return [...v.textTracks].some((t) => t.mode === 'showing' && [...(t.activeCues || [])].some((c) => c.text === text));
  }, cue, { timeout: 30_000 });
}

test('the watch and embed pages play a video with captions under their policy, with no violation', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 400_000,
}, async (t) => {
  const reel = await startReel({});
  t.after(() => reel.stop());
  const form = new FormData();
  form.append('title', 'captions under the policy');
  form.append('visibility', 'public');
  form.append('file', new Blob([fs.readFileSync(makeClip())]), 'subs.mkv');
  const res = await fetch(`${reel.url}/api/videos`, { method: 'POST', body: form });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  const { id } = JSON.parse(body);
  await waitReady(reel.url, id);

  const browser = await launch();
  t.after(() => browser.close());
  for (const where of [`/#/v/${id}`, `/embed/${id}`]) {
    const page = await browser.newPage({ baseURL: reel.url });
    const violations = await watchPolicy(page);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const doc = await page.goto(where);
    assert.match(doc.headers()['content-security-policy'], /media-src /, `${where} has no policy`);
    await playWithCaptions(page);
    // Reports of a violation may come a moment after the cue.
    await page.waitForTimeout(500);
    assert.deepEqual(violations, [], `${where}: the policy was violated`);
    assert.deepEqual(errors, [], `${where}: errors`);
    await page.close();
  }
});
