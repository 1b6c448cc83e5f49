// storyboard.js: the storyboard reel publishes beside the master
// playlist: sprite sheets of thumbnails and a WebVTT file whose cues name
// a sheet and a region (storyboard_0.jpg#xywh=0,0,160,90). The player
// shows them over its seek bar (player.js), the watch page offers them as
// poster choices (watch.js).
// parse reads the cues of a storyboard VTT, resolving sheet URLs
// against base (the signed folder of the video).
export function parse(text, base) {
  const time = (h, m, s) => Number(h || 0) * 3600 + Number(m) * 60 + Number(s);
  const stamp = '(?:(\\d+):)?(\\d\\d):(\\d\\d(?:\\.\\d+)?)';
  const cueLine = new RegExp(`^${stamp}\\s+-->\\s+${stamp}`);
  const cues = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length - 1; i++) {
    const m = lines[i].match(cueLine);
    if (!m) continue;
    const [file, frag] = lines[i + 1].trim().split('#xywh=');
    const [x, y, w, h] = (frag || '').split(',').map(Number);
    if (!file || [x, y, w, h].some(Number.isNaN)) continue;
    cues.push({
      start: time(m[1], m[2], m[3]), end: time(m[4], m[5], m[6]),
      url: new URL(file, base).href, x, y, w, h,
    });
  }
  return cues;
}

// load fetches and parses the storyboard of the video playing from
// masterURL; none (yet) is an empty list.
export async function load(masterURL) {
  const base = new URL('.', masterURL).href;
  try {
    const res = await fetch(new URL('storyboard.vtt', base));
    if (!res.ok) return [];
    return parse(await res.text(), base);
  } catch (_) {
    return [];
  }
}
