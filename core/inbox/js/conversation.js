// One conversation: its history, the join bar (CONV-2: joining is needed
// before writing to the customer), the reply box with its internal-note mode
// (CONV-3: notes look different and are sent with kind "note"), the
// assignee, and close / snooze / reopen / assign (supervisors).
import { get, post, seg, errorCode } from './api.js';
import { $, el, formatClock, toast, closeMenus } from './dom.js';
import { t } from './i18n.js';
import { staffName, isSupervisor, loadStatusBoard, getMe } from './staff.js';
import { renderCallRecords } from './calls.js';
import { attachComposerKeys } from './composer.js';

export class ConversationView {
  // onChanged(): the conversation's state changed (lists should reload).
  // onClosed(): the view was left (back button on narrow screens).
  constructor({ onChanged, onBack }) {
    this.onChanged = onChanged;
    this.id = null;
    this.conv = null;
    this.lastId = 0;
    this.mode = 'reply';
    this.fetching = null;
    this.fetchAgain = false;
    this.openGen = 0;

    $('back').addEventListener('click', onBack);
    $('join').addEventListener('click', () => this.join());
    $('close').addEventListener('click', () => this.action('close'));
    $('reopen').addEventListener('click', () => this.action('reopen'));
    $('copy-link').addEventListener('click', () => this.copyLink());
    $('snooze').addEventListener('click', (e) => {
      e.stopPropagation();
      const m = $('snooze-menu');
      closeMenus(m);
      m.hidden = !m.hidden;
    });
    for (const b of document.querySelectorAll('#snooze-menu [data-snooze]'))
      b.addEventListener('click', () => { closeMenus(); this.snooze(b.dataset.snooze); });
    $('assign').addEventListener('click', (e) => { e.stopPropagation(); this.toggleAssign(); });
    $('assign-menu').addEventListener('click', (e) => e.stopPropagation());
    for (const tab of document.querySelectorAll('.composer-tabs .tab'))
      tab.addEventListener('click', () => this.setMode(tab.dataset.mode));
    $('reply-form').addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    attachComposerKeys($('reply-text'), () => this.send());
    this.setMode('reply');
  }

  async open(publicId) {
    const gen = ++this.openGen;
    this.id = publicId;
    this.conv = null;
    this.lastId = 0;
    $('messages').replaceChildren();
    $('conv-placeholder').hidden = true;
    $('conv-view').hidden = false;
    $('composer-error').hidden = true;
    closeMenus();
    const ok = await this.loadDetail();
    if (gen !== this.openGen) return;
    if (!ok) return;
    await this.fetchNew();
    if (gen === this.openGen) $('reply-text').focus();
  }

  leave() {
    this.openGen++;
    this.id = null;
    this.conv = null;
    $('conv-view').hidden = true;
    $('conv-placeholder').hidden = false;
    $('messages').replaceChildren();
  }

  async loadDetail() {
    const id = this.id;
    const r = await get(`/api/v1/conversations/${seg(id)}`);
    if (id !== this.id) return false;
    if (r.status !== 200 || !r.json || !r.json.conversation) {
      $('conv-name').textContent = t('not_found');
      for (const e of ['conv-channel', 'conv-state', 'conv-assignee']) $(e).textContent = '';
      $('composer').hidden = true;
      document.querySelector('.conv-actions').hidden = true;
      return false;
    }
    this.conv = r.json.conversation;
    this.renderHead();
    return true;
  }

  renderHead() {
    const c = this.conv;
    $('composer').hidden = false;
    document.querySelector('.conv-actions').hidden = false;
    $('conv-name').textContent = (c.contact && c.contact.name) || t('visitor');
    $('conv-channel').textContent = c.channel;
    const st = $('conv-state');
    st.textContent = t(`state_${c.state}`);
    st.className = `state state-${c.state}`;
    const a = c.assignee && typeof c.assignee === 'object' ? c.assignee.id : c.assignee;
    $('conv-assignee').textContent = a ? staffName(a) : t('unassigned');
    $('conv-assignee').classList.toggle('none', !a);
    const closed = c.state === 'closed';
    $('close').hidden = closed;
    $('snooze').hidden = closed || c.state === 'snoozed';
    $('reopen').hidden = !(closed || c.state === 'snoozed');
    $('assign').hidden = !isSupervisor() || closed;
    renderCallRecords(c, $('conv-calls'), (id) => { location.hash = `#/conversations/${id}`; });
    this.renderComposer();
  }

