// player.js: reel's video player, shared by the watch page (watch.js) and
// the embed page (embed.js). A <video> without the browser's controls and
// a control bar of its own: play/pause, a seek bar whose hover shows the
// storyboard's thumbnail of that moment, the time, mute, a quality menu
// (hls.js's levels), an audio menu (the languages of the master's audio
// group, hidden with fewer than two), a captions menu (the HLS subtitle
// tracks, hidden when there are none) and full screen; keyboard shortcuts (handleKey). hls.js
// plays HLS where the browser does not; Safari plays it natively.

import { el } from './dom.js';
import { fmtDuration, fmtKbps } from './format.js';
import { load as loadCues } from './storyboard.js';

const SEEK_KEYS = { j: -10, l: 10, ArrowLeft: -5, ArrowRight: 5 }; // seconds

// levelName names an hls.js level: its rendition's name when known, else
// its height, else "audio" (an audio-only video has no picture: no 0×0).
export function levelName(level, renditions) {
  const r = renditionOf(level, renditions);
  if (r) return r.name;
  return level.height ? `${level.height}p` : 'audio';
}

// levelLabel describes a level: name, size (when it has a picture), rate.
export function levelLabel(level, renditions) {
  const parts = [levelName(level, renditions)];
  if (level.width && level.height) parts.push(`${level.width}×${level.height}`);
  if (level.bitrate) parts.push(fmtKbps(level.bitrate));
  return parts.join(' · ');
}

// renditionOf finds the API rendition an hls.js level plays: the
// rendition's name is the folder of its media playlist.
export function renditionOf(level, renditions) {
  const list = renditions || [];
  const url = level.url && (Array.isArray(level.url) ? level.url[0] : level.url);
  return list.find((r) => url && url.includes(`/${r.name}/`)) ||
    list.find((r) => r.width === level.width && r.height === level.height && r.bandwidth === level.bitrate) ||
    null;
}

// ICONS are the control bar's pictures (24×24 paths): drawn, not font
// glyphs, which not every system has.
const ICONS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 5h4v14H6zM14 5h4v14h-4z',
  volume: 'M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z',
  muted: 'M3 9v6h4l5 5V4L7 9H3zm11.6.4 1.4-1.4 2.5 2.5 2.5-2.5 1.4 1.4-2.5 2.5 2.5 2.5-1.4 1.4-2.5-2.5-2.5 2.5-1.4-1.4 2.5-2.5z',
  full: 'M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z',
  exit: 'M8 4h2v6H4V8h4zm6 0h2v4h4v2h-6zM4 14h6v6H8v-4H4zm10 0h6v2h-4v4h-2z',
};

// setIcon draws the named icon in button, whose aria-label says what it does.
function setIcon(button, name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICONS[name]);
  p.setAttribute('fill', 'currentColor');
  svg.append(p);
  button.replaceChildren(svg);
}

// typing reports whether a key event belongs to a text field, where
// letters and arrows are the user's, not the player's.
function typing(target) {
  if (!target || !target.closest) return false;
  return Boolean(target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]'));
}

