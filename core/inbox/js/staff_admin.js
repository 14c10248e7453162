// The staff page (#/admin; supervisors and admins): per operator, which
// inquiries they receive (chat, phone, both), their chat and call
// capacities and "assign chats during a call" (OP-3, OP-5); for admins, the
// status sub-types (a simple list: add, rename, delete). Every name is set
// with textContent.
import { api, get, post, seg } from './api.js';
import { t } from './i18n.js';
import { $, el, toast } from './dom.js';
import { getMe } from './staff.js';

const KINDS = ['available', 'away', 'offline'];

function numberInput(value, label) {
  return el('input', { attrs: { type: 'number', min: '0', max: '100', value, 'aria-label': label } });
}

async function saveStaff(s, row) {
  const body = {
    inquiry_types: row.querySelector('select').value,
    chat_capacity: Number(row.querySelector('[data-field="chat"]').value),
    call_capacity: Number(row.querySelector('[data-field="call"]').value),
    chats_during_call: row.querySelector('input[type="checkbox"]').checked,
  };
  const r = await api('PATCH', `/api/v1/staff/${seg(s.id)}`, body);
  toast(r.status === 200 ? t('saved') : t('action_error'), r.status === 200 ? 'info' : 'error');
}

function staffRow(s) {
  const types = el('select', { attrs: { 'aria-label': t('inquiry_types') } });
  for (const v of ['both', 'chat', 'phone'])
    types.append(el('option', { text: t(`inquiry_${v}`), attrs: { value: v } }));
  types.value = s.inquiry_types || 'both';
  const chat = numberInput(s.chat_capacity, t('chat_capacity'));
  chat.dataset.field = 'chat';
  const call = numberInput(s.call_capacity, t('call_capacity'));
  call.dataset.field = 'call';
  const during = el('input', { attrs: { type: 'checkbox', 'aria-label': t('chats_during_call') } });
  during.checked = !!s.chats_during_call;
  const save = el('button', { class: 'btn', text: t('save'), attrs: { type: 'button' } });
  const row = el('tr', {},
    el('td', { text: s.display_name || s.login }),
    el('td', { text: `${t(`status_${s.status}`)}${s.subtype && s.subtype !== s.status ? ` (${s.subtype})` : ''}` }),
    el('td', {}, types), el('td', {}, chat), el('td', {}, call), el('td', {}, during), el('td', {}, save));
  save.addEventListener('click', () => saveStaff(s, row));
  return row;
}

// Rows replace the old ones at once: two renders in flight never add up.
async function renderStaff() {
  const r = await get('/api/v1/status');
  if (r.status !== 200 || !r.json) { toast(t('action_error'), 'error'); return; }
  $('admin-staff').replaceChildren(...r.json.staff.map(staffRow));
}

async function renderSubtypes() {
  const r = await get('/api/v1/status/subtypes');
  if (r.status !== 200 || !r.json) return;
  const items = [];
  for (const s of r.json.subtypes) {
    const name = el('input', { attrs: { value: s.name, maxlength: '64', 'aria-label': t('subtype_name') } });
    const li = el('li', {}, el('span', { class: 'chip', text: t(`status_${s.kind}`) }), name);
    const rename = el('button', { class: 'btn', text: t('save'), attrs: { type: 'button' } });
    rename.addEventListener('click', async () => {
      const res = await api('PATCH', `/api/v1/status/subtypes/${seg(s.id)}`, { name: name.value });
      toast(res.status === 200 ? t('saved') : t('action_error'), res.status === 200 ? 'info' : 'error');
    });
    li.append(rename);
    if (!s.default) {
      const del = el('button', { class: 'btn btn-ghost', text: t('delete'), attrs: { type: 'button' } });
      del.addEventListener('click', async () => {
        const res = await api('DELETE', `/api/v1/status/subtypes/${seg(s.id)}`);
        if (res.status === 204) renderSubtypes(); else toast(t('action_error'), 'error');
      });
      li.append(del);
    }
    items.push(li);
  }
  $('admin-subtypes').replaceChildren(...items);
}

async function addSubtype(e) {
  e.preventDefault();
  const form = e.target;
  const r = await post('/api/v1/status/subtypes', { kind: form.kind.value, name: form.name.value });
  if (r.status === 201) { form.name.value = ''; renderSubtypes(); } else toast(t('action_error'), 'error');
}

export function showAdmin() {
  const me = getMe();
  $('admin-subtypes-section').hidden = !me || me.role !== 'admin';
  renderStaff();
  if (me && me.role === 'admin') renderSubtypes();
}

export function setupAdmin() {
  const kind = $('subtype-form').kind;
  for (const k of KINDS) kind.append(el('option', { text: t(`status_${k}`), attrs: { value: k } }));
  $('subtype-form').addEventListener('submit', addSubtype);
}
