// captions.js: the owner's captions on the watch page: the video's
// captions (uploaded, and the file's own subtitles), a form to upload one
// (language, label, WebVTT or SubRip file) and Remove on each uploaded
// one. The server checks and converts the file; nothing of a caption's
// text ever goes into the page, and labels go in as text. After a change
// the player reloads its source, so that its captions menu lists it.
import { api, videoPath } from './api.js';
import { $, el } from './dom.js';

const state = { id: '', seq: 0, onChange: null };

// renderCaptions shows the captions tools for v when mine (the visitor
// may change v) and v is ready; onChange is called after each change.
export function renderCaptions(v, mine, onChange) {
  const show = mine && v.status === 'ready' && Boolean(v.playback);
  $('player-captions-tools').hidden = !show;
  state.onChange = onChange;
  if (!show || state.id === v.id) return;
  state.id = v.id;
  $('captions-list').replaceChildren();
  refresh();
}

function status(text, error = false) {
  const p = $('captions-status');
  p.className = error ? 'error' : '';
  p.textContent = text;
}

async function refresh() {
  const seq = ++state.seq;
  const id = state.id;
  try {
    const { captions } = await api('GET', `${videoPath(id)}/captions`);
    if (seq === state.seq) fill(captions);
  } catch (e) {
    if (seq === state.seq) status(`Could not list the captions: ${e.message}`, true);
  }
}

function fill(captions) {
  $('captions-list').replaceChildren(...captions.map((c) => {
    const item = el('li', { className: 'caption-item' }, el('span', { text: `${c.label} (${c.language})` }));
    if (c.source === 'upload') {
      const b = el('button', { type: 'button', className: 'secondary', text: 'Remove' });
      b.setAttribute('aria-label', `Remove the captions ${c.label} (${c.language})`);
      b.addEventListener('click', () => change('DELETE', c.language, null, `Removed ${c.label}.`));
      item.append(b);
    } else {
      item.append(el('span', { className: 'muted', text: 'from the file' }));
    }
    return item;
  }));
  $('captions-empty').hidden = captions.length > 0;
}

// change sends one PUT or DELETE, then lists the captions again and lets
// the player reload.
async function change(method, lang, file, done, label = '') {
  const form = $('captions-form');
  for (const c of form.elements) c.disabled = true;
  status(method === 'PUT' ? 'Uploading the captions…' : 'Removing the captions…');
  try {
    const query = label ? `?label=${encodeURIComponent(label)}` : '';
    const path = `${videoPath(state.id)}/captions/${encodeURIComponent(lang)}${query}`;
    if (file) await api(method, path, file, file.type || 'text/plain');
    else await api(method, path);
    status(done);
    if (file) form.reset();
    await refresh();
    if (state.onChange) state.onChange();
  } catch (e) {
    status(`Could not change the captions: ${e.message}`, true);
  } finally {
    for (const c of form.elements) c.disabled = false;
  }
}

// wireCaptions connects the upload form, once.
export function wireCaptions() {
  $('captions-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const lang = $('caption-lang').value.trim();
    const file = $('caption-file').files[0];
    if (!lang || !file) {
      status('Choose a language and a file.', true);
      return;
    }
    change('PUT', lang, file, `Captions added: ${lang}.`, $('caption-label').value.trim());
  });
}
