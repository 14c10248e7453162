// Who is who: a cache of staff names (from the session, from the assignees
// the lists carry, and for supervisors from GET /api/v1/status), so message
// authors and assignees show a name rather than a number.
import { get } from './api.js';
import { t } from './i18n.js';

const names = new Map();
let me = null;

export function setMe(staff) {
  me = staff;
  if (staff) remember(staff);
}

export function getMe() { return me; }

export function isSupervisor() {
  return !!me && (me.role === 'supervisor' || me.role === 'admin');
}

export function remember(s) {
  if (s && typeof s.id === 'number') names.set(s.id, s.display_name || s.login || '');
}

export function staffName(id) {
  if (id === null || id === undefined) return '';
  if (me && id === me.id) return t('you');
  return names.get(id) || t('operator_n', { id });
}

// GET /api/v1/status (supervisor+): every staff member with status and
// open/capacity counts. Resolves the array, or null when it cannot.
export async function loadStatusBoard() {
  const r = await get('/api/v1/status');
  if (r.status !== 200 || !r.json || !Array.isArray(r.json.staff)) return null;
  for (const s of r.json.staff) remember(s);
  return r.json.staff;
}

export function forget() {
  names.clear();
  me = null;
}
