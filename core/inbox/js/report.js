// The status-time report (OP-6): per operator, the time spent in each status
// (a stacked bar and the figures), chats handled, calls answered, call time
// and after-call work, for today, this week, this month or any period;
// a row opens to its days and sub-types. Supervisors and admins see every
// operator, an operator themself (the server decides). Names are text only.
import { get } from './api.js';
import { t } from './i18n.js';
import { $, el } from './dom.js';

const KINDS = ['available', 'away', 'offline'];
const REPORT = '/api/v1/reports/status-time';

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

// [from, to] (inclusive, local dates) of a period kind; weeks start on Monday.
export function periodDates(kind, now = new Date()) {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (kind === 'week') {
    const monday = new Date(today);
    monday.setDate(today.getDate() - ((today.getDay() + 6) % 7));
    return [ymd(monday), ymd(today)];
  }
  if (kind === 'month') return [ymd(new Date(today.getFullYear(), today.getMonth(), 1)), ymd(today)];
  return [ymd(today), ymd(today)];
}

// 3725 -> "1:02:05"
export function hms(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

// A stacked bar of the status kinds; widths through the CSSOM (the CSP
// forbids style attributes, not this).
function bar(fig) {
  const total = KINDS.reduce((n, k) => n + (fig.seconds[k] || 0), 0);
  const b = el('div', { class: 'report-bar', attrs: { role: 'img' } });
  const parts = [];
  for (const k of KINDS) {
    const s = fig.seconds[k] || 0;
    parts.push(`${t(`status_${k}`)} ${hms(s)}`);
    if (!total || !s) continue;
    const seg = el('span', { class: `report-seg seg-${k}` });
    seg.style.width = `${(100 * s) / total}%`;
    b.append(seg);
  }
  b.setAttribute('aria-label', parts.join(', '));
  b.title = parts.join('\n');
  return b;
}

function subtypeText(fig) {
  return (fig.subtypes || [])
    .map((s) => `${t(`status_${s.status}`)}: ${s.subtype} ${hms(s.seconds)}`)
    .join(' / ');
}

function figureCells(fig) {
  return [
    el('td', {}, bar(fig)),
    ...KINDS.map((k) => el('td', { class: 'num', text: hms(fig.seconds[k]) })),
    el('td', { class: 'num', text: fig.chats }),
    el('td', { class: 'num', text: fig.calls }),
    el('td', { class: 'num', text: hms(fig.call_seconds) }),
    el('td', { class: 'num', text: hms(fig.acw_seconds) }),
  ];
}

function active(fig) {
  return fig.seconds.available || fig.seconds.away || fig.chats || fig.calls;
}

export class StatusReport {
  constructor() {
    this.period = $('report-period');
    this.from = $('report-from');
    this.to = $('report-to');
    this.csv = $('report-csv');
    this.body = $('report-body');
    this.error = $('report-error');
    this.empty = $('report-empty');
    this.data = null;
    this.open = new Set(); // staff ids shown with their days
    this.seq = 0;
    this.period.addEventListener('change', () => this.onPeriod());
    $('report-form').addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
  }

  show() {
    if (!this.from.value) this.onPeriod(); else this.load();
  }

  onPeriod() {
    const custom = this.period.value === 'custom';
    this.from.disabled = !custom;
    this.to.disabled = !custom;
    if (!custom) [this.from.value, this.to.value] = periodDates(this.period.value);
    this.load();
  }

  async load() {
    const q = new URLSearchParams({ from: this.from.value, to: this.to.value }).toString();
    this.csv.href = `${REPORT}?${q}&format=csv`;
    $('report-calls-csv').href = `/api/v1/reports/calls?${q}&format=csv`;
    const seq = ++this.seq;
    const r = await get(`${REPORT}?${q}`);
    if (seq !== this.seq) return; // a newer request is on its way
    if (r.status !== 200 || !r.json) {
      this.data = null;
      this.body.replaceChildren();
      this.empty.hidden = true;
      this.error.textContent = (r.json && r.json.error && r.json.error.message) || t('report_error');
      this.error.hidden = false;
      return;
    }
    this.error.hidden = true;
    this.data = r.json;
    this.render();
  }

  relabel() {
    if (this.data) this.render();
  }

  toggle(id) {
    if (this.open.has(id)) this.open.delete(id); else this.open.add(id);
    this.render();
  }

  render() {
    const rows = [];
    const { staff, days } = this.data;
    this.empty.hidden = staff.length > 0;
    for (const s of staff) {
      const expanded = this.open.has(s.id);
      const name = el('button', {
        class: 'report-name', text: s.display_name || s.login,
        attrs: { type: 'button', 'aria-expanded': expanded ? 'true' : 'false' },
      });
      name.addEventListener('click', () => this.toggle(s.id));
      const sub = subtypeText(s.total);
      rows.push(el('tr', { class: 'report-row' },
        el('th', { attrs: { scope: 'row' } }, name, sub ? el('div', { class: 'report-sub', text: sub }) : null),
        ...figureCells(s.total)));
      if (!expanded) continue;
      let shown = 0;
      s.days.forEach((d, i) => {
        if (!active(d)) return;
        shown++;
        const subs = subtypeText(d);
        rows.push(el('tr', { class: 'report-day' },
          el('th', { attrs: { scope: 'row' } }, el('span', { text: days[i] }),
            subs ? el('div', { class: 'report-sub', text: subs }) : null),
          ...figureCells(d)));
      });
      if (!shown)
        rows.push(el('tr', { class: 'report-day' }, el('td', { attrs: { colspan: 9 }, text: t('report_no_days') })));
    }
    this.body.replaceChildren(...rows);
  }
}
