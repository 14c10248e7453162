// Roles through the API: operator < supervisor < admin, ownership of one's
// own account, audit events of staff changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, sourceRoot } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';

let srv, admin, operator, supervisor, opStaff, supStaff;

before(async () => {
  srv = await startServer({ config: `[rules]\ndir = ${join(sourceRoot, 'rules')}\n` });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  opStaff = await admin.createStaff('olivia', 'operator');
  supStaff = await admin.createStaff('sam', 'supervisor');
  operator = new ApiClient(srv.url);
  assert.equal((await operator.login('olivia', opStaff.password)).status, 200);
  supervisor = new ApiClient(srv.url);
  assert.equal((await supervisor.login('sam', supStaff.password)).status, 200);
});
after(async () => { if (srv) await stopCleanly(srv, assert); });

const newStaff = (login, role = 'operator') => ({
  login, display_name: login, role, password: 'long enough password',
});

test('staff creation: operator 403, supervisor 403, admin 201', async () => {
  let r = await operator.post('/api/v1/staff', newStaff('x1'));
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'forbidden');
  r = await supervisor.post('/api/v1/staff', newStaff('x2'));
  assert.equal(r.status, 403);
  r = await admin.post('/api/v1/staff', newStaff('x3', 'supervisor'));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.staff.login, 'x3');
  assert.equal(r.json.staff.role, 'supervisor');
  // the new account can log in
  const c = new ApiClient(srv.url);
  assert.equal((await c.login('x3', 'long enough password')).status, 200);
  // taken login: 409; short password: 400; bad role: 400
  assert.equal((await admin.post('/api/v1/staff', newStaff('x3'))).status, 409);
  assert.equal((await admin.post('/api/v1/staff', { ...newStaff('x4'), password: 'short' })).status, 400);
  assert.equal((await admin.post('/api/v1/staff', { ...newStaff('x5'), role: 'root' })).status, 400);
  assert.equal((await admin.post('/api/v1/staff', { ...newStaff('bad login') })).status, 400);
});

test('staff list: operator 403, supervisor and admin 200 without password hashes', async () => {
  assert.equal((await operator.get('/api/v1/staff')).status, 403);
  for (const c of [supervisor, admin]) {
    const r = await c.get('/api/v1/staff');
    assert.equal(r.status, 200);
    assert.ok(r.json.staff.some((s) => s.login === 'olivia'));
    assert.ok(!r.text.includes('argon2'));
  }
});

test('rules reload: operator 403, supervisor 403, admin allowed', async () => {
  assert.equal((await operator.post('/api/v1/rules/reload', {})).status, 403);
  assert.equal((await supervisor.post('/api/v1/rules/reload', {})).status, 403);
  const r = await admin.post('/api/v1/rules/reload', {});
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.generation >= 2);
  assert.equal((await operator.get('/api/v1/rules/status')).status, 403);
  assert.equal((await supervisor.get('/api/v1/rules/status')).status, 200);
});

test('keywords: everyone reads, only admins define and delete', async () => {
  assert.equal((await operator.post('/api/v1/keywords', { key: 'plan', title: 'Plan' })).status, 403);
  assert.equal((await supervisor.post('/api/v1/keywords', { key: 'plan', title: 'Plan' })).status, 403);
  assert.equal((await admin.post('/api/v1/keywords', { key: 'plan', title: 'Plan' })).status, 201);
  const r = await operator.get('/api/v1/keywords');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.keywords.filter((k) => k.key === 'plan'), [{ key: 'plan', title: 'Plan' }]);
  assert.equal((await operator.del('/api/v1/keywords/plan')).status, 403);
  assert.equal((await admin.del('/api/v1/keywords/plan')).status, 200);
  assert.equal((await admin.del('/api/v1/keywords/plan')).status, 404);
});

test('teams: admins create, supervisors add members, operators only read', async () => {
  assert.equal((await operator.post('/api/v1/teams', { name: 'support' })).status, 403);
  const t = await admin.post('/api/v1/teams', { name: 'support' });
  assert.equal(t.status, 201, t.text);
  const id = t.json.team.id;
  assert.equal((await operator.post(`/api/v1/teams/${id}/members`, { staff: opStaff.id })).status, 403);
  assert.equal((await supervisor.post(`/api/v1/teams/${id}/members`, { staff: opStaff.id })).status, 200);
  const r = await operator.get('/api/v1/teams?name=support');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.teams[0].members, [opStaff.id]);
  assert.equal((await admin.post('/api/v1/teams', { name: 'billing' })).status, 201);
  const all = await operator.get('/api/v1/teams');
  assert.equal(all.status, 200);
  assert.deepEqual(all.json.teams.map((x) => x.name), ['billing', 'support']);
  assert.equal((await operator.get('/api/v1/teams?name=nosuch')).status, 404);
  assert.equal((await admin.post('/api/v1/teams', { name: 'support' })).status, 409);
});

