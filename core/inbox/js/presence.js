// The operator's presence in the header (OP-2, OP-4): the status menu (the
// three kinds, each with the sub-types admins defined), do-not-disturb, and
// browser notifications of a new assignment, offer or ringing call — never
// while do-not-disturb is on (it silences notifications only; it never
// changes assignment). Notification permission is asked on a click (the
// DND button), as browsers require a user gesture.
import { get, put } from './api.js';
import { t } from './i18n.js';
import { $, el, toast } from './dom.js';

const KINDS = ['available', 'away', 'offline'];
let subtypes = [];
let dnd = false;

// The option value of a status: the kind for its default sub-type,
// "kind:id" for another.
function valueOf(status, subtypeName) {
  const st = subtypes.find((s) => s.kind === status && s.name === subtypeName && !s.default);
  return st ? `${status}:${st.id}` : status;
}

function renderMenu() {
  const sel = $('my-status');
  const keep = sel.value;
  sel.replaceChildren();
  for (const kind of KINDS) {
    const group = el('optgroup', { attrs: { label: t(`status_${kind}`) } });
    group.append(el('option', { text: t(`status_${kind}`), attrs: { value: kind } }));
    for (const s of subtypes.filter((x) => x.kind === kind && !x.default))
      group.append(el('option', { text: s.name, attrs: { value: `${kind}:${s.id}` } }));
    sel.append(group);
  }
  if (keep) sel.value = keep;
}

export function showMyStatus(status, subtypeName) {
  $('my-status').value = valueOf(status, subtypeName);
  $('my-status-dot').className = `dot dot-${status}`;
}

function showDnd(on) {
  dnd = !!on;
  const b = $('dnd');
  b.setAttribute('aria-pressed', dnd ? 'true' : 'false');
  b.textContent = dnd ? t('dnd_on') : t('dnd_off');
  b.title = t('dnd_hint');
}

// Reads the sub-types and one's own status; hides the menu when it cannot.
export async function loadPresence() {
  const [types, mine] = await Promise.all([get('/api/v1/status/subtypes'), get('/api/v1/me/status')]);
  const box = document.querySelector('.status-select');
  if (mine.status !== 200 || !mine.json) { box.hidden = true; $('dnd').hidden = true; return; }
  subtypes = types.status === 200 && types.json && Array.isArray(types.json.subtypes) ? types.json.subtypes : [];
  box.hidden = false;
  $('dnd').hidden = false;
  renderMenu();
  showMyStatus(mine.json.status, mine.json.subtype);
  showDnd(mine.json.dnd);
}

export function relabelPresence() {
  renderMenu();
  showDnd(dnd);
}

async function onStatusChange(e) {
  const [status, id] = e.target.value.split(':');
  const body = id ? { status, subtype: Number(id) } : { status };
  const r = await put('/api/v1/me/status', body);
  if (r.status === 200 && r.json) showMyStatus(r.json.status, r.json.subtype);
  else { toast(t('action_error'), 'error'); loadPresence(); }
}

async function onDnd() {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default')
    Notification.requestPermission().catch(() => {});
  const r = await put('/api/v1/me/dnd', { dnd: !dnd });
  if (r.status === 200 && r.json) showDnd(r.json.dnd);
  else toast(t('action_error'), 'error');
}

// A browser notification (or a toast when they are not allowed), unless
// do-not-disturb is on. text is plain text.
function notify(text, tag) {
  if (dnd) return;
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted' && document.hidden) {
    try { new Notification('tsunagu', { body: text, tag }); return; } catch { /* fall back */ }
  }
  toast(text);
}

// Events that concern me: my status changed elsewhere (a supervisor, the
// missed-offer autopause), something assigned or offered to me, my phone
// rings. link(id) opens a conversation.
export function presenceEvent(ev, me) {
  const d = ev.data || {};
  if (!me) return;
  if (ev.type === 'staff.status_changed' && d.staff === me.id) {
    showMyStatus(d.status, d.subtype);
    if (d.reason === 'missed_offers') toast(t('set_away_missed'), 'error');
  } else if (ev.type === 'staff.routing_changed' && d.staff === me.id && d.changed && 'dnd' in d.changed) {
    showDnd(d.changed.dnd);
  } else if (ev.type === 'conversation.offered' && d.staff === me.id) {
    notify(t('new_offered'), `conv-${d.conversation}`);
  } else if (ev.type === 'conversation.assigned' && d.staff === me.id && d.by !== me.id) {
    notify(t('new_assigned'), `conv-${d.conversation}`);
  } else if (ev.type === 'call.offered' && d.staff === me.id) {
    notify(t('call_incoming_notice'), `call-${d.call}`);
  }
}

export function setupPresence() {
  $('my-status').addEventListener('change', onStatusChange);
  $('dnd').addEventListener('click', onDnd);
}
