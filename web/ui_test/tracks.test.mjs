// Browser tests of audio languages, subtitles and captions: a Matroska
// clip with two audio languages (English, the default, and Korean, each
// a tone of its own) and an English SubRip track is transcoded by a reel
// of this test's own; hls.js in Chromium lists both languages, switches
// to Korean (its audio segments load and playback goes on) and shows the
// source's subtitle cue; then a German caption is uploaded, replaced and
// deleted through the API while the playback URL handed out before stays
// valid, and its cue text reaches the player as text, never as HTML; and
// the owner adds and removes captions on the watch page. And an audio
// file in two languages, no video: hls.js plays the default and
// switches language, as the test hears.
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

// startReel runs reel serve (open: no keys, on loopback) on a temp data
// folder and resolves to its base URL.
function startReel(t) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-tracks-'));
  const child = spawn(bin, ['serve', '--data', data, '--addr', '127.0.0.1:0', '--workers', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  t.after(() => {
    child.kill();
    fs.rmSync(data, { recursive: true, force: true });
  });
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      log += b;
      const m = log.match(/addr=(http:\/\/[0-9.:]+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`reel exited ${code}:\n${log}`)));
  });
}

// makeClip writes the 12 s Matroska clip: English audio (440 Hz, the
// default), Korean audio (1760 Hz), English SubRip.
function makeClip() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-ui-tracks-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const srt = path.join(dir, 'en.srt');
  fs.writeFileSync(srt, '1\n00:00:00,500 --> 00:00:11,500\nHello from the source\n');
  const out = path.join(dir, 'tracks.mkv');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-f', 'lavfi', '-i', 'sine=frequency=1760:sample_rate=48000',
    '-i', srt, '-t', '12', '-map', '0:v', '-map', '1:a', '-map', '2:a', '-map', '3:s',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-c:s', 'srt',
    '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=kor', '-metadata:s:s:0', 'language=eng',
    '-disposition:a:0', 'default', '-disposition:a:1', '0', out]);
  return out;
}

async function upload(base, file) {
  const form = new FormData();
  form.append('title', 'tracks');
  form.append('file', new Blob([fs.readFileSync(file)]), 'tracks.mkv');
  const res = await fetch(`${base}/api/videos`, { method: 'POST', body: form });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  return JSON.parse(body).id;
}


// load starts hls.js (reel's own copy) on a new video element of the page
// playing url, muted, and resolves once the manifest is parsed. The
// player is window.player: {hls, video, audioFrags, frags}: the URLs of
// the alternate audio's segments loaded, and "type url" of every segment.
async function load(page, url) {
  await page.evaluate(async (url) => {
    const { default: Hls } = await import('/static/vendor/hls.min.mjs');
    if (window.player) window.player.hls.destroy();
    const video = document.createElement('video');
    video.muted = true;
    document.body.append(video);
    const hls = new Hls();
    const audioFrags = [];
    const frags = [];
    hls.on(Hls.Events.FRAG_LOADED, (_, d) => {
      frags.push(`${d.frag.type} ${d.frag.url}`);
      if (d.frag.type === 'audio') audioFrags.push(d.frag.url);
    });
    window.player = { hls, video, audioFrags, frags, Hls };
    await new Promise((resolve, reject) => {
      hls.on(Hls.Events.MANIFEST_PARSED, resolve);
      hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) reject(new Error(d.details)); });
      hls.loadSource(url);
      hls.attachMedia(video);
    });
  }, url);
}

// cueText waits until the showing text track has an active cue and
// returns what the player would render of it, as text.
async function cueText(page) {
  await page.waitForFunction(() => {
    const { video } = window.player;
    return [...video.textTracks].some((t) => t.mode === 'showing' && t.activeCues && t.activeCues.length > 0);
  }, null, { timeout: 30_000 });
  return page.evaluate(() => {
    const track = [...window.player.video.textTracks].find((t) => t.mode === 'showing');
    const cue = track.activeCues[0];
    const html = cue.getCueAsHTML();
    return { text: html.textContent, elements: [...html.querySelectorAll('*')].map((e) => e.localName) };
  });
}

