// embed.js: the embed page, /embed/<id>: the player alone, for other
// sites' iframes. The server rendered the page with a freshly signed
// playback URL in data attributes; while the video is not ready the page
// asks the API until it plays, and after a network error (an expired URL)
// it asks for a new one.

import { api, videoPath } from './api.js';
import { $ } from './dom.js';
import { createPlayer } from './player.js';

const POLL_MS = 3000;

async function init() {
  const main = $('embed');
  if (!main) return; // the "not found" page
  const id = main.dataset.videoId;
  const Hls = await import('./vendor/hls.min.mjs').then((m) => m.default, () => null);
  const message = $('embed-message');
  const say = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  const fresh = async () => {
    const v = await api('GET', videoPath(id));
    return v.playback || null;
  };
  const player = createPlayer($('embed-player'), {
    Hls, label: document.title, renew: fresh, onError: say,
  });
  document.addEventListener('keydown', (event) => player.handleKey(event));

  let url = main.dataset.playbackUrl;
  let poster = main.dataset.posterUrl;
  let renditions = [];
  // Not playable yet: wait for the transcode, saying so.
  while (!url) {
    say(main.dataset.status === 'failed' ? 'This video could not be processed.' : 'This video is being processed; it will play here once ready.');
    if (main.dataset.status === 'failed') return;
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      const v = await api('GET', videoPath(id));
      main.dataset.status = v.status;
      if (v.playback) ({ url, poster_url: poster } = v.playback);
      renditions = v.renditions || [];
    } catch (e) {
      if (e.status === 404) { say('This video is no longer available.'); return; }
    }
  }
  say('');
  player.load({ url, poster, renditions });
}

init();
