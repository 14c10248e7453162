// The conversation lists of CONV-7 (all, mine/接客中, waiting/接客待ち,
// unreplied/未返信, replied/返信済み, snoozed, closed) with a channel filter.
// Each row shows the contact, the channel (a phone conversation: its call's
// state), the last customer-visible message, the assignee and the time since
// the customer's last message (ticking).
// The list is reloaded from REST when an event says something changed.
import { get, seg } from './api.js';
import { $, el, since, formatElapsed, waitLevel } from './dom.js';
import { t } from './i18n.js';
import { remember, staffName, getMe } from './staff.js';
import { callBadge } from './calls.js';

export const VIEWS = ['all', 'mine', 'waiting', 'unreplied', 'replied', 'snoozed', 'closed'];
const COUNTED = ['mine', 'waiting', 'unreplied'];

// A server that does not know ?view= yet answers every conversation without
// the `unreplied` member: then the view is applied here from the states.
function matchesView(c, view, meId) {
  const unreplied = 'unreplied' in c ? c.unreplied
    : !!c.last_customer_message_at &&
      (!c.last_operator_message_at || c.last_customer_message_at > c.last_operator_message_at);
  const assigneeId = c.assignee && typeof c.assignee === 'object' ? c.assignee.id : c.assignee;
  switch (view) {
    case 'mine': return assigneeId === meId && c.state !== 'closed';
    case 'waiting': return c.state === 'waiting';
    case 'unreplied': return c.state !== 'closed' && unreplied;
    case 'replied': return c.state !== 'closed' && !unreplied;
    case 'snoozed': return c.state === 'snoozed';
    case 'closed': return c.state === 'closed';
    default: return true;
  }
}

export class ConversationList {
  // onOpen(publicId): a row was chosen.
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.view = 'mine';
    this.channel = '';
    this.items = [];
    this.selected = null;
    this.channels = new Set(['web', 'phone']);
    this.timer = null;
    this.loading = false;
    this.again = false;
    this.generation = 0;
    $('channel-filter').addEventListener('change', (e) => {
      this.channel = e.target.value;
      this.refresh();
    });
  }

  setView(view) {
    if (!VIEWS.includes(view)) view = 'mine';
    this.view = view;
    for (const b of document.querySelectorAll('.view-link')) {
      b.classList.toggle('active', b.dataset.view === view);
      if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    $('list-title').textContent = t(`view_${view}`);
    this.items = [];
    this.render();
    this.refresh();
  }

  setSelected(publicId) {
    this.selected = publicId;
    for (const row of $('conv-list').children)
      row.classList.toggle('selected', row.dataset.id === publicId);
  }

  // Coalesces bursts of events into one reload.
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 150);
  }

  async fetchView(view, limit) {
    let path = `/api/v1/conversations?view=${seg(view)}&limit=${limit}`;
    if (this.channel) path += `&channel=${seg(this.channel)}`;
    const r = await get(path);
    if (r.status !== 200 || !r.json || !Array.isArray(r.json.conversations)) return null;
    const me = getMe();
    return r.json.conversations.filter((c) =>
      matchesView(c, view, me && me.id) && (!this.channel || c.channel === this.channel));
  }

  async refresh() {
    if (this.loading) { this.again = true; return; }
    this.loading = true;
    const gen = ++this.generation;
    try {
      const items = await this.fetchView(this.view, 200);
      if (gen !== this.generation) return;
      $('list-error').hidden = items !== null;
      $('list-error').textContent = items === null ? t('list_error') : '';
      if (items) {
        this.items = items;
        for (const c of items) {
          if (c.assignee && typeof c.assignee === 'object') remember(c.assignee);
          if (c.channel && !this.channels.has(c.channel)) this.channels.add(c.channel);
        }
        this.renderChannels();
        this.render();
      }
      await this.refreshCounts();
    } finally {
      this.loading = false;
      if (this.again) { this.again = false; this.refreshSoon(); }
    }
  }

  async refreshCounts() {
    for (const view of COUNTED) {
      const items = view === this.view ? this.items : await this.fetchView(view, 500);
      const badge = document.querySelector(`[data-count="${view}"]`);
      if (!badge) continue;
      const n = items ? items.length : 0;
      badge.textContent = n ? (n >= 500 ? '500+' : String(n)) : '';
    }
  }

  renderChannels() {
    const sel = $('channel-filter');
    const have = new Set([...sel.options].map((o) => o.value));
    for (const ch of [...this.channels].sort()) {
      if (!have.has(ch)) sel.append(el('option', { text: ch, attrs: { value: ch } }));
    }
  }

  render() {
    const list = $('conv-list');
    const rows = this.items.map((c) => this.row(c));
    list.replaceChildren(...rows);
    $('list-empty').hidden = this.items.length > 0;
    this.tick();
  }

  row(c) {
    const contact = (c.contact && c.contact.name) || t('visitor');
    const assigneeId = c.assignee && typeof c.assignee === 'object' ? c.assignee.id : c.assignee;
    const last = c.last_message;
    let preview = '';
    if (last) {
      const who = last.kind === 'operator' ? `${t('you')}: ` : last.kind === 'system' ? `${t('system')}: ` : '';
      preview = who + (last.text || '').replace(/\s+/g, ' ').trim();
    }
    const elapsed = el('span', { class: 'elapsed', data: { at: c.last_customer_message_at || '' } });
    const top = el('div', { class: 'row-top' },
      el('span', { class: 'row-name', text: contact }), elapsed);
    const mid = el('div', { class: 'row-preview', text: preview || '\u00a0' });
    const bot = el('div', { class: 'row-bottom' },
      el('span', { class: 'chip', text: c.channel }),
      callBadge(c.call),
      c.state !== 'open' ? el('span', { class: `state state-${c.state}`, text: t(`state_${c.state}`) }) : null,
      el('span', { class: 'row-assignee' + (assigneeId ? '' : ' none'),
        text: assigneeId ? staffName(assigneeId) : t('unassigned') }));
    const unreplied = 'unreplied' in c ? c.unreplied : false;
    const button = el('button', { class: 'row-button', attrs: { type: 'button' } }, top, mid, bot);
    const li = el('li', {
      class: 'conv-row' + (c.id === this.selected ? ' selected' : '') + (unreplied && c.state !== 'closed' ? ' unreplied' : ''),
      data: { id: c.id, state: c.state, channel: c.channel },
    }, button);
    button.addEventListener('click', () => this.onOpen(c.id));
    return li;
  }

  // Once a second: the time since each customer's last message.
  tick() {
    const now = Date.now();
    for (const span of document.querySelectorAll('#conv-list .elapsed')) {
      const ms = since(span.dataset.at, now);
      span.textContent = formatElapsed(ms);
      span.dataset.level = waitLevel(ms);
    }
  }

  clear() {
    this.items = [];
    this.selected = null;
    $('conv-list').replaceChildren();
    for (const b of document.querySelectorAll('.count')) b.textContent = '';
  }
}
