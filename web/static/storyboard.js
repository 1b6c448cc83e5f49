// storyboard.js: hover previews on a timeline under the player, from the
// storyboard reel publishes beside the master playlist: sprite sheets of
// thumbnails and a WebVTT file whose cues name a sheet and a region
// (storyboard_0.jpg#xywh=0,0,160,90). Hovering the bar shows the
// thumbnail of that moment; clicking seeks there.
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

let detachCurrent = null;

// attach loads the storyboard of the video playing from masterURL and
// wires the bar; the bar stays hidden if the video has none.
export async function attach(video, bar, masterURL) {
  detach();
  const base = new URL('.', masterURL).href;
  let cues;
  try {
    const res = await fetch(new URL('storyboard.vtt', base));
    if (!res.ok) return;
    cues = parse(await res.text(), base);
  } catch (e) {
    return; // no storyboard: the native controls remain
  }
  if (cues.length === 0) return;

  const preview = bar.querySelector('.scrub-preview');
  const fill = bar.querySelector('.scrub-fill');
  const duration = () => video.duration || cues[cues.length - 1].end;
  const at = (event) => {
    const r = bar.getBoundingClientRect();
    return Math.max(0, Math.min(1, (event.clientX - r.left) / r.width)) * duration();
  };
  const onMove = (event) => {
    const t = at(event);
    const cue = cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1];
    preview.style.width = `${cue.w}px`;
    preview.style.height = `${cue.h}px`;
    preview.style.backgroundImage = `url("${cue.url}")`;
    preview.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    const r = bar.getBoundingClientRect();
    const left = Math.max(0, Math.min(r.width - cue.w, event.clientX - r.left - cue.w / 2));
    preview.style.left = `${left}px`;
    preview.dataset.time = t.toFixed(1);
    preview.hidden = false;
  };
  const onLeave = () => { preview.hidden = true; };
  const onClick = (event) => { video.currentTime = at(event); };
  const onTime = () => { fill.style.width = `${(100 * video.currentTime) / duration()}%`; };

  bar.addEventListener('mousemove', onMove);
  bar.addEventListener('mouseleave', onLeave);
  bar.addEventListener('click', onClick);
  video.addEventListener('timeupdate', onTime);
  bar.hidden = false;
  detachCurrent = () => {
    bar.removeEventListener('mousemove', onMove);
    bar.removeEventListener('mouseleave', onLeave);
    bar.removeEventListener('click', onClick);
    video.removeEventListener('timeupdate', onTime);
    preview.hidden = true;
    fill.style.width = '0';
    bar.hidden = true;
  };
}

export function detach() {
  if (detachCurrent) detachCurrent();
  detachCurrent = null;
}
