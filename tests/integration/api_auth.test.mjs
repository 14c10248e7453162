// Staff login, sessions, CSRF, the error shape and request limits, against
// a real tsunagud.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, sourceRoot } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';

let srv;

before(async () => {
  srv = await startServer({
    config: `[rules]\ndir = ${join(sourceRoot, 'rules')}\n\n[auth]\nlogin_max_failures = 3\nlogin_window = 1m\nlockout = 1m\n`,
    args: ['--set', 'http.max_body=4K'],
  });
});
after(async () => { if (srv) await stopCleanly(srv, assert); });

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.equal(r.json.error.code, code);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
}

test('login sets a HttpOnly SameSite=Strict session cookie and returns staff and CSRF token', async () => {
  const api = new ApiClient(srv.url);
  const r = await api.login(srv.adminLogin, srv.adminPassword);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.staff.login, srv.adminLogin);
  assert.equal(r.json.staff.role, 'admin');
  assert.equal(r.json.staff.password_hash, undefined);
  assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
  assert.equal(r.setCookies.length, 1);
  const cookie = r.setCookies[0];
  assert.match(cookie, /^tsunagu_session=[0-9a-f]{64};/);
  assert.match(cookie, /;\s*HttpOnly/i);
  assert.match(cookie, /;\s*SameSite=Strict/i);
  assert.match(cookie, /;\s*Path=\//i);
  assert.doesNotMatch(cookie, /Secure/i); // auth.cookie_secure is false by default

  const me = await api.get('/api/v1/auth/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.staff.login, srv.adminLogin);
  assert.equal(me.json.csrf_token, r.json.csrf_token);
});

test('wrong password and unknown login are 401 in the error shape', async () => {
  const api = new ApiClient(srv.url);
  assertError(await api.login(srv.adminLogin, 'not-the-password'), 401, 'unauthorized');
  assertError(await api.login('nobody-here', 'whatever-password'), 401, 'unauthorized');
  assert.equal(api.cookies.size, 0);
  assertError(await api.get('/api/v1/auth/me'), 401, 'unauthorized');
});

test('a forged or stale session cookie is refused', async () => {
  const api = new ApiClient(srv.url);
  api.cookies.set('tsunagu_session', 'a'.repeat(64));
  assertError(await api.get('/api/v1/auth/me'), 401, 'unauthorized');
  api.cookies.set('tsunagu_session', '../../etc');
  assertError(await api.get('/api/v1/auth/me'), 401, 'unauthorized');
});

test('logout ends the session server-side', async () => {
  const api = new ApiClient(srv.url);
  assert.equal((await api.login(srv.adminLogin, srv.adminPassword)).status, 200);
  const stolen = api.cookieHeader();
  const r = await api.logout();
  assert.equal(r.status, 200);
  assert.match(r.setCookies[0], /Max-Age=0/);
  // the old cookie, replayed, no longer works
  const again = await api.get('/api/v1/auth/me', { headers: { cookie: stolen } });
  assertError(again, 401, 'unauthorized');
});

test('state-changing requests need the CSRF token and a same-origin Origin', async () => {
  const api = new ApiClient(srv.url);
  await api.login(srv.adminLogin, srv.adminPassword);
  const body = { key: 'csrf_probe', title: 'CSRF probe' };
  assertError(await api.post('/api/v1/keywords', body, { csrf: false }), 403, 'csrf');
  assertError(await api.post('/api/v1/keywords', body, { csrf: 'f'.repeat(64) }), 403, 'csrf');
  assertError(await api.post('/api/v1/keywords', body, {
    headers: { origin: 'http://evil.example' },
  }), 403, 'forbidden');
  // nothing was written by the refused requests
  const list = await api.get('/api/v1/keywords');
  assert.ok(!list.json.keywords.some((k) => k.key === 'csrf_probe'));
  // with the token (and our own Origin) it works
  const ok = await api.post('/api/v1/keywords', body, { headers: { origin: srv.url } });
  assert.equal(ok.status, 201, ok.text);
  // a cross-origin login is refused too (login CSRF)
  const other = new ApiClient(srv.url);
  const r = await other.request('POST', '/api/v1/auth/login', {
    json: { login: srv.adminLogin, password: srv.adminPassword },
    headers: { origin: 'http://evil.example' },
  });
  assertError(r, 403, 'forbidden');
});

test('bodies: over the limit 413, bad JSON 400, not JSON 400, not an object 400', async () => {
  const api = new ApiClient(srv.url);
  await api.login(srv.adminLogin, srv.adminPassword);
  const big = JSON.stringify({ key: 'big', title: 'x'.repeat(8192) });
  assertError(await api.request('POST', '/api/v1/keywords', { body: big, contentType: 'application/json' }),
    413, 'payload_too_large');
  assertError(await api.request('POST', '/api/v1/keywords', { body: '{"key":', contentType: 'application/json' }),
    400, 'bad_request');
  assertError(await api.request('POST', '/api/v1/keywords', { body: 'key=a', contentType: 'application/x-www-form-urlencoded' }),
    400, 'bad_request');
  assertError(await api.request('POST', '/api/v1/keywords', { body: '[1,2]', contentType: 'application/json' }),
    400, 'bad_request');
  assertError(await api.request('POST', '/api/v1/keywords', { body: '{"key":"a","key":"b","title":"t"}', contentType: 'application/json' }),
    400, 'bad_request');
  // the server still serves after all that
  assert.equal((await api.get('/api/v1/auth/me')).status, 200);
});

test('unknown routes are 404, wrong methods 405, both in the error shape', async () => {
  const api = new ApiClient(srv.url);
  assertError(await api.get('/api/v1/no/such/thing'), 404, 'not_found');
  assertError(await api.get('/api/v2'), 404, 'not_found');
  assertError(await api.request('PUT', '/api/v1/auth/login', { json: {} }), 405, 'method_not_allowed');
  assertError(await api.get('/api/v1/auth/logout'), 405, 'method_not_allowed');
});

test('every answer carries a strict CSP and nosniff', async () => {
  const api = new ApiClient(srv.url);
  for (const path of ['/api/v1/auth/me', '/api/v1/nothing', '/healthz', '/', '/app.js']) {
    const r = await api.get(path);
    assert.match(r.headers.get('content-security-policy') || '', /default-src 'self'/, path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
  }
  const r = await api.get('/api/v1/auth/me');
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('health: /healthz 200, /readyz 200 once store and rules are up', async () => {
  const api = new ApiClient(srv.url);
  assert.equal((await api.get('/healthz')).status, 200);
  const r = await api.get('/readyz');
  assert.equal(r.status, 200, r.text);
});

// Last: it locks the admin login and this address for a minute.
test('failed logins are rate limited per login with 429 and Retry-After', async () => {
  const api = new ApiClient(srv.url);
  const api2 = new ApiClient(srv.url);
  await api2.login(srv.adminLogin, srv.adminPassword); // a session from before the lock
  for (let i = 0; i < 3; i++) {
    assertError(await api.login(srv.adminLogin, `wrong-${i}`), 401, 'unauthorized');
  }
  const locked = await api.login(srv.adminLogin, srv.adminPassword);
  assertError(locked, 429, 'rate_limited');
  const retry = Number(locked.headers.get('retry-after'));
  assert.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
  // even the right password is refused while locked, without a cookie
  assert.equal(locked.setCookies.length, 0);
  // another login from the same address still may try (per-peer limit is looser)
  assertError(await api.login('someone-else', 'wrong-password'), 401, 'unauthorized');
  // existing sessions keep working
  assert.equal((await api2.get('/api/v1/auth/me')).status, 200);
});