  setMode(mode) {
    this.mode = mode === 'note' ? 'note' : 'reply';
    $('composer').dataset.mode = this.mode;
    for (const tab of document.querySelectorAll('.composer-tabs .tab')) {
      const on = tab.dataset.mode === this.mode;
      tab.classList.toggle('active', on);
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    this.renderComposer();
    if (!$('reply-form').hidden) $('reply-text').focus();
  }

  renderComposer() {
    const c = this.conv;
    const joined = !!(c && c.joined);
    const closed = !!(c && c.state === 'closed');
    const needJoin = this.mode === 'reply' && c && !joined && !closed;
    $('join-bar').hidden = !needJoin;
    $('reply-form').hidden = needJoin;
    // assigned to me but not joined: the router offered it; joining accepts
    const me = getMe();
    const a = c && (c.assignee && typeof c.assignee === 'object' ? c.assignee.id : c.assignee);
    const offered = !!(me && a === me.id);
    $('join-hint').textContent = t(offered ? 'accept_hint' : 'join_hint');
    $('join').textContent = t(offered ? 'accept' : 'join');
    const text = $('reply-text');
    text.placeholder = t(this.mode === 'note' ? 'placeholder_note' : 'placeholder_reply');
    const disabled = this.mode === 'reply' && closed;
    text.disabled = disabled;
    $('send').disabled = disabled;
  }

  // Messages with an id above the last one shown, oldest first, in pages.
  // Concurrent calls collapse into one more round.
  async fetchNew() {
    if (this.fetching) { this.fetchAgain = true; return this.fetching; }
    this.fetching = (async () => {
      do {
        this.fetchAgain = false;
        const id = this.id;
        for (;;) {
          const r = await get(`/api/v1/conversations/${seg(id)}/messages?after=${this.lastId}&limit=500`);
          if (id !== this.id || r.status !== 200 || !r.json) break;
          const msgs = r.json.messages || [];
          for (const m of msgs) this.append(m);
          if (msgs.length < 500) break;
        }
      } while (this.fetchAgain);
    })();
    try { await this.fetching; } finally { this.fetching = null; }
    this.renderEmpty();
  }

  renderEmpty() {
    const list = $('messages');
    const empty = list.querySelector('.no-messages');
    const has = list.querySelector('.msg');
    if (!has && !empty) list.append(el('li', { class: 'no-messages', text: t('no_messages') }));
    if (has && empty) empty.remove();
  }

  append(m) {
    if (typeof m.id !== 'number' || m.id <= this.lastId) return;
    this.lastId = m.id;
    const list = $('messages');
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const me = getMe();
    let who;
    if (m.kind === 'customer') who = (this.conv && this.conv.contact && this.conv.contact.name) || t('visitor');
    else if (m.kind === 'system') who = t('system');
    else who = m.author ? staffName(m.author) : t('system');
    const meta = el('div', { class: 'msg-meta' },
      m.kind === 'note' ? el('span', { class: 'note-label', text: t('note_label') }) : null,
      el('span', { class: 'msg-author', text: who }),
      el('time', { class: 'msg-time', text: formatClock(m.created_at), attrs: m.created_at ? { datetime: m.created_at } : {} }));
    const body = el('div', { class: 'msg-body', text: m.text });
    const li = el('li', {
      class: `msg msg-${m.kind}` + (me && m.author === me.id ? ' mine' : ''),
      data: { kind: m.kind, id: m.id },
    }, el('div', { class: 'bubble' }, meta, body));
    list.append(li);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  async send() {
    const text = $('reply-text');
    const value = text.value;
    if (!value.trim() || !this.conv || $('send').disabled) return;
    const kind = this.mode === 'note' ? 'note' : 'operator';
    $('send').disabled = true;
    const r = await post(`/api/v1/conversations/${seg(this.id)}/messages`, { kind, text: value });
    $('send').disabled = false;
    if (r.status === 201) {
      if (text.value === value) text.value = '';
      $('composer-error').hidden = true;
      await this.fetchNew();
      const list = $('messages');
      list.scrollTop = list.scrollHeight;
      this.onChanged();
    } else {
      this.showError(r, 'send_error');
    }
    text.focus();
  }

  showError(r, fallback) {
    const code = errorCode(r);
    const msg = code === 'forbidden' ? t('forbidden') : code === 'conflict' ? t('conflict') : t(fallback);
    $('composer-error').textContent = msg;
    $('composer-error').hidden = false;
    toast(msg, 'error');
  }

  async join() {
    const r = await post(`/api/v1/conversations/${seg(this.id)}/join`);
    if (r.status !== 200) { this.showError(r, 'action_error'); return; }
    this.conv = r.json.conversation;
    this.renderHead();
    $('reply-text').focus();
    this.onChanged();
  }

  async action(name, body = {}) {
    const r = await post(`/api/v1/conversations/${seg(this.id)}/${name}`, body);
    if (r.status !== 200) { this.showError(r, 'action_error'); return null; }
    await this.loadDetail();
    this.onChanged();
    return r;
  }

  snooze(choice) {
    const now = new Date();
    let until = null;
    if (choice === '1h') until = new Date(now.getTime() + 3600e3);
    else if (choice === '4h') until = new Date(now.getTime() + 4 * 3600e3);
    else if (choice === 'tomorrow') {
      until = new Date(now);
      until.setDate(until.getDate() + 1);
      until.setHours(9, 0, 0, 0);
    }
    return this.action('snooze', until ? { until: until.toISOString() } : {});
  }

  async toggleAssign() {
    const menu = $('assign-menu');
    if (!menu.hidden) { menu.hidden = true; return; }
    closeMenus(menu);
    // never show the counts of an earlier opening while fetching today's
    menu.replaceChildren(el('p', { class: 'muted', text: t('loading') }));
    menu.hidden = false;
    await this.renderPicker();
  }

  // The operator picker: status, open/capacity counts, available first.
  async renderPicker() {
    const menu = $('assign-menu');
    if (menu.hidden) return;
    const staff = await loadStatusBoard();
    if (!staff) {
      menu.replaceChildren(el('p', { class: 'error', text: t('assign_load_error') }));
      return;
    }
    const order = { available: 0, away: 1, offline: 2 };
    staff.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) ||
      (a.open_chats / Math.max(1, a.chat_capacity)) - (b.open_chats / Math.max(1, b.chat_capacity)) ||
      String(a.display_name || a.login).localeCompare(String(b.display_name || b.login)));
    const current = this.conv && (typeof this.conv.assignee === 'object' && this.conv.assignee
      ? this.conv.assignee.id : this.conv.assignee);
    const items = staff.filter((s) => !s.disabled).map((s) => {
      const full = s.open_chats >= s.chat_capacity;
      const b = el('button', {
        class: 'picker-item' + (full ? ' full' : '') + (s.id === current ? ' current' : ''),
        data: { staff: s.id, status: s.status },
        attrs: { type: 'button' },
      },
      el('span', { class: `dot dot-${s.status}`, attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'picker-name', text: s.display_name || s.login }),
      el('span', { class: 'picker-status', text: t(`status_${s.status}`) }),
      el('span', { class: 'picker-cap', text: t('capacity', { open: s.open_chats, cap: s.chat_capacity }) }));
      b.addEventListener('click', () => this.assign(s));
      return b;
    });
    menu.replaceChildren(el('div', { class: 'menu-title', text: t('assign_title') }), ...items);
  }

