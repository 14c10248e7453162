// The minimal inbox: log in, show who you are, follow the live events.
// Every text that comes from the server (names, event data: possibly
// customer text) is set with textContent, never as HTML.
'use strict';

const state = { csrf: null, lastSeq: null, ws: null, retry: 0, stopped: false };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try { json = await res.json(); } catch (e) { /* empty body */ }
  return { status: res.status, json };
}

function showLogin(message) {
  $('who').hidden = true;
  $('feed').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

function showMe(me) {
  state.csrf = me.csrf_token;
  $('who-name').textContent = me.staff.display_name || me.staff.login;
  $('who-role').textContent = me.staff.role;
  $('who').hidden = false;
  $('login').hidden = true;
  $('feed').hidden = false;
  connect();
}

function addEvent(ev) {
  const li = document.createElement('li');
  const seq = document.createElement('span');
  seq.textContent = '#' + ev.seq;
  const type = document.createElement('span');
  type.className = 'type';
  type.textContent = ev.type;
  const data = document.createElement('span');
  data.textContent = JSON.stringify(ev.data || {});
  li.append(seq, type, data);
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

// The events WebSocket: resumes after the last sequence seen, so a
// reconnect shows every event exactly once.
function connect() {
  if (state.ws || state.stopped) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = proto + '//' + location.host + '/api/v1/events';
  if (state.lastSeq !== null) url += '?since=' + encodeURIComponent(state.lastSeq);
  const ws = new WebSocket(url);
  state.ws = ws;
  $('status').textContent = '…';
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (e) { return; }
    if (msg.type === 'hello') {
      $('status').textContent = '●';
      state.retry = 0;
      if (state.lastSeq === null) state.lastSeq = msg.committed_seq;
      return;
    }
    if (typeof msg.seq !== 'number' || msg.seq <= state.lastSeq) return;
    state.lastSeq = msg.seq;
    addEvent(msg);
  };
  ws.onclose = () => {
    state.ws = null;
    $('status').textContent = '○';
    if (state.stopped) return;
    const delay = Math.min(30000, 500 * 2 ** state.retry++);
    setTimeout(async () => {
      // a closed socket may mean the session ended
      const me = await api('GET', '/api/v1/auth/me');
      if (me.status === 200) connect(); else showLogin();
    }, delay);
  };
}

async function onLogin(e) {
  e.preventDefault();
  const form = e.target;
  const r = await api('POST', '/api/v1/auth/login', {
    login: form.login.value, password: form.password.value,
  });
  form.password.value = '';
  if (r.status === 200) {
    state.stopped = false;
    showMe(r.json);
  } else {
    showLogin(r.json && r.json.error ? r.json.error.message : 'error ' + r.status);
  }
}

async function onLogout() {
  state.stopped = true;
  if (state.ws) state.ws.close();
  await api('POST', '/api/v1/auth/logout', {});
  state.csrf = null;
  state.lastSeq = null;
  $('events').replaceChildren();
  showLogin();
}

document.addEventListener('DOMContentLoaded', async () => {
  $('login').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  const me = await api('GET', '/api/v1/auth/me');
  if (me.status === 200) showMe(me.json); else showLogin();
});
