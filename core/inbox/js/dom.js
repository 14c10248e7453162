// Small DOM helpers. Text always goes through textContent: nothing a
// customer or an operator wrote is ever parsed as HTML.
import { t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

// el('div', {class: 'row', text: 'hello', data: {id: 'x'}, attrs: {title: 'y'}}, child...)
export function el(tag, opts = {}, ...children) {
  const e = document.createElement(tag);
  if (opts.class) e.className = opts.class;
  if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
  if (opts.data) for (const [k, v] of Object.entries(opts.data)) e.dataset[k] = String(v);
  if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) e.setAttribute(k, String(v));
  if (opts.title) e.title = opts.title;
  for (const c of children) if (c) e.append(c);
  return e;
}

// Milliseconds since an ISO time (null for none).
export function since(iso, now = Date.now()) {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : Math.max(0, now - at);
}

// "12秒" / "3分" / "1時間5分" / "2日": how long the customer has waited.
export function formatElapsed(ms) {
  if (ms === null) return '';
  const s = Math.floor(ms / 1000);
  if (s < 5) return t('ago_now');
  if (s < 60) return t('ago_s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('ago_m', { n: m });
  const h = Math.floor(m / 60);
  if (h < 24) return t('ago_h', { h, m: m % 60 });
  return t('ago_d', { n: Math.floor(h / 24) });
}

// 61500 ms -> "1:02": a recording's length or a call's talk time (rounded
// to the second: a 999 ms file is "0:01").
export function formatDuration(ms) {
  const s = Math.round(Math.max(0, Number(ms) || 0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// Severity of a wait, for the colour of the timer: fresh < 5 min <= warn < 15 min <= late.
export function waitLevel(ms) {
  if (ms === null) return 'none';
  if (ms < 5 * 60000) return 'fresh';
  if (ms < 15 * 60000) return 'warn';
  return 'late';
}

export function formatClock(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return hm;
  return `${d.toLocaleDateString([], { month: 'numeric', day: 'numeric' })} ${hm}`;
}

let toastTimer = null;
export function toast(text, kind = 'info') {
  const box = $('toast');
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
}

// Closes every open popup menu except keep.
export function closeMenus(keep = null) {
  for (const m of document.querySelectorAll('.menu')) if (m !== keep) m.hidden = true;
}