  async assign(s) {
    closeMenus();
    const r = await this.action('assign', { staff: s.id });
    if (!r) return;
    const name = s.display_name || s.login;
    if (r.json && r.json.over_capacity) toast(t('over_capacity', { name }), 'warn');
    else toast(t('assigned_to', { name }));
  }

  async copyLink() {
    const url = `${location.origin}${location.pathname}#/conversations/${encodeURIComponent(this.id)}`;
    try {
      await navigator.clipboard.writeText(url);
      toast(t('link_copied'));
    } catch {
      toast(url);
    }
  }

  // An event from the feed (ev.data.conversation is the public id).
  onEvent(ev) {
    const d = ev.data || {};
    // call events name the call, not the conversation: a phone one reloads
    if (this.conv && this.conv.channel === 'phone' && ev.type.startsWith('call.')) {
      this.loadDetail();
      return;
    }
    if (!this.id || d.conversation !== this.id) {
      if (ev.type === 'staff.status_changed') this.renderPicker();
      return;
    }
    if (ev.type.startsWith('message.')) this.fetchNew();
    else if (ev.type.startsWith('conversation.')) this.loadDetail();
  }

  // Language switch: the labels made by code.
  relabel() {
    if (!this.conv) return;
    this.renderHead();
    this.renderComposer();
    const id = this.id;
    this.lastId = 0;
    $('messages').replaceChildren();
    if (id) this.fetchNew();
  }
}
