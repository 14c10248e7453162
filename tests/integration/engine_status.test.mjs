// The assignment engine's API, black box (OP-2..OP-5): status sub-types
// (admins manage them; everyone reads them for the status menu), a status
// with its sub-type and the audited event, do-not-disturb that silences
// only notifications, capacities and inquiry types (supervisors and admins,
// never operators), and the permissions: an operator changes neither
// another's status nor the rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { ApiClient, stopCleanly, eventsOf } from './lib/api.mjs';
import { echoPluginDir, customerSays } from './lib/echo.mjs';

// the built-in rules: every chat to all available operators, longest idle
let plug;
before(() => { plug = echoPluginDir(); });
after(() => { if (plug) plug.cleanup(); });

const put = (api, path, json) => api.request('PUT', path, { json });


test('sub-types, statuses, do-not-disturb, capacities and their permissions', async () => {
  const srv = await startServer({ config: plug.config });
  try {
    const admin = new ApiClient(srv.url);
    assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
    const { staff: s1, api: op1 } = await admin.sessionOf('op1', 'operator');
    const { staff: s2, api: op2 } = await admin.sessionOf('op2', 'operator');
    const { staff: sv, api: sup } = await admin.sessionOf('sup', 'supervisor');

    // sub-types: each kind has its default; admins add more
    let list = await op1.get('/api/v1/status/subtypes');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.subtypes.map((t) => [t.kind, t.name, t.default]),
      [['available', 'available', true], ['away', 'away', true], ['offline', 'offline', true]]);
    const lunch = await admin.post('/api/v1/status/subtypes', { kind: 'away', name: '昼食', position: 1 });
    assert.equal(lunch.status, 201, lunch.text);
    assert.equal(lunch.json.subtype.name, '昼食');
    assert.equal((await admin.post('/api/v1/status/subtypes', { kind: 'away', name: '昼食' })).status, 409);
    assert.equal((await admin.post('/api/v1/status/subtypes', { kind: 'busy', name: 'x' })).status, 400);
    assert.equal((await admin.post('/api/v1/status/subtypes', { kind: 'away', name: '' })).status, 400);
    assert.equal((await sup.post('/api/v1/status/subtypes', { kind: 'away', name: '会議' })).status, 403);
    assert.equal((await op1.post('/api/v1/status/subtypes', { kind: 'away', name: '会議' })).status, 403);
    const renamed = await admin.patch(`/api/v1/status/subtypes/${lunch.json.subtype.id}`, { name: 'ランチ' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json.subtype.name, 'ランチ');

    // an operator's own status with a sub-type; the event carries both
    const away = await put(op1, '/api/v1/me/status', { status: 'away', subtype: 'ランチ' });
    assert.equal(away.status, 200, away.text);
    assert.equal(away.json.status, 'away');
    assert.equal(away.json.subtype, 'ランチ');
    let changed = (await eventsOf(admin, 'staff.status_changed')).at(-1);
    assert.deepEqual(changed.data, { staff: s1.id, status: 'away', previous: 'available',
      subtype: 'ランチ', previous_subtype: 'available', reason: 'manual' });
    assert.equal(changed.actor, s1.id);
    assert.equal((await put(op1, '/api/v1/me/status', { status: 'available', subtype: 'ランチ' })).status, 400);
    assert.equal((await put(op1, '/api/v1/me/status', { status: 'away', subtype: 12345 })).status, 400);

    // an operator cannot change another's status; a supervisor can (audited)
    assert.equal((await put(op2, `/api/v1/staff/${s1.id}/status`, { status: 'available' })).status, 403);
    assert.equal((await put(op1, `/api/v1/staff/${s2.id}/status`, { status: 'offline' })).status, 403);
    const back = await put(sup, `/api/v1/staff/${s1.id}/status`, { status: 'available' });
    assert.equal(back.status, 200, back.text);
    changed = (await eventsOf(admin, 'staff.status_changed')).at(-1);
    assert.equal(changed.actor, sv.id);
    assert.equal(changed.data.previous_subtype, 'ランチ');

    // deleting a sub-type in use moves its holder to the default
    assert.equal((await put(op2, '/api/v1/me/status', { status: 'away', subtype: 'ランチ' })).status, 200);
    assert.equal((await admin.del(`/api/v1/status/subtypes/${lunch.json.subtype.id}`)).status, 204);
    const op2status = (await op2.get('/api/v1/me/status')).json;
    assert.equal(op2status.status, 'away');
    assert.equal(op2status.subtype, 'away');
    assert.equal((await eventsOf(admin, 'staff.status_changed')).at(-1).data.reason, 'subtype_deleted');
    const awayDefault = list.json.subtypes.find((t) => t.kind === 'away').id;
    assert.equal((await admin.del(`/api/v1/status/subtypes/${awayDefault}`)).status, 409);
    assert.equal((await op1.del(`/api/v1/status/subtypes/${awayDefault}`)).status, 403);

    // do-not-disturb: one's own, silences notifications only — op1 still
    // receives the next customer
    assert.equal((await put(op1, '/api/v1/me/dnd', { dnd: 'yes' })).status, 400);
    const dnd = await put(op1, '/api/v1/me/dnd', { dnd: true });
    assert.equal(dnd.status, 200, dnd.text);
    assert.equal(dnd.json.dnd, true);
    const conv = await customerSays(srv, 'c1', 'こんにちは');
    const got = await op1.get(`/api/v1/conversations/${conv}`);
    assert.equal(got.json.conversation.assignee?.id, s1.id);

    // capacities and inquiry types: supervisors and admins, not operators
    assert.equal((await op1.patch(`/api/v1/staff/${s1.id}`, { call_capacity: 3 })).status, 403);
    assert.equal((await op1.patch(`/api/v1/staff/${s2.id}`, { inquiry_types: 'chat' })).status, 403);
    assert.equal((await sup.patch(`/api/v1/staff/${s1.id}`, { display_name: 'x' })).status, 403);
    assert.equal((await admin.patch(`/api/v1/staff/${s1.id}`, { inquiry_types: 'fax' })).status, 400);
    assert.equal((await admin.patch(`/api/v1/staff/${s1.id}`, { call_capacity: 101 })).status, 400);
    assert.equal((await admin.patch(`/api/v1/staff/${s1.id}`, { chats_during_call: 1 })).status, 400);
    const set = await sup.patch(`/api/v1/staff/${s1.id}`,
      { chat_capacity: 4, call_capacity: 2, inquiry_types: 'phone', chats_during_call: true });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.json.staff.chat_capacity, 4);
    assert.equal(set.json.staff.call_capacity, 2);
    assert.equal(set.json.staff.inquiry_types, 'phone');
    assert.equal(set.json.staff.chats_during_call, true);
    assert.equal(set.json.staff.dnd, true);
    const routing = (await eventsOf(admin, 'staff.routing_changed')).at(-1);
    assert.equal(routing.actor, sv.id);
    assert.deepEqual(routing.data.changed, { inquiry_types: 'phone', call_capacity: 2, chats_during_call: true });
    // op1 takes calls only now: the next chat waits
    const conv2 = await customerSays(srv, 'c2', 'もしもし');
    assert.equal((await op1.get(`/api/v1/conversations/${conv2}`)).json.conversation.state, 'waiting');

    // an operator cannot change the rules
    assert.equal((await op1.post('/api/v1/rules/reload', {})).status, 403);
    assert.equal((await sup.post('/api/v1/rules/reload', {})).status, 403);
  } finally {
    await stopCleanly(srv, assert);
  }
});
