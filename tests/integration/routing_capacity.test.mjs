// Capacity routing, black box (OP-2, OP-5): customers write through a
// channel plugin (the SDK's echo example), operators with chat capacity 1
// log in (and so become available); what does not fit waits, longest
// waiting first, and is assigned as soon as an operator closes a chat;
// supervisors assign by hand beyond capacity; operators can neither assign
// nor change another's status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, makeTempDir, buildRoot } from './lib/server.mjs';
import { ApiClient, stopCleanly, eventsOf } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';

let tmp, pluginDir, rulesDir;

before(() => {
  tmp = makeTempDir('tsunagu-routing-');
  pluginDir = join(tmp, 'plugins');
  rulesDir = join(tmp, 'rules');
  mkdirSync(pluginDir);
  mkdirSync(rulesDir);
  cpSync(join(buildRoot, 'sdk', 'echo.so'), join(pluginDir, 'echo.so'));
  writeFileSync(join(rulesDir, 'route.lua'), `
route "everyone" {
  to = all_available(),
  method = "longest_idle",
}
`);
});

after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

const config = () => `[plugins]\ndir = ${pluginDir}\n\n[rules]\ndir = ${rulesDir}\n`;

// One customer message through the echo channel; resolves with the ack
// (sent only after the commit).
async function customerSays(srv, from, text) {
  const ws = new WebSocket(`${srv.wsUrl}/plugins/echo/ws`);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const id = `${from}-1`;
  const ack = new Promise((r, j) => {
    const timer = setTimeout(() => j(new Error(`no ack for ${from}`)), 10000);
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString());
      if (msg.ack === id) { clearTimeout(timer); r(msg); }
    });
  });
  ws.send(JSON.stringify({ from, text, id }));
  const got = await ack;
  ws.close();
  return got.conversation;
}


const put = (api, path, json) => api.request('PUT', path, { json });