test('own account: display name yes, someone else no, own role never', async () => {
  let r = await operator.patch(`/api/v1/staff/${opStaff.id}`, { display_name: 'Olivia O.' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.staff.display_name, 'Olivia O.');
  r = await operator.patch(`/api/v1/staff/${supStaff.id}`, { display_name: 'hacked' });
  assert.equal(r.status, 403);
  r = await operator.patch(`/api/v1/staff/${opStaff.id}`, { role: 'admin' });
  assert.equal(r.status, 403);
  r = await admin.patch(`/api/v1/staff/${admin.staff.id}`, { role: 'operator' });
  assert.equal(r.status, 403);
  // an operator reads their own account, not others'
  assert.equal((await operator.get(`/api/v1/staff/${opStaff.id}`)).status, 200);
  assert.equal((await operator.get(`/api/v1/staff/${supStaff.id}`)).status, 403);
});

test('own password change needs the current password and ends the sessions', async () => {
  const c = new ApiClient(srv.url);
  const s = await admin.createStaff('pat', 'operator');
  await c.login('pat', s.password);
  let r = await c.patch(`/api/v1/staff/${s.id}`, { password: 'a brand new password' });
  assert.equal(r.status, 400);
  r = await c.patch(`/api/v1/staff/${s.id}`, { password: 'a brand new password', current_password: 'wrong one!!' });
  assert.equal(r.status, 403);
  r = await c.patch(`/api/v1/staff/${s.id}`, { password: 'a brand new password', current_password: s.password });
  assert.equal(r.status, 200, r.text);
  assert.equal((await c.get('/api/v1/auth/me')).status, 401);
  assert.equal((await new ApiClient(srv.url).login('pat', s.password)).status, 401);
  assert.equal((await new ApiClient(srv.url).login('pat', 'a brand new password')).status, 200);
});

test('role change by an admin and disabling are audited; a disabled account is out', async () => {
  const c = new ApiClient(srv.url);
  const s = await admin.createStaff('dana', 'operator');
  await c.login('dana', s.password);
  let r = await admin.patch(`/api/v1/staff/${s.id}`, { role: 'supervisor' });
  assert.equal(r.status, 200);
  assert.equal(r.json.staff.role, 'supervisor');
  assert.equal((await operator.del(`/api/v1/staff/${s.id}`)).status, 403);
  r = await admin.del(`/api/v1/staff/${s.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.staff.disabled, true);
  assert.equal((await c.get('/api/v1/auth/me')).status, 401);
  assert.equal((await new ApiClient(srv.url).login('dana', s.password)).status, 401);
  // the audit trail: created, role changed, disabled, logins
  const ev = await admin.get('/api/v1/events?after=0&limit=1000');
  assert.equal(ev.status, 200);
  const mine = ev.json.events.filter((e) => e.data && (e.data.login === 'dana' || e.data.staff === s.id));
  const types = mine.map((e) => e.type);
  for (const t of ['staff.created', 'staff.login', 'staff.role_changed', 'staff.disabled']) {
    assert.ok(types.includes(t), `${t} in ${types}`);
  }
  const changed = mine.find((e) => e.type === 'staff.role_changed');
  assert.equal(changed.actor, admin.staff.id);
  assert.ok(!JSON.stringify(ev.json).includes('argon2'));
});

test('logins and logouts are events', async () => {
  const c = new ApiClient(srv.url);
  await c.login('olivia', opStaff.password);
  await c.logout();
  const ev = await admin.get('/api/v1/events?after=0&limit=1000');
  const types = ev.json.events.filter((e) => e.actor === opStaff.id).map((e) => e.type);
  assert.ok(types.includes('staff.login'));
  assert.ok(types.includes('staff.logout'));
});

test('conversations: list filters are checked, unknown ids are 404 for every role', async () => {
  for (const c of [operator, supervisor, admin]) {
    const r = await c.get('/api/v1/conversations?state=open&assignee=me');
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.conversations));
  }
  assert.equal((await operator.get('/api/v1/conversations?state=bogus')).status, 400);
  assert.equal((await operator.get('/api/v1/conversations?assignee=-3')).status, 400);
  assert.equal((await operator.get('/api/v1/conversations?limit=100000')).status, 400);
  assert.equal((await operator.get('/api/v1/conversations/nope123')).status, 404);
  assert.equal((await operator.get('/api/v1/conversations/..%2F..%2Fetc')).status, 404);
  assert.equal((await operator.get('/api/v1/conversations/nope123/messages')).status, 404);
  const r = await operator.post('/api/v1/conversations/nope123/messages', { kind: 'note', text: 'x' });
  assert.equal(r.status, 404);
  assert.equal((await operator.post('/api/v1/conversations/nope123/join', {})).status, 404);
  // every action on an unknown conversation, by every role: 404 and the
  // server goes on (once, a use after the 404 freed the request crashed it)
  for (const c of [operator, supervisor, admin]) {
    for (const action of ['close', 'snooze', 'reopen', 'assign', 'callback']) {
      const a = await c.post(`/api/v1/conversations/nope123/${action}`, { staff: 1 });
      // an operator may not assign at all: refused before the lookup
      const want = c === operator && action === 'assign' ? 403 : 404;
      assert.equal(a.status, want, `${action}: ${a.text}`);
    }
  }
  assert.equal((await admin.get('/healthz')).status, 200);
  // unauthenticated: 401 before anything else
  assert.equal((await new ApiClient(srv.url).get('/api/v1/conversations')).status, 401);
});
