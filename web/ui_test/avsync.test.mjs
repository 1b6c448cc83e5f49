// Browser test of audio/video sync and subtitle timing, whole and split:
// a reel of its own with --codecs h264,av1 --split-above 10s transcodes
// an 8 s clip whole and an 18 s clip in three pieces, each with a SubRip
// track and an uploaded caption. The picture turns from black to white
// and back every 3 s, and each cue starts at such a turn. For each video
// and codec, hls.js in Chromium is held to the variant and checked:
// - the buffered video and audio start together, within one frame (a
//   whole encode's video started 0.2 s, x264's B-frame delay at 10 fps,
//   after its audio, as Chromium ignores an empty edit), and the AV1
//   variant starts where the H.264 one does;
// - each cue, as hls.js places it (X-TIMESTAMP-MAP), starts with its
//   frame: just after its start the picture has turned, just before it
//   has not (cues showed 0.2 s before their frames).
//
//   REEL_URL=... node --test web/ui_test/     (REEL_URL only enables it)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch, startReel, tempDir, waitReady } from './helpers.mjs';

const enabled = Boolean(process.env.REEL_URL);
const FRAME = 0.1; // 10 fps

// white says whether the clip's picture is white at second t of the source.
const white = (t) => Math.floor(t / 3) % 2 === 1;

