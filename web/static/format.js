// format.js: numbers, dates and names as the page shows them.

// fmtBytes writes a byte count in B, kB, MB or GB.
export function fmtBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

// fmtDuration writes seconds as m:ss or h:mm:ss ('' when unknown).
export function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

// fmtKbps writes a bit rate in kb/s.
export const fmtKbps = (bps) => `${Math.round(bps / 1000).toLocaleString()} kb/s`;

// fmtPercent writes a fraction (0..1, clamped) as a whole percentage.
export const fmtPercent = (fraction) => `${Math.floor(Math.max(0, Math.min(1, fraction)) * 100)} %`;

// videoName is what the page calls a video: its title, else its file name, else its id.
export const videoName = (v) => v.title || v.filename || v.id;

// fmtDate writes an ISO time in the reader's locale ('' when invalid).
export function fmtDate(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
