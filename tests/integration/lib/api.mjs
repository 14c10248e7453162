// A small client of the tsunagud REST API and events WebSocket for tests:
// a cookie jar, the CSRF header on state-changing requests, JSON helpers.
//
//   const api = new ApiClient(srv.url);
//   await api.login(srv.adminLogin, srv.adminPassword);
//   const r = await api.post('/api/v1/keywords', { key: 'plan', title: 'Plan' });
//   r.status, r.json, r.headers, r.setCookies
//   const ws = await api.openEvents({ since: 0 });   // an EventsSocket
import WebSocket from 'ws';
import { FrameQueue } from './frame_queue.mjs';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class ApiClient {
  constructor(baseUrl) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.cookies = new Map();
    this.csrf = null;
    this.staff = null;
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  // options: json (object -> JSON body), body (raw string/Buffer),
  // headers (extra), csrf (false: leave the X-CSRF-Token header out, or a
  // string to send instead), contentType.
  async request(method, path, options = {}) {
    const headers = { ...(options.headers || {}) };
    let body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = options.contentType || 'application/json';
    } else if (options.body !== undefined) {
      body = options.body;
      if (options.contentType) headers['content-type'] = options.contentType;
    }
    const jar = this.cookieHeader();
    if (jar && !('cookie' in headers)) headers.cookie = jar;
    if (STATE_CHANGING.has(method) && options.csrf !== false) {
      const token = typeof options.csrf === 'string' ? options.csrf : this.csrf;
      if (token) headers['x-csrf-token'] = token;
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie ? res.headers.getSetCookie() : [];
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, text, json, setCookies };
  }

  get(path, options) { return this.request('GET', path, options); }
  post(path, json, options = {}) { return this.request('POST', path, { ...options, json }); }
  patch(path, json, options = {}) { return this.request('PATCH', path, { ...options, json }); }
  del(path, options) { return this.request('DELETE', path, options); }

  async login(login, password) {
    const r = await this.post('/api/v1/auth/login', { login, password });
    if (r.status === 200) {
      this.csrf = r.json.csrf_token;
      this.staff = r.json.staff;
    }
    return r;
  }

  async logout() {
    const r = await this.post('/api/v1/auth/logout', {});
    if (r.status === 200) { this.csrf = null; this.staff = null; }
    return r;
  }

  // Creates a staff account as the logged-in admin; returns its JSON.
  async createStaff(login, role, password = `${login}-password-123`) {
    const r = await this.post('/api/v1/staff', {
      login, display_name: login, role, password,
    });
    if (r.status !== 201) throw new Error(`createStaff ${login}: ${r.status} ${r.text}`);
    return { ...r.json.staff, password };
  }

  // Creates a staff account as the logged-in admin and a client logged in
  // as it; returns {staff, api} (staff with its password).
  async sessionOf(login, role) {
    const staff = await this.createStaff(login, role);
    const api = new ApiClient(this.baseUrl);
    const r = await api.login(login, staff.password);
    if (r.status !== 200) throw new Error(`login ${login}: ${r.status} ${r.text}`);
    return { staff, api };
  }

  // Opens the events WebSocket with this client's session cookie.
  // options: since (sequence), origin (header value; default same origin,
  // null: none), cookie (override).
  openEvents(options = {}) {
    const url = new URL(this.baseUrl.replace(/^http/, 'ws') + '/api/v1/events');
    if (options.since !== undefined) url.searchParams.set('since', String(options.since));
    const headers = {};
    const cookie = options.cookie !== undefined ? options.cookie : this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    const origin = options.origin !== undefined ? options.origin : this.baseUrl;
    return EventsSocket.open(url.toString(), { headers, origin: origin || undefined });
  }
}

// The events WebSocket with a message queue: next() resolves with the next
// message (JSON), in order.
export class EventsSocket extends FrameQueue {
  static open(url, { headers, origin }) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, origin });
      const s = new EventsSocket(ws);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode }));
      });
      ws.once('error', reject);
    });
  }

  constructor(ws) {
    super('an event');
    this.ws = ws;
    ws.on('message', (data) => this.push(JSON.parse(data.toString('utf8'))));
    ws.on('close', (code, reason) => this.closeQueue(code, reason.toString()));
  }

  close() {
    return new Promise((resolve) => {
      if (this.closed) return resolve(this.closed);
      this.ws.once('close', (code) => resolve({ code }));
      this.ws.close();
    });
  }

  send(obj) { this.ws.send(JSON.stringify(obj)); }
}

// Stops srv and checks it ended cleanly: exit code 0 and nothing from the
// sanitizers (ASan/UBSan builds) in its output.
export async function stopCleanly(srv, assert) {
  const info = await srv.stop();
  const logs = srv.logs();
  assert.doesNotMatch(logs, /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report');
  assert.equal(info.code, 0, `exit ${JSON.stringify(info)}`);
}

// The events of one type (and, when given, of one conversation) the API
// lists from the start of the log (the first 1,000).
export async function eventsOf(api, type, conversation) {
  const r = await api.get('/api/v1/events?after=0&limit=1000');
  if (r.status !== 200) throw new Error(`GET /api/v1/events: ${r.status} ${r.text}`);
  return r.json.events.filter((e) => e.type === type
    && (!conversation || e.data.conversation === conversation));
}
