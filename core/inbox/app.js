// The operator inbox (entry point). Modules under js/:
//   i18n.js        every UI string, one table per language
//   api.js         REST client (session cookie + CSRF header)
//   events.js      the events WebSocket, resuming with since=
//   staff.js       names of staff, the supervisor status board
//   presence.js    my status and sub-type, do-not-disturb, notifications
//   staff_admin.js the staff page: inquiry types, capacities, sub-types
//   list.js        the lists of CONV-7
//   conversation.js one conversation: history, join, reply, notes, actions
//   composer.js    Enter / Shift+Enter / IME handling of the reply box
//   report.js      the status-time report (#/reports)
//   calls.js       call-state badges, the waiting calls (#/calls), call records
//   rules.js       the rules page of admins (#/rules)
//   guidance.js    the voice guidance library and sets of admins (#/guidance)
//
// Routes (location.hash): #/view/<name> shows a list, #/conversations/<id>
// opens a conversation (CONV-6: links survive the login, since the login
// form never touches the hash).
import { api, get, post, setCsrf, setUnauthorizedHandler } from './js/api.js';
import { EventFeed } from './js/events.js';
import { t, language, setLanguage, applyStatic } from './js/i18n.js';
import { $, closeMenus } from './js/dom.js';
import { setMe, getMe, forget, isSupervisor } from './js/staff.js';
import { ConversationList, VIEWS } from './js/list.js';
import { ConversationView } from './js/conversation.js';
import { StatusReport } from './js/report.js';
import { WaitingCalls } from './js/calls.js';
import { RulesPage } from './js/rules.js';
import { GuidancePage } from './js/guidance.js';
import { loadPresence, relabelPresence, presenceEvent, setupPresence } from './js/presence.js';
import { showAdmin, setupAdmin } from './js/staff_admin.js';

let list = null;
let view = null;
let report = null;
let calls = null;
let rules = null;
let guidance = null;
let feed = null;
let ticker = null;
let started = false;

function showLogin(message) {
  stop();
  document.body.className = 'at-login';
  $('app').hidden = true;
  $('rules-page').hidden = true;
  $('me').hidden = true;
  $('login-screen').hidden = false;
  $('login-error').textContent = message || '';
  $('login').login.focus();
}

function stop() {
  started = false;
  if (feed) feed.stop();
  clearInterval(ticker);
  setCsrf(null);
  if (list) list.clear();
  if (view) view.leave();
  forget();
}

async function start(me) {
  setCsrf(me.csrf_token);
  setMe(me.staff);
  started = true;
  const role = me.staff.role;
  document.body.className = `at-app role-${role}`;
  $('login-screen').hidden = true;
  $('app').hidden = false;
  $('me').hidden = false;
  $('me-name').textContent = me.staff.display_name || me.staff.login;
  $('me-role').textContent = t(`role_${role}`);
  $('me-role').dataset.role = role;
  $('rules-link').hidden = role !== 'admin';
  $('guidance-link').hidden = role !== 'admin';
  loadPresence();
  feed.start();
  ticker = setInterval(() => { list.tick(); calls.tick(); }, 1000);
  calls.refresh();
  route();
}