// makeClip writes an MKV of seconds at 10 fps, black and white by turns
// every 3 s, with a tone and a SubRip track of cues (each [start, text]
// lasting a second).
function makeClip(dir, seconds, cues) {
  const srt = path.join(dir, `${seconds}.srt`);
  const stamp = (s) => `00:00:${String(s).padStart(2, '0')},000`;
  fs.writeFileSync(srt, cues.map(([s, text], i) => `${i + 1}\n${stamp(s)} --> ${stamp(s + 1)}\n${text}\n`).join('\n'));
  const out = path.join(dir, `${seconds}.mkv`);
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=black:size=320x180:rate=10,geq=lum='if(mod(floor(T/3),2),235,16)':cb=128:cr=128`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-i', srt, '-t', String(seconds), '-map', '0', '-map', '1', '-map', '2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
    '-c:s', 'srt', '-metadata:s:s:0', 'language=eng', out]);
  return out;
}

test('audio, picture and cues start together in whole and split videos, every codec', {
  skip: enabled ? false : 'REEL_URL is not set (scripts/browser-test.sh sets it)',
  timeout: 600_000,
}, async (t) => {
  const reel = await startReel({ admin: 'admin' },
    ['--codecs', 'h264,av1', '--split-above', '10s', '--chunk-duration', '6s', '--workers', '2']);
  t.after(() => reel.stop());
  const auth = { Authorization: `Bearer ${reel.keys.admin}` };
  const dir = tempDir('reel-ui-avsync-');
  const videos = [
    { name: 'whole', seconds: 8, chunks: 1, source: [[3, 'three']], upload: [6, 'six'] },
    { name: 'split', seconds: 18, chunks: 3, source: [[3, 'three'], [9, 'nine']], upload: [15, 'fifteen'] },
  ];
  for (const v of videos) {
    const form = new FormData();
    form.append('title', v.name);
    form.append('file', new Blob([fs.readFileSync(makeClip(dir, v.seconds, v.source))]), `${v.name}.mkv`);
    const res = await fetch(`${reel.url}/api/videos`, { method: 'POST', body: form, headers: auth });
    const created = await res.text();
    assert.equal(res.status, 201, created);
    v.id = JSON.parse(created).id;
  }
  for (const v of videos) {
    const ready = await waitReady(reel.url, v.id, { key: reel.keys.admin, timeout: 400_000 });
    assert.equal(ready.chunks, v.chunks, `${v.name}: ${ready.chunks} pieces`);
    v.url = ready.playback.url;
    // An uploaded caption, its cue at a turn of the picture.
    const [s, text] = v.upload;
    const vtt = `WEBVTT\n\n00:00:${String(s).padStart(2, '0')}.000 --> 00:00:${String(s + 1).padStart(2, '0')}.000\n${text}\n`;
    const res = await fetch(`${reel.url}/api/videos/${v.id}/captions/de?label=Uploaded`, { method: 'PUT', body: vtt, headers: auth });
    assert.equal(res.status, 201, await res.text());
  }

  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL: reel.url });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  for (const v of videos) {
    const starts = {};
    for (const codec of ['avc1', 'av01']) {
      const cues = [...v.source.map(([s, text]) => ({ s, text, track: 'English' })), { s: v.upload[0], text: v.upload[1], track: 'Uploaded' }];
      const got = await page.evaluate(async ({ url, codec, cues }) => {
        const Hls = (await import('/static/vendor/hls.min.mjs')).default;
        const video = document.createElement('video');
        video.muted = true;
        document.body.append(video);
        const hls = new Hls();
        const first = {}; // where each buffer's first range starts
        hls.on(Hls.Events.BUFFER_APPENDED, (_, d) => {
          for (const [type, ranges] of Object.entries(d.timeRanges || {})) {
            if (ranges && ranges.length) first[type] = ranges.start(0);
          }
        });
        const timeout = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms));
        let level = -1;
        await Promise.race([timeout(60_000, 'manifest'), new Promise((resolve, reject) => {
          hls.on(Hls.Events.MANIFEST_PARSED, () => {
            level = hls.levels.findIndex((l) => (l.videoCodec || '').startsWith(codec));
            if (level < 0) reject(new Error(`no ${codec} variant among ${hls.levels.map((l) => l.videoCodec)}`));
            hls.currentLevel = level;
            resolve();
          });
          hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) reject(new Error(d.details)); });
          hls.loadSource(url);
          hls.attachMedia(video);
        })]);
        // Both buffers hold the start.
        const until = async (cond, ms, what) => {
          const end = Date.now() + ms;
          while (!cond()) {
            if (Date.now() > end) throw new Error(`timed out: ${what}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        await until(() => 'audio' in first && 'video' in first, 60_000, `buffers ${JSON.stringify(first)}`);
        const buffered = { ...first };

        // The picture's luma, 0 black to 255 white, after seeking to t.
        const canvas = document.createElement('canvas');
        canvas.width = 32; canvas.height = 18;
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        const lumaAt = async (t) => {
          const seeked = new Promise((r) => video.addEventListener('seeked', r, { once: true }));
          video.currentTime = t;
          await Promise.race([seeked, timeout(30_000, `seek to ${t}`)]);
          await Promise.race([new Promise((r) => video.requestVideoFrameCallback(() => r())), new Promise((r) => setTimeout(r, 1000))]);
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          let sum = 0;
          for (let i = 0; i < px.length; i += 4) sum += px[i];
          return sum / (px.length / 4);
        };
        const out = [];
        for (const c of cues) {
          const i = hls.subtitleTracks.findIndex((s) => s.name === c.track);
          if (i < 0) throw new Error(`no subtitle track ${c.track} among ${hls.subtitleTracks.map((s) => s.name)}`);
          hls.subtitleDisplay = true;
          hls.subtitleTrack = i;
          // Near the cue, so that hls.js loads its subtitle segment.
          const seeked = new Promise((r) => video.addEventListener('seeked', r, { once: true }));
          video.currentTime = Math.max(c.s - 1, 0);
          await seeked;
          let cue;
          await until(() => {
            for (const track of video.textTracks) {
              for (const k of track.cues || []) if (k.text === c.text) cue = k;
            }
            return cue;
          }, 60_000, `cue ${c.text}`);
          out.push({ text: c.text, start: cue.startTime, before: await lumaAt(cue.startTime - 0.05), after: await lumaAt(cue.startTime + 0.05) });
        }
        hls.destroy();
        video.remove();
        return { buffered, cues: out };
      }, { url: v.url, codec, cues });
      t.diagnostic(`${v.name} ${codec}: buffered from ${JSON.stringify(got.buffered)}, cues ${JSON.stringify(got.cues)}`);
      const { audio, video } = got.buffered;
      assert.ok(Math.abs(video - audio) <= FRAME + 1e-3,
        `${v.name} ${codec}: video buffered from ${video} s, audio from ${audio} s`);
      starts[codec] = video;
      for (const c of got.cues) {
        const src = cues.find((k) => k.text === c.text).s;
        // The picture turns at the cue's source time: white before and
        // black after, or the other way round.
        const [before, after] = white(src) ? [0, 255] : [255, 0];
        assert.ok(Math.abs(c.before - before) < 60 && Math.abs(c.after - after) < 60,
          `${v.name} ${codec}: cue "${c.text}" starts at ${c.start} s, where the picture is ${Math.round(c.before)} just before and ${Math.round(c.after)} just after, want ${before} then ${after}`);
      }
    }
    assert.ok(Math.abs(starts.avc1 - starts.av01) <= FRAME + 1e-3,
      `${v.name}: the H.264 variant's video buffered from ${starts.avc1} s, the AV1 one's from ${starts.av01} s`);
  }
  assert.deepEqual(errors, []);
});
