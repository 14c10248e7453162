// Phone calls in the inbox (TEL-1, TEL-4, TEL-10): the call-state badge of a
// phone conversation (ringing / talking / ended / missed + reason), the
// calls page (#/calls): waiting calls with answer and reject, then the
// calls being talked (who, for how long, live) with hang up; and a
// conversation's call records with "hang up" on a talking call and "call
// back" on a missed one. Everything shown is set with textContent.
import { get, post, seg, errorCode } from './api.js';
import { $, el, since, formatElapsed, formatDuration, formatClock, toast } from './dom.js';
import { t } from './i18n.js';
import { getMe, isSupervisor, staffName } from './staff.js';

// The badge of a call ({state, missed_reason}); null when there is none.
export function callBadge(call) {
  if (!call) return null;
  const missed = call.state === 'ended' && call.missed_reason;
  const kind = missed ? 'missed' : call.state;
  const text = missed ? `${t('call_missed')} · ${t(`missed_${call.missed_reason}`)}` : t(`call_${call.state}`);
  return el('span', { class: `call-state call-${kind}`, text, data: { call: kind } });
}

function seconds(ms) {
  return formatElapsed(ms === null || ms === undefined ? null : Math.max(ms, 5000));
}

// Operators hang up their own calls, supervisors and admins any (the
// permission calls.hangup); the server decides anyway.
function mayHangUp(c) {
  const me = getMe();
  return !!me && (isSupervisor() || c.staff === me.id);
}

// A "hang up" button for call c (POST /api/v1/calls/{id}/hangup); done()
// after the server answered, whatever it said.
function hangUpButton(c, done, id) {
  const b = el('button', { class: 'btn danger call-hangup', text: t('call_hangup'), attrs: { type: 'button', ...(id ? { id } : {}) }, data: { action: 'hangup' } });
  b.addEventListener('click', async () => {
    b.disabled = true;
    const r = await post(`/api/v1/calls/${seg(String(c.id))}/hangup`);
    b.disabled = false;
    if (r.status === 200) toast(t('call_hung_up'));
    else toast(errorCode(r) === 'conflict' ? t('call_gone') : t('action_failed'), 'error');
    done();
  });
  return b;
}

// The call records of a conversation into container; onChanged() after a
// call-back was placed (it opens the new conversation: id given).
export function renderCallRecords(conv, container, onCallBack) {
  const calls = (conv && conv.calls) || [];
  container.hidden = calls.length === 0;
  if (!calls.length) { container.replaceChildren(); return; }
  const rows = calls.map((c) => el('li', { class: 'call-record', data: { call: String(c.id) } },
    el('span', { class: 'chip', text: t(`call_dir_${c.direction}`) }),
    callBadge(c),
    el('span', { class: 'call-when', text: formatClock(c.queued_at) }),
    el('span', { class: 'call-figure', text: `${t('call_ring')} ${seconds(c.ring_ms)}` }),
    c.answered_at ? el('span', { class: 'call-figure', text: `${t('call_talk')} ${seconds(c.talk_ms)}` }) : null,
    c.answered_at ? el('span', { class: 'call-figure', text: `${t('call_acw')} ${seconds(c.acw_ms)}` }) : null,
    c.staff_login ? el('span', { class: 'call-staff', text: c.staff_login }) : null));
  const last = calls[calls.length - 1];
  const talking = last.state === 'talking' || (last.state === 'ringing' && last.direction === 'outbound');
  // the conversation view reloads on the call.* events the hang-up causes
  const hangup = talking && mayHangUp(last) ? hangUpButton(last, () => {}, 'call-hangup') : null;
  let back = null;
  if (last.state === 'ended' && last.missed_reason) {
    back = el('button', { class: 'btn btn-primary call-back', text: t('call_back'), attrs: { type: 'button', id: 'call-back' } });
    back.addEventListener('click', async () => {
      back.disabled = true;
      const r = await post(`/api/v1/conversations/${seg(conv.id)}/callback`);
      back.disabled = false;
      if (r.status === 201 && r.json) { toast(t('call_back_placed')); onCallBack(r.json.conversation.id); }
      else toast(errorCode(r) === 'conflict' ? t('call_not_missed') : t('action_failed'), 'error');
    });
  }
  container.replaceChildren(el('h3', { class: 'call-records-title', text: t('call_records') }),
    el('ol', { class: 'call-records' }, ...rows), hangup, back);
}