function route() {
  if (!started) return;
  const h = location.hash.replace(/^#\/?/, '');
  // the rules page is the admins' (the API refuses everyone else anyway)
  const onRules = h === 'rules' && getMe() && getMe().role === 'admin';
  $('rules-page').hidden = !onRules;
  $('app').hidden = onRules;
  const admin = h === 'admin' && isSupervisor();
  // route() runs once per hashchange, and two changes in a row both read
  // the final hash: render the staff page only on the way in, or a second
  // render would replace rows an admin is already editing
  const wasAdmin = document.body.classList.contains('admin-open');
  document.body.classList.toggle('admin-open', admin);
  const onReport = h === 'reports';
  document.body.classList.toggle('report-open', onReport);
  $('report-link').classList.toggle('active', onReport);
  const onCalls = h === 'calls';
  document.body.classList.toggle('calls-open', onCalls);
  $('calls-link').classList.toggle('active', onCalls);
  // like the rules, guidance is the admins' (the API refuses everyone else)
  const onGuidance = h === 'guidance' && getMe() && getMe().role === 'admin';
  document.body.classList.toggle('guidance-open', onGuidance);
  $('guidance-link').classList.toggle('active', onGuidance);
  if (!onGuidance) guidance.hide();
  if (onRules) { rules.open(); return; }
  if (admin) { if (!wasAdmin) showAdmin(); return; }
  if (onReport) { report.show(); return; }
  if (onGuidance) { calls.hide(); guidance.show(); return; }
  if (onCalls) { calls.show(); return; }
  calls.hide();
  const m = h.match(/^conversations\/([A-Za-z0-9_-]{1,64})$/);
  if (m) {
    const id = m[1];
    document.body.classList.add('conv-open');
    list.setSelected(id);
    if (view.id !== id) view.open(id);
    if (!list.loaded) { list.loaded = true; list.setView(savedView()); }
    return;
  }
  document.body.classList.remove('conv-open');
  const v = h.startsWith('view/') ? h.slice(5) : savedView();
  const name = VIEWS.includes(v) ? v : 'mine';
  try { sessionStorage.setItem('tsunagu.view', name); } catch { /* storage off */ }
  list.loaded = true;
  if (list.view !== name || !list.items.length) list.setView(name);
  // on a narrow screen the list replaces the conversation
  if (view.id && window.matchMedia('(max-width: 800px)').matches) {
    view.leave();
    list.setSelected(null);
  }
}

function savedView() {
  try { return sessionStorage.getItem('tsunagu.view') || 'mine'; } catch { return 'mine'; }
}

function onEvent(ev) {
  const type = ev.type || '';
  const me = getMe();
  presenceEvent(ev, me);
  if (type.startsWith('message.') || type.startsWith('conversation.') || type === 'route.decided'
      || type.startsWith('call.'))
    list.refreshSoon();
  if (type.startsWith('call.')) calls.refreshSoon();
  guidance.onEvent(ev);
  view.onEvent(ev);
}

async function onLogin(e) {
  e.preventDefault();
  const form = e.target;
  const r = await api('POST', '/api/v1/auth/login', {
    login: form.login.value, password: form.password.value,
  });
  form.password.value = '';
  if (r.status === 200 && r.json) {
    start(r.json);
  } else {
    const msg = r.status === 401 ? t('login_failed') : r.status === 429 ? t('login_locked') : t('login_error');
    $('login-error').textContent = msg;
  }
}

async function onLogout() {
  await post('/api/v1/auth/logout');
  showLogin();
}

function setup() {
  applyStatic();
  $('lang').value = language();
  $('lang').addEventListener('change', (e) => {
    setLanguage(e.target.value);
    if (started) {
      const me = getMe();
      $('me-role').textContent = t(`role_${me.role}`);
      list.setView(list.view);
      view.relabel();
      report.relabel();
      calls.render();
      if (guidance.shown) guidance.render();
      relabelPresence();
    }
  });
  list = new ConversationList({ onOpen: (id) => { location.hash = `#/conversations/${id}`; } });
  view = new ConversationView({
    onChanged: () => list.refreshSoon(),
    onBack: () => { location.hash = `#/view/${list.view}`; },
  });
  rules = new RulesPage();
  guidance = new GuidancePage();
  feed = new EventFeed({
    onEvent,
    onState: (s) => {
      $('live').dataset.state = s;
      $('live-text').textContent = s === 'live' ? t('live') : t('reconnecting');
      // after a reconnect, anything missed is also replayed; reload anyway
      if (s === 'live' && started) { list.refreshSoon(); if (view.id) view.fetchNew(); }
    },
    onSessionCheck: async () => {
      const r = await get('/api/v1/auth/me');
      return r.status === 200;
    },
  });
  report = new StatusReport();
  calls = new WaitingCalls({ onOpen: (id) => { location.hash = `#/conversations/${id}`; } });
  $('report-link').addEventListener('click', () => { location.hash = '#/reports'; });
  setUnauthorizedHandler(() => { if (started) showLogin(); });
  for (const b of document.querySelectorAll('.view-link'))
    b.addEventListener('click', () => { location.hash = `#/view/${b.dataset.view}`; });
  $('login').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  setupPresence();
  setupAdmin();
  $('admin-link').addEventListener('click', () => { location.hash = '#/admin'; });
  $('calls-link').addEventListener('click', () => { location.hash = '#/calls'; });
  $('guidance-link').addEventListener('click', () => { location.hash = '#/guidance'; });
  window.addEventListener('hashchange', route);
  document.addEventListener('click', () => closeMenus());
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeMenus(); });
}

async function boot() {
  setup();
  const me = await get('/api/v1/auth/me');
  document.body.classList.remove('booting');
  if (me.status === 200 && me.json) start(me.json); else showLogin();
}

boot();