// createPlayer builds the player inside root. options: Hls (hls.js's
// class or null), label (the video's name, for accessible labels),
// renew (async () => playback {url, poster_url}: a fresh signed URL after
// a network error), onLevel (level label, auto?) and onError (message).
export function createPlayer(root, options = {}) {
  const { Hls = null } = options;
  const video = el('video', { className: 'player-video', playsInline: true, preload: 'metadata' });
  video.setAttribute('aria-label', options.label ? `Video: ${options.label}` : 'Video');

  const play = el('button', { type: 'button', className: 'player-button player-play' });
  setIcon(play, 'play');
  play.setAttribute('aria-label', 'Play');
  const fill = el('div', { className: 'seek-fill' });
  const thumb = el('div', { className: 'seek-thumb' });
  const stamp = el('span', { className: 'seek-time' });
  const preview = el('div', { className: 'seek-preview', hidden: true }, thumb, stamp);
  const seek = el('div', { className: 'seek', tabIndex: 0 }, el('div', { className: 'seek-track' }, fill), preview);
  seek.setAttribute('role', 'slider');
  seek.setAttribute('aria-label', 'Seek');
  seek.setAttribute('aria-valuemin', '0');
  const time = el('span', { className: 'player-time', text: '0:00 / 0:00' });
  const mute = el('button', { type: 'button', className: 'player-button player-mute' });
  mute.setAttribute('aria-label', 'Mute');
  const quality = el('select', { className: 'player-select player-quality' }, el('option', { value: '-1', text: 'Auto' }));
  quality.setAttribute('aria-label', 'Quality');
  const qualityWrap = el('label', { className: 'player-menu', hidden: true }, el('span', { className: 'visually-hidden', text: 'Quality' }), quality);
  const audio = el('select', { className: 'player-select player-audio' });
  audio.setAttribute('aria-label', 'Audio');
  const audioWrap = el('label', { className: 'player-menu', hidden: true }, el('span', { className: 'visually-hidden', text: 'Audio' }), audio);
  const captions = el('select', { className: 'player-select player-captions' }, el('option', { value: '-1', text: 'Captions off' }));
  captions.setAttribute('aria-label', 'Captions');
  const captionsWrap = el('label', { className: 'player-menu', hidden: true }, el('span', { className: 'visually-hidden', text: 'Captions' }), captions);
  const full = el('button', { type: 'button', className: 'player-button player-full' });
  setIcon(full, 'full');
  full.setAttribute('aria-label', 'Full screen');
  const bar = el('div', { className: 'player-controls' }, play, seek, time, mute, qualityWrap, audioWrap, captionsWrap, full);
  root.classList.add('player');
  root.replaceChildren(video, bar);

  const state = {
    hls: null, url: '', renditions: [], cues: [], auto: true, chosen: -1, level: -1,
    mediaRecovered: false, lastRenew: 0, seq: 0,
  };
  const duration = () => (isFinite(video.duration) && video.duration > 0 ? video.duration
    : (state.cues.length ? state.cues[state.cues.length - 1].end : 0));

  // ---- controls ------------------------------------------------------

  const togglePlay = () => {
    if (video.paused || video.ended) video.play().catch(() => {});
    else video.pause();
  };
  const seekBy = (s) => {
    const d = duration();
    video.currentTime = Math.max(0, Math.min(d || Infinity, video.currentTime + s));
  };
  const toggleMute = () => { video.muted = !video.muted; };
  const toggleFull = () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (root.requestFullscreen) root.requestFullscreen().catch(() => {});
  };

  const showPlaying = () => {
    const paused = video.paused || video.ended;
    setIcon(play, paused ? 'play' : 'pause');
    play.setAttribute('aria-label', paused ? 'Play' : 'Pause');
    root.classList.toggle('paused', paused);
  };
  const showTime = () => {
    const d = duration();
    const t = video.currentTime || 0;
    fill.style.width = d ? `${Math.min(100, (100 * t) / d)}%` : '0';
    time.textContent = `${fmtDuration(t) || '0:00'} / ${fmtDuration(d) || '0:00'}`;
    seek.setAttribute('aria-valuemax', String(Math.round(d)));
    seek.setAttribute('aria-valuenow', String(Math.round(t)));
    seek.setAttribute('aria-valuetext', `${fmtDuration(t) || '0:00'} of ${fmtDuration(d) || '0:00'}`);
  };
  const showMuted = () => {
    setIcon(mute, video.muted ? 'muted' : 'volume');
    mute.setAttribute('aria-label', video.muted ? 'Unmute' : 'Mute');
  };

  play.addEventListener('click', togglePlay);
  video.addEventListener('click', togglePlay);
  video.addEventListener('dblclick', toggleFull);
  mute.addEventListener('click', toggleMute);
  full.addEventListener('click', toggleFull);
  for (const e of ['play', 'pause', 'ended']) video.addEventListener(e, showPlaying);
  for (const e of ['timeupdate', 'durationchange', 'loadedmetadata']) video.addEventListener(e, showTime);
  video.addEventListener('volumechange', showMuted);
  document.addEventListener('fullscreenchange', () => {
    const on = document.fullscreenElement === root;
    root.classList.toggle('fullscreen', on);
    full.setAttribute('aria-label', on ? 'Exit full screen' : 'Full screen');
    setIcon(full, on ? 'exit' : 'full');
  });

  // The seek bar: hover shows the storyboard's thumbnail and the time,
  // click seeks, and as a slider it takes the arrow keys.
  const at = (event) => {
    const r = seek.getBoundingClientRect();
    return Math.max(0, Math.min(1, (event.clientX - r.left) / r.width)) * duration();
  };
  seek.addEventListener('mousemove', (event) => {
    const d = duration();
    if (!d) return;
    const t = at(event);
    const cue = state.cues.find((c) => t >= c.start && t < c.end) || state.cues[state.cues.length - 1];
    const r = seek.getBoundingClientRect();
    let w = 64;
    if (cue) {
      w = cue.w;
      thumb.hidden = false;
      thumb.style.width = `${cue.w}px`;
      thumb.style.height = `${cue.h}px`;
      thumb.style.backgroundImage = `url("${cue.url}")`;
      thumb.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    } else {
      thumb.hidden = true;
    }
    stamp.textContent = fmtDuration(t);
    preview.style.left = `${Math.max(0, Math.min(r.width - w, event.clientX - r.left - w / 2))}px`;
    preview.dataset.time = t.toFixed(1);
    preview.hidden = false;
  });
  seek.addEventListener('mouseleave', () => { preview.hidden = true; });
  seek.addEventListener('click', (event) => { if (duration()) video.currentTime = at(event); });
  seek.addEventListener('keydown', (event) => {
    const step = { ArrowLeft: -5, ArrowRight: 5, PageDown: -30, PageUp: 30 }[event.key];
    if (step) seekBy(step);
    else if (event.key === 'Home') video.currentTime = 0;
    else if (event.key === 'End' && duration()) video.currentTime = duration();
    else return;
    event.preventDefault();
    event.stopPropagation();
  });

  quality.addEventListener('change', () => {
    const n = Number(quality.value);
    state.auto = n < 0;
    state.chosen = n;
    if (state.hls) state.hls.currentLevel = n; // -1: automatic
    reportLevel();
  });
  audio.addEventListener('change', () => {
    const n = Number(audio.value);
    if (state.hls) state.hls.audioTrack = n;
    else if (video.audioTracks) [...video.audioTracks].forEach((t, i) => { t.enabled = i === n; });
  });
  captions.addEventListener('change', () => {
    const n = Number(captions.value);
    if (state.hls) {
      state.hls.subtitleDisplay = n >= 0;
      state.hls.subtitleTrack = n;
    } else {
      [...video.textTracks].forEach((tt, i) => { tt.mode = i === n ? 'showing' : 'disabled'; });
    }
  });

  // ---- hls.js ---------------------------------------------------------

  // reportLevel names the level playing; "(auto)" only while the choice
  // is automatic, never after a fixed level was picked.
  function reportLevel() {
    if (!state.hls || !options.onLevel) return;
    const level = state.hls.levels[state.level];
    if (level) options.onLevel(levelLabel(level, state.renditions) + (state.auto ? ' (auto)' : ''), level, state.level);
  }

  function fillQuality(hls) {
    const opts = [el('option', { value: '-1', text: 'Auto' })];
    hls.levels.forEach((level, i) => opts.push(el('option', { value: String(i), text: levelLabel(level, state.renditions) })));
    quality.replaceChildren(...opts);
    quality.value = state.auto ? '-1' : String(hls.currentLevel);
    qualityWrap.hidden = hls.levels.length < 2;
  }

  // fillAudio lists the audio languages, the one playing selected.
  function fillAudio(tracks, playing) {
    audio.replaceChildren(...tracks.map((t, i) => el('option', {
      value: String(i), text: t.name || t.label || t.lang || t.language || `Audio ${i + 1}`,
    })));
    audio.value = String(Math.max(playing, 0));
    audioWrap.hidden = tracks.length < 2;
  }

  function fillCaptions(tracks) {
    const opts = [el('option', { value: '-1', text: 'Captions off' })];
    tracks.forEach((t, i) => {
      const name = t.name || t.label || t.lang || t.language || `Track ${i + 1}`;
      opts.push(el('option', { value: String(i), text: name }));
    });
    captions.replaceChildren(...opts);
    captionsWrap.hidden = tracks.length === 0;
  }

  function onHlsError(hls, data) {
    if (!data.fatal || hls !== state.hls) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !state.mediaRecovered) {
      state.mediaRecovered = true;
      hls.recoverMediaError();
      return;
    }
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && options.renew && performance.now() - state.lastRenew > 30000) {
      // The signed URL may have expired: fetch a fresh one and resume.
      state.lastRenew = performance.now();
      const seq = state.seq;
      const resumeAt = video.currentTime || -1;
      options.renew().then((pb) => {
        if (seq === state.seq && pb && pb.url) load({ url: pb.url, poster: pb.poster_url, startPosition: resumeAt, renditions: state.renditions });
      }, (e) => { if (options.onError) options.onError(`Playback failed: ${e.message}`); });
      return;
    }
    if (options.onError) options.onError(`Playback failed (${data.details}).`);
  }

  // ---- public ---------------------------------------------------------

  // stop ends playback and forgets the source.
  function stop() {
    state.seq++;
    if (state.hls) state.hls.destroy();
    state.hls = null;
    state.url = '';
    state.cues = [];
    video.pause();
    video.removeAttribute('src');
    delete video.dataset.engine;
    video.load();
    qualityWrap.hidden = true;
    audioWrap.hidden = true;
    captionsWrap.hidden = true;
    preview.hidden = true;
    showTime();
    showPlaying();
  }

  // load plays the master playlist at url from startPosition (-1: the
  // player's choice), with poster and the API's renditions for labels.
  function load({ url, poster, startPosition = -1, renditions = [] }) {
    stop();
    state.url = url;
    state.renditions = renditions || [];
    state.mediaRecovered = false;
    if (poster) video.poster = poster;
    loadStoryboard(url);
    if (Hls && Hls.isSupported()) {
      const hls = new Hls({ startPosition, subtitleDisplay: false });
      state.hls = hls;
      video.dataset.engine = 'hls.js';
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        // A level the viewer chose stays chosen across a reload.
        if (!state.auto && state.chosen < hls.levels.length) hls.currentLevel = state.chosen;
        fillQuality(hls);
        fillAudio(hls.audioTracks || [], hls.audioTrack);
        fillCaptions(hls.subtitleTracks || []);
      });
      hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, (_, data) => fillAudio(data.audioTracks || [], hls.audioTrack));
      hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, (_, data) => { audio.value = String(data.id); });
      hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_, data) => fillCaptions(data.subtitleTracks || []));
      hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => { state.level = data.level; reportLevel(); });
      hls.on(Hls.Events.ERROR, (_, data) => onHlsError(hls, data));
      hls.attachMedia(video);
      hls.loadSource(url);
      return true;
    }
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      // Safari plays HLS itself and picks the level on its own.
      video.dataset.engine = 'native';
      video.src = url;
      video.textTracks.addEventListener('addtrack', () => fillCaptions([...video.textTracks].filter((t) => t.kind === 'subtitles' || t.kind === 'captions')));
      if (video.audioTracks) {
        video.audioTracks.addEventListener('addtrack', () => {
          const tracks = [...video.audioTracks];
          fillAudio(tracks, tracks.findIndex((t) => t.enabled));
        });
      }
      if (options.onLevel) options.onLevel('chosen by the browser', null, -1);
      if (startPosition > 0) {
        video.addEventListener('loadedmetadata', () => { video.currentTime = startPosition; }, { once: true });
      }
      return true;
    }
    if (options.onError) options.onError('This browser cannot play HLS video.');
    return false;
  }

  // loadStoryboard loads the thumbnails of the video playing from
  // masterURL; a video without a storyboard (yet) shows times only.
  async function loadStoryboard(masterURL) {
    const seq = state.seq;
    const cues = await loadCues(masterURL);
    if (seq === state.seq) state.cues = cues;
  }

  // update takes what changed: a new poster, or, once a video that
  // played while transcoding is ready, its renditions, storyboard and
  // finished playlists (url): the player then reloads its source where it
  // is, playing on if it was, as the growing EVENT playlists it started on
  // knew only part of the video's length.
  // fresh says the master changed in place (captions added or removed):
  // the copy the browser keeps for the master's max-age must not be used,
  // and a URL signed within the same second is the same URL.
  function update({ poster, renditions, url, fresh = false }) {
    if (poster) video.poster = poster;
    if (renditions) state.renditions = renditions;
    if (url) {
      const at = video.currentTime || 0;
      const resume = !video.paused && !video.ended;
      const src = fresh ? `${url}${url.includes('?') ? '&' : '?'}changed=${Date.now()}` : url;
      load({ url: src, poster: poster || video.poster, startPosition: at, renditions: state.renditions });
      if (resume) video.play().catch(() => {});
      return;
    }
    if (state.hls && state.hls.levels.length) fillQuality(state.hls);
    reportLevel();
  }

  // handleKey runs a keyboard shortcut; it reports whether it did. Keys
  // typed into a text field or a menu, or with a modifier, are not its.
  function handleKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return false;
    const onControl = event.target && event.target.closest && event.target.closest('button, a');
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === ' ' || key === 'k') {
      if (key === ' ' && onControl) return false; // the focused button's own
      togglePlay();
    } else if (key in SEEK_KEYS) {
      seekBy(SEEK_KEYS[key]);
    } else if (key === 'f') {
      toggleFull();
    } else if (key === 'm') {
      toggleMute();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  showTime();
  showPlaying();
  showMuted();
  return {
    video, root, load, stop, update, handleKey, storyboardCues: () => state.cues,
    hls: () => state.hls,
  };
}