async function conversation(api, id) {
  const r = await api.get(`/api/v1/conversations/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json.conversation;
}


test('capacity, the waiting list, manual assignment and status permissions', async () => {
  const srv = await startServer({ config: config() });
  try {
    const admin = new ApiClient(srv.url);
    assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
    const s1 = await admin.createStaff('op1', 'operator');
    const s2 = await admin.createStaff('op2', 'operator');
    const sv = await admin.createStaff('sup', 'supervisor');
    for (const s of [s1, s2]) {
      const r = await admin.patch(`/api/v1/staff/${s.id}`, { chat_capacity: 1 });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.staff.chat_capacity, 1);
      assert.equal(r.json.staff.status, 'offline');
    }
    assert.equal((await admin.patch(`/api/v1/staff/${s1.id}`, { chat_capacity: 101 })).status, 400);
    assert.equal((await admin.patch(`/api/v1/staff/${s1.id}`, { chat_capacity: '2' })).status, 400);

    const op1 = new ApiClient(srv.url), op2 = new ApiClient(srv.url), sup = new ApiClient(srv.url);
    assert.equal((await op1.login('op1', s1.password)).status, 200);
    assert.equal((await op2.login('op2', s2.password)).status, 200);
    assert.equal((await sup.login('sup', sv.password)).status, 200);
    // login made the operators available; the supervisor keeps 'offline'
    let me = await op1.get('/api/v1/me/status');
    assert.equal(me.status, 200, me.text);
    assert.deepEqual({ ...me.json, status_since: undefined, subtype_id: undefined },
      { status: 'available', subtype: 'available', subtype_id: undefined, status_since: undefined,
        dnd: false, inquiry_types: 'both', chat_capacity: 1, open_chats: 0, call_capacity: 1,
        open_calls: 0, chats_during_call: false, on_call: false, after_call_work: false,
        missed_offers: 0 });
    assert.equal((await sup.get('/api/v1/me/status')).json.status, 'offline');
    // an operator may not raise their own capacity
    assert.equal((await op1.patch(`/api/v1/staff/${s1.id}`, { chat_capacity: 5 })).status, 403);

    // four customers at once: two fit (capacity 1 each), two wait
    const convs = await Promise.all(['c1', 'c2', 'c3', 'c4'].map((c) => customerSays(srv, c, `${c}: こんにちは`)));
    const status = await eventually(async () => {
      const r = await sup.get('/api/v1/status');
      assert.equal(r.status, 200, r.text);
      const ops = r.json.staff.filter((s) => s.role === 'operator');
      return ops.every((s) => s.open_chats === 1) ? ops : null;
    }, 'both operators busy');
    for (const s of status) {
      assert.equal(s.status, 'available');
      assert.ok(s.open_chats <= s.chat_capacity, 'never beyond capacity');
    }
    let waiting = (await op1.get('/api/v1/conversations?view=waiting')).json.conversations;
    assert.equal(waiting.length, 2);
    assert.ok(waiting[0].waiting_since <= waiting[1].waiting_since, 'longest waiting on top');
    for (const w of waiting) {
      assert.equal(w.assignee, null);
      assert.equal(w.state, 'waiting');
      assert.equal(w.contact.name, null);
      assert.ok(convs.includes(w.id));
      assert.ok(['customer', 'system'].includes(w.last_message.kind));
      assert.equal(typeof w.unreplied, 'boolean');
    }
    const assigned = await eventsOf(admin, 'conversation.assigned');
    assert.equal(assigned.length, 2);
    assert.ok(assigned.every((e) => e.data.by === 'router'));
    assert.equal((await eventsOf(admin, 'conversation.waiting')).length, 2);

    // the views each operator sees
    const mine1 = (await op1.get('/api/v1/conversations?view=mine')).json.conversations;
    assert.equal(mine1.length, 1);
    assert.equal(mine1[0].assignee.login, 'op1');
    const mine2 = (await op2.get('/api/v1/conversations?view=mine&channel=echo')).json.conversations;
    assert.equal(mine2.length, 1);
    assert.equal((await op2.get('/api/v1/conversations?view=mine&channel=web')).json.conversations.length, 0);
    assert.equal((await op1.get('/api/v1/conversations?view=favourites')).status, 400);
    assert.equal((await op1.get('/api/v1/conversations?view=all')).json.conversations.length, 4);

    // op2 cannot close op1's conversation, assign, or change op1's status
    assert.equal((await op2.post(`/api/v1/conversations/${mine1[0].id}/close`, {})).status, 403);
    assert.equal((await op2.post(`/api/v1/conversations/${waiting[0].id}/assign`, { staff: s2.id })).status, 403);
    assert.equal((await put(op2, `/api/v1/staff/${s1.id}/status`, { status: 'away' })).status, 403);
    assert.equal((await op2.get('/api/v1/status')).status, 403);

    // op1 closes: the longest-waiting conversation becomes op1's
    const oldest = waiting[0].id;
    const closed = await op1.post(`/api/v1/conversations/${mine1[0].id}/close`, {});
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.json.conversation.state, 'closed');
    assert.equal((await op1.post(`/api/v1/conversations/${mine1[0].id}/close`, {})).status, 409);
    const took = await eventually(async () => {
      const c = await conversation(op1, oldest);
      return c.assignee && c.assignee.id === s1.id ? c : null;
    }, 'the oldest waiting conversation assigned to op1');
    assert.equal(took.state, 'open');
    assert.equal(took.assignee.login, 'op1');
    waiting = (await op1.get('/api/v1/conversations?view=waiting')).json.conversations;
    assert.equal(waiting.length, 1);
    assert.notEqual(waiting[0].id, oldest);
    assert.ok(convs.includes(waiting[0].id));

    // a supervisor assigns the last one to op2, who is full: over capacity
    const last = waiting[0].id;
    assert.equal((await sup.post(`/api/v1/conversations/${last}/assign`, { staff: 999999 })).status, 404);
    assert.equal((await sup.post(`/api/v1/conversations/${last}/assign`, { staff: 'op2' })).status, 400);
    const manual = await sup.post(`/api/v1/conversations/${last}/assign`, { staff: s2.id });
    assert.equal(manual.status, 200, manual.text);
    assert.equal(manual.json.over_capacity, true);
    assert.equal(manual.json.conversation.assignee.id, s2.id);
    assert.equal(manual.json.conversation.state, 'open');
    const byHand = (await eventsOf(admin, 'conversation.assigned')).filter((e) => e.data.conversation === last);
    assert.equal(byHand.at(-1).data.by, sv.id);
    assert.equal((await op2.get('/api/v1/me/status')).json.open_chats, 2);

    // snooze and reopen by the assignee; a snooze time in the past is refused
    const snoozeBad = await op2.post(`/api/v1/conversations/${last}/snooze`, { until: '2001-01-01T00:00:00Z' });
    assert.equal(snoozeBad.status, 400);
    const until = new Date(Date.now() + 3600e3).toISOString();
    const snoozed = await op2.post(`/api/v1/conversations/${last}/snooze`, { until });
    assert.equal(snoozed.status, 200, snoozed.text);
    assert.equal(snoozed.json.conversation.state, 'snoozed');
    assert.equal((await op2.get('/api/v1/conversations?view=snoozed')).json.conversations.length, 1);
    assert.equal((await op2.get('/api/v1/me/status')).json.open_chats, 1);
    const reopened = await op2.post(`/api/v1/conversations/${last}/reopen`, {});
    assert.equal(reopened.status, 200, reopened.text);
    assert.equal(reopened.json.conversation.state, 'open');
    assert.equal((await op2.post(`/api/v1/conversations/${last}/reopen`, {})).status, 409);

    // statuses: a supervisor sets op1 away (audited with the supervisor as
    // actor); an operator sets only their own
    const away = await put(sup, `/api/v1/staff/${s1.id}/status`, { status: 'away' });
    assert.equal(away.status, 200, away.text);
    assert.equal(away.json.staff.status, 'away');
    const changed = (await eventsOf(admin, 'staff.status_changed')).at(-1);
    assert.equal(changed.data.staff, s1.id);
    assert.equal(changed.data.status, 'away');
    assert.equal(changed.actor, sv.id);
    assert.equal((await put(op2, '/api/v1/me/status', { status: 'busy' })).status, 400);
    assert.equal((await put(op2, '/api/v1/me/status', { status: 'away' })).json.status, 'away');
    assert.equal((await put(sup, '/api/v1/staff/abc/status', { status: 'away' })).status, 404);
    // a new customer now waits: nobody available
    const late = await customerSays(srv, 'c5', 'まだですか');
    await eventually(async () => (await conversation(op1, late)).state === 'waiting', 'c5 waits');
    // op2 back: still full (2 open against 1), so c5 keeps waiting; op1
    // back with room after a close: c5 goes to op1
    assert.equal((await put(op2, '/api/v1/me/status', { status: 'available' })).status, 200);
    assert.equal((await op1.post(`/api/v1/conversations/${oldest}/close`, {})).status, 200);
    assert.equal((await conversation(op1, late)).assignee, null);
    assert.equal((await put(op1, '/api/v1/me/status', { status: 'available' })).status, 200);
    await eventually(async () => (await conversation(op1, late)).assignee?.id === s1.id, 'c5 to op1');

    // logout of the last session: offline
    assert.equal((await op1.logout()).status, 200);
    await eventually(async () => {
      const r = await sup.get('/api/v1/status');
      return r.json.staff.find((s) => s.id === s1.id).status === 'offline';
    }, 'op1 offline after logout');
  } finally {
    await stopCleanly(srv, assert);
  }
});
