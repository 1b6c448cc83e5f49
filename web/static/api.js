// api.js: calls to reel's JSON API from the page, with the server's
// error message (or the HTTP status) as the thrown Error's message and the
// status as its .status (0: the server could not be reached).

// errorMessage pulls the message out of reel's {"error":{"message"}} body,
// or falls back to the HTTP status.
function errorMessage(status, statusText, body) {
  try {
    const msg = JSON.parse(body).error.message;
    if (typeof msg === 'string' && msg) return msg;
  } catch (_) { /* not JSON */ }
  return `The server answered ${status}${statusText ? ' ' + statusText : ''}.`;
}

// api sends one request and answers the parsed JSON body (null for 204).
// payload, if given, goes as the JSON body, or as itself (a File or Blob)
// with its contentType.
export async function api(method, path, payload, contentType) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (payload !== undefined) {
    const raw = payload instanceof Blob;
    init.headers['Content-Type'] = raw ? (contentType || payload.type) : 'application/json';
    init.body = raw ? payload : JSON.stringify(payload);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (_) {
    const err = new Error('The server cannot be reached.');
    err.status = 0;
    throw err;
  }
  if (res.status === 204) return null;
  const text = await res.text();
  if (!res.ok) {
    const err = new Error(errorMessage(res.status, res.statusText, text));
    err.status = res.status;
    throw err;
  }
  return JSON.parse(text);
}

// videoPath is the API path of one video.
export const videoPath = (id) => `/api/videos/${encodeURIComponent(id)}`;