// The calls page (#/calls): the waiting calls (queued and ringing), oldest
// first, then the talking ones.
export class WaitingCalls {
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.items = [];
    this.talking = [];
    this.timer = null;
    this.shown = false;
  }

  show() { this.shown = true; this.refresh(); }
  hide() { this.shown = false; }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 150);
  }

  async refresh() {
    const [r, talk] = await Promise.all([get('/api/v1/calls'), get('/api/v1/calls?state=talking')]);
    const listed = (x) => x.status === 200 && x.json && Array.isArray(x.json.calls);
    const ok = listed(r) && listed(talk);
    $('calls-error').hidden = ok;
    $('calls-error').textContent = ok ? '' : t('list_error');
    if (!ok) return;
    this.items = r.json.calls;
    this.talking = talk.json.calls;
    const count = document.querySelector('[data-count="calls"]');
    if (count) count.textContent = this.items.length ? String(this.items.length) : '';
    if (this.shown) this.render();
  }

  render() {
    $('calls-empty').hidden = this.items.length > 0;
    $('calls-list').replaceChildren(...this.items.map((c) => this.row(c)));
    $('calls-talking-empty').hidden = this.talking.length > 0;
    $('calls-talking').replaceChildren(...this.talking.map((c) => this.talkingRow(c)));
    this.tick();
  }

  // A talked call: the caller, who talks (their login: staff names are
  // not known to operators) and for how long, live.
  talkingRow(c) {
    const open = el('button', { class: 'btn btn-ghost', text: t('call_open'), attrs: { type: 'button' } });
    open.addEventListener('click', () => this.onOpen(c.conversation));
    const who = c.staff === (getMe() && getMe().id) ? staffName(c.staff) : (c.staff_login || staffName(c.staff));
    return el('li', { class: 'call-row', data: { call: String(c.id), state: c.state } },
      el('span', { class: 'call-caller', text: c.caller || t('visitor') }),
      callBadge(c),
      el('span', { class: 'call-staff', text: who }),
      c.line ? el('span', { class: 'chip', text: c.line }) : null,
      el('span', { class: 'elapsed call-talked', data: { at: c.answered_at || '' } }),
      el('span', { class: 'call-actions' }, mayHangUp(c) ? hangUpButton(c, () => this.refresh()) : null, open));
  }

  row(c) {
    const answer = el('button', { class: 'btn btn-primary', text: t('call_answer'), attrs: { type: 'button' }, data: { action: 'answer' } });
    const reject = el('button', { class: 'btn', text: t('call_reject'), attrs: { type: 'button' }, data: { action: 'reject' } });
    const open = el('button', { class: 'btn btn-ghost', text: t('call_open'), attrs: { type: 'button' } });
    answer.addEventListener('click', () => this.act(c, 'answer'));
    reject.addEventListener('click', () => this.act(c, 'reject'));
    open.addEventListener('click', () => this.onOpen(c.conversation));
    return el('li', { class: 'call-row', data: { call: String(c.id), state: c.state } },
      el('span', { class: 'call-caller', text: c.caller || t('visitor') }),
      callBadge(c),
      c.line ? el('span', { class: 'chip', text: c.line }) : null,
      el('span', { class: 'elapsed call-waited', data: { at: c.queued_at || '' } }),
      el('span', { class: 'call-actions' }, answer, reject, open));
  }

  async act(c, action) {
    const r = await post(`/api/v1/calls/${seg(String(c.id))}/${action}`);
    if (r.status === 200) toast(t(action === 'answer' ? 'call_ringing_you' : 'call_rejected'));
    else toast(errorCode(r) === 'conflict' ? t('call_gone') : t('action_failed'), 'error');
    this.refresh();
  }

  // Once a second: how long each call has waited, or been talked.
  tick() {
    const now = Date.now();
    for (const span of document.querySelectorAll('#calls-list .call-waited'))
      span.textContent = formatElapsed(since(span.dataset.at, now));
    // a talk time reads like a phone's call timer: 3:07
    for (const span of document.querySelectorAll('#calls-talking .call-talked'))
      span.textContent = formatDuration(since(span.dataset.at, now));
  }
}