async function subtitleTrack(page, name) {
  const names = await page.evaluate(() => window.player.hls.subtitleTracks.map((t) => t.name));
  const i = names.indexOf(name);
  assert.ok(i >= 0, `no subtitle track ${name} in ${JSON.stringify(names)}`);
  await page.evaluate((i) => {
    window.player.hls.subtitleDisplay = true;
    window.player.hls.subtitleTrack = i;
  }, i);
}

test('hls.js switches audio languages and shows subtitles and uploaded captions', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 400_000,
}, async (t) => {
  assert.ok(fs.existsSync(bin), `no reel binary at ${bin} (go build -o bin/reel ./cmd/reel)`);
  const base = await startReel(t);
  const id = await upload(base, makeClip());
  const v = await waitReady(base, id);
  const audio = v.renditions.filter((r) => !r.width).map((r) => `${r.name} ${r.language} ${r.label} ${Boolean(r.default)}`);
  assert.deepEqual(audio, ['audio en English true', 'audio2 ko Korean false']);
  const masterURL = v.playback.url;

  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: base });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await load(page, masterURL);

  // Both languages, English the default, playing.
  const tracks = await page.evaluate(() => window.player.hls.audioTracks.map((a) => ({ name: a.name, lang: a.lang, default: a.default })));
  assert.deepEqual(tracks, [{ name: 'English', lang: 'en', default: true }, { name: 'Korean', lang: 'ko', default: false }]);
  await page.evaluate(() => window.player.video.play());
  await page.waitForFunction(() => window.player.video.currentTime > 1, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.player.hls.audioTrack), 0);
  assert.ok(await page.evaluate(() => window.player.audioFrags.every((u) => u.includes('/audio/'))));

  // Switch to Korean: its segments load and playback goes on.
  await page.evaluate(() => new Promise((resolve) => {
    const { hls, Hls } = window.player;
    hls.once(Hls.Events.AUDIO_TRACK_SWITCHED, resolve);
    window.player.audioFrags.length = 0;
    hls.audioTrack = 1;
  }));
  const at = await page.evaluate(() => window.player.video.currentTime);
  await page.waitForFunction((at) => window.player.video.currentTime > at + 1.5 && window.player.audioFrags.length > 0, at, { timeout: 30_000 });
  const frags = await page.evaluate(() => window.player.audioFrags);
  assert.ok(frags.every((u) => u.includes('/audio2/')), `audio segments after the switch: ${frags}`);
  assert.equal(await page.evaluate(() => window.player.hls.audioTrack), 1);

  // The source's subtitles, shown.
  await subtitleTrack(page, 'English');
  assert.deepEqual(await cueText(page), { text: 'Hello from the source', elements: [] });

  // A German caption, uploaded: the master handed out before lists it at
  // once; its markup is text to the player.
  const put = (body, query = '') => fetch(`${base}/api/videos/${id}/captions/de${query}`, { method: 'PUT', body });
  let res = await put('1\n00:00:00,000 --> 00:00:12,000\n<i>Tom</i> & Jerry: a < b\n', '?label=Deutsch');
  assert.equal(res.status, 201, await res.text());
  let master = await (await fetch(masterURL)).text();
  assert.match(master, /TYPE=SUBTITLES,GROUP-ID="subs",NAME="Deutsch",LANGUAGE="de"/);
  await load(page, masterURL);
  await page.evaluate(() => { window.player.video.currentTime = 2; return window.player.video.play(); });
  await subtitleTrack(page, 'Deutsch');
  assert.deepEqual(await cueText(page), { text: 'Tom & Jerry: a < b', elements: ['i'] });

  // Replaced, then hostile files refused, then deleted.
  res = await put('WEBVTT\n\n00:00.000 --> 00:12.000\n<img src=x onerror=alert(1)>\n');
  assert.equal(res.status, 400);
  res = await put('WEBVTT\n\n00:00.000 --> 00:12.000\n<script>alert(1)</script>\n');
  assert.equal(res.status, 400);
  res = await put('WEBVTT\n\n00:00.000 --> 00:12.000\nZweite Fassung\n', '?label=Deutsch');
  assert.equal(res.status, 200, await res.text());
  // The master may be cached for 2 s (Cache-Control: max-age=2).
  await new Promise((r) => setTimeout(r, 2500));
  await load(page, masterURL);
  await page.evaluate(() => { window.player.video.currentTime = 2; return window.player.video.play(); });
  await subtitleTrack(page, 'Deutsch');
  assert.deepEqual(await cueText(page), { text: 'Zweite Fassung', elements: [] });
  res = await fetch(`${base}/api/videos/${id}/captions/de`, { method: 'DELETE' });
  assert.equal(res.status, 204);
  master = await (await fetch(masterURL)).text();
  assert.doesNotMatch(master, /NAME="Deutsch"/);
  assert.match(master, /NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subs1\/index.m3u8"/);
  const list = await (await fetch(`${base}/api/videos/${id}/captions`)).json();
  assert.deepEqual(list, { captions: [{ language: 'en', label: 'English', source: 'file' }] });

  // The watch page: the owner adds captions from a SubRip file, the
  // player's captions menu offers them, a hostile file is refused with
  // the server's reason shown as text, and Remove takes them away.
  await page.goto(`/#/v/${id}`);
  const tools = page.locator('#player-captions-tools');
  await tools.waitFor();
  await page.locator('#captions-list li', { hasText: 'English (en)' }).waitFor();
  const addFile = async (name, text) => {
    await page.locator('#caption-lang').fill('fr');
    await page.locator('#caption-file').setInputFiles({ name, mimeType: '', buffer: Buffer.from(text) });
    await page.locator('#caption-add').click();
  };
  await addFile('evil.srt', '1\n00:00:00,000 --> 00:00:05,000\n<script>window.pwned = 1</script>\n');
  await page.locator('#captions-status.error').waitFor();
  assert.match(await page.locator('#captions-status').textContent(), /<script>/);
  assert.equal(await page.locator('#captions-status *').count(), 0);
  await addFile('fr.srt', '1\n00:00:00,000 --> 00:00:12,000\nBonjour\n');
  await page.locator('#captions-list li', { hasText: 'French (fr)' }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.player-captions option')].some((o) => o.textContent.includes('French')),
    null, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Remove the captions French (fr)' }).click();
  await page.locator('#captions-status', { hasText: 'Removed French.' }).waitFor();
  assert.equal(await page.locator('#captions-list li', { hasText: 'French' }).count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(errors, []);
});

// listen connects the player's (unmuted) video to an analyser and makes
// window.player.tone() the frequency, in Hz, of the loudest sound playing.
async function listen(page) {
  await page.evaluate(async () => {
    const { video } = window.player;
    video.muted = false;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    ctx.createMediaElementSource(video).connect(analyser);
    analyser.connect(ctx.destination);
    window.player.tone = () => {
      const db = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(db);
      let loudest = 1;
      for (let i = 1; i < db.length; i++) if (db[i] > db[loudest]) loudest = i;
      return db[loudest] > -90 ? (loudest * ctx.sampleRate) / analyser.fftSize : 0;
    };
    await ctx.resume();
  });
}

// hearTone waits until the player plays the tone of hz (within 30 Hz).
async function hearTone(page, hz) {
  await page.waitForFunction((hz) => Math.abs(window.player.tone() - hz) < 30, hz, { timeout: 30_000 }).catch(async (e) => {
    throw new Error(`not playing ${hz} Hz but ${await page.evaluate(() => window.player.tone())} Hz: ${e.message}`);
  });
}

// switchAudio selects audio track i and resolves once hls.js switched.
async function switchAudio(page, i) {
  await page.evaluate((i) => new Promise((resolve, reject) => {
    const { hls, Hls } = window.player;
    const timer = setTimeout(() => reject(new Error(`no switch to audio track ${i}`)), 30_000);
    hls.once(Hls.Events.AUDIO_TRACK_SWITCHED, () => { clearTimeout(timer); resolve(); });
    window.player.frags.length = 0;
    hls.audioTrack = i;
  }), i);
}

// An audio-only file in two languages (German, the default, and Italian,
// each a tone of its own): hls.js lists both and plays German through
// the master's one variant; switched to Italian, it loads Italian's
// segments and plays Italian; switched back, German again (the test
// listens to what plays: a Web Audio analyser on the video element);
// the watch page's Audio menu offers both and switches too.
test('hls.js switches the languages of an audio-only file', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 300_000,
}, async (t) => {
  assert.ok(fs.existsSync(bin), `no reel binary at ${bin} (go build -o bin/reel ./cmd/reel)`);
  const base = await startReel(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reel-ui-audio-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Long enough that the switches happen before the end.
  const file = path.join(dir, 'languages.m4a');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '60', '-map', '0', '-map', '1', '-c:a', 'aac', '-b:a', '64k',
    '-metadata:s:a:0', 'language=ita', '-metadata:s:a:1', 'language=deu', '-disposition:a:0', '0', '-disposition:a:1', 'default', file]);
  const id = await upload(base, file);
  const v = await waitReady(base, id);
  const audio = v.renditions.map((r) => `${r.name} ${r.language} ${r.label} ${Boolean(r.default)}`);
  assert.deepEqual(audio, ['audio de German true', 'audio2 it Italian false']);
  // One variant, the default's playlist, whose EXT-X-MEDIA has no URI.
  const master = await (await fetch(v.playback.url)).text();
  assert.match(master, /NAME="German",LANGUAGE="de",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"\n/);
  assert.match(master, /NAME="Italian",LANGUAGE="it",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2\/index.m3u8"\n/);

  // Sound plays without a gesture, for the test to listen to.
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: base });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await load(page, v.playback.url);
  await listen(page);
  const tracks = await page.evaluate(() => window.player.hls.audioTracks.map((a) => ({ name: a.name, lang: a.lang, default: a.default })));
  assert.deepEqual(tracks, [{ name: 'German', lang: 'de', default: true }, { name: 'Italian', lang: 'it', default: false }]);
  assert.equal(await page.evaluate(() => window.player.hls.levels.length), 1);
  await page.evaluate(() => window.player.video.play());
  await hearTone(page, 440);
  let frags = await page.evaluate(() => window.player.frags);
  assert.ok(frags.length > 0 && frags.every((f) => f.startsWith('main ') && f.includes('/audio/')), `segments before the switch: ${frags}`);

  // Italian: its segments load as alternate audio, and it is what plays.
  // (A segment of the variant's may have been on its way at the switch.)
  await switchAudio(page, 1);
  await hearTone(page, 660);
  frags = await page.evaluate(() => window.player.frags.filter((f) => f.startsWith('audio ')));
  assert.ok(frags.length > 0 && frags.every((f) => f.includes('/audio2/')), `alternate audio after the switch: ${frags}`);
  assert.equal(await page.evaluate(() => window.player.hls.audioTrack), 1);

  // And back to German, through the variant again.
  await switchAudio(page, 0);
  await hearTone(page, 440);
  frags = await page.evaluate(() => window.player.frags.filter((f) => f.startsWith('main ')));
  assert.ok(frags.length > 0 && frags.every((f) => f.includes('/audio/')), `the variant's segments after switching back: ${frags}`);
  assert.equal(await page.evaluate(() => window.player.video.error), null);

  // The watch page's player: an Audio menu with both languages, German
  // chosen; choosing Italian loads its segments.
  await page.evaluate(() => window.player.hls.destroy());
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`/#/v/${id}`);
  const menu = page.locator('select.player-audio');
  await menu.waitFor();
  assert.deepEqual(await menu.locator('option').allTextContents(), ['German', 'Italian']);
  assert.equal(await menu.inputValue(), '0');
  await menu.selectOption({ label: 'Italian' });
  await page.waitForFunction(() => true);
  for (let i = 0; i < 100 && !requested.some((u) => /\/audio2\/(init\.mp4|seg_\d+\.m4s)/.test(u)); i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(requested.some((u) => /\/audio2\/seg_\d+\.m4s/.test(u)), `no Italian segment requested: ${requested.filter((u) => u.includes('/play/'))}`);
  assert.deepEqual(errors, []);
});
