// The call engine behind the plugin SDK (ABI 1.2) against a real tsunagud,
// driven through the calltest phone channel (lib/calls.mjs): a call comes
// in, is queued and rings the longest-idle operator, is answered, ends,
// and after-call work keeps the next call from that operator until the
// conversation is closed; a repeated provider call id is one call; a
// phone that refuses to ring passes the call on; a caller who leaves is
// missed userLeft; the queue limit and business hours decide what the
// channel plays. Everything is asserted by events, never by time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { ApiClient, stopCleanly, eventsOf } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';
import {
  callsPluginDir, dialIn, report, refuse, channelEvents, channelSaw, DISPOSITION,
} from './lib/calls.mjs';

const EEXIST = -17;
let plugins, srv, admin;

before(async () => {
  plugins = callsPluginDir();
  srv = await startServer({ config: plugins.config('[routing]\nring_timeout = 10m\n') });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
  if (plugins) plugins.cleanup();
});

const ringsFor = (call, login) => (e) => e.kind === 'ring' && e.call === call && e.login === login;

test('queued, rung, answered, ended; after-call work holds the next call until closed', async () => {
  const { api: opA } = await admin.sessionOf('op-a', 'operator');
  const first = await dialIn(srv, '0312345678', 'sip-1', { name: '山田', line: '0120-000-000' });
  assert.equal(first.status, 0);
  assert.equal(first.disposition, DISPOSITION.QUEUED);
  assert.ok(first.call > 0 && first.conversation);

  const ring = await channelSaw(srv, ringsFor(first.call, 'op-a'), 'RING to op-a');
  assert.equal(ring.conversation, first.conversation);
  assert.equal(ring.channel, 'phone');
  assert.equal(ring.remote, '0312345678');
  assert.equal(ring.provider_call_id, 'sip-1');

  assert.equal(await report(srv, 'answered', { call: first.call, login: 'op-a' }), 0);
  // answering twice: the call is no longer ringing
  assert.equal(await report(srv, 'answered', { call: first.call, login: 'op-a' }), -32 /* EPIPE */);
  let calls = (await opA.get('/api/v1/calls?state=talking')).json.calls;
  assert.deepEqual(calls.map((c) => [c.id, c.staff_login, c.line]), [[first.call, 'op-a', '0120-000-000']]);
  assert.equal(await report(srv, 'ended', { call: first.call }), 0);
  assert.equal(await report(srv, 'ended', { call: first.call }), -32);
  // a call that does not exist is nobody's (the host remembers its own
  // calls; anything else is read)
  assert.equal(await report(srv, 'ended', { call: first.call + 1000 }), -2 /* ENOENT */);
  assert.equal(await report(srv, 'answered', { call: first.call + 1000, login: 'op-a' }), -2);

  // after-call work: a second call waits, nobody's phone rings
  const second = await dialIn(srv, '0398765432', 'sip-2');
  assert.equal(second.disposition, DISPOSITION.QUEUED);
  calls = (await opA.get('/api/v1/calls')).json.calls;
  assert.deepEqual(calls.map((c) => [c.id, c.state, c.caller]), [[second.call, 'queued', '0398765432']]);
  assert.equal((await channelEvents(srv)).filter((e) => e.call === second.call).length, 0);

  // closing the conversation ends the after-call work: the waiting call rings
  assert.equal((await opA.post(`/api/v1/conversations/${first.conversation}/close`, {})).status, 200);
  await channelSaw(srv, ringsFor(second.call, 'op-a'), 'RING of the waiting call');
  const acw = await eventually(async () => (await eventsOf(admin, 'call.acw_ended'))
    .find((e) => e.data.call === first.call), 'call.acw_ended');
  assert.ok(acw.data.acw_ms >= 0);

  // the caller hangs up while it rings: missed userLeft, the phone stops, closed
  assert.equal(await report(srv, 'ended', { call: second.call }), 0);
  const stop = await channelSaw(srv, (e) => e.kind === 'stop_ring' && e.call === second.call, 'STOP_RING');
  assert.equal(stop.login, 'op-a');
  assert.equal(stop.reason, 'missed');
  const missed = (await eventsOf(admin, 'call.missed')).find((e) => e.data.call === second.call);
  assert.deepEqual([missed.data.reason, missed.data.by], ['userLeft', 'channel']);
  const conv = (await opA.get(`/api/v1/conversations/${second.conversation}`)).json.conversation;
  assert.equal(conv.state, 'closed');
  // the channel reported the miss itself: no MISSED is sent back to it
  assert.equal((await channelEvents(srv)).filter((e) => e.kind === 'missed').length, 0);
  await opA.post('/api/v1/auth/logout', {});
});

test('a repeated provider call id is the same call (-EEXIST)', async () => {
  const a = await dialIn(srv, '0311112222', 'sip-repeat');
  const b = await dialIn(srv, '0311112222', 'sip-repeat');
  assert.equal(b.status, EEXIST);
  assert.equal(b.call, a.call);
  assert.equal(b.conversation, a.conversation);
  assert.equal(await report(srv, 'missed', { call: a.call, reason: 'userLeft' }), 0);
  assert.equal(await report(srv, 'missed', { call: a.call, reason: 'bogus' }), -22);
});

test('a phone that refuses to ring passes the call to the next operator', async () => {
  const { api: opB } = await admin.sessionOf('op-b', 'operator');
  const { api: opC } = await admin.sessionOf('op-c', 'operator');
  await refuse(srv, 'op-b'); // op-b is the longest idle of the two
  const c = await dialIn(srv, '0322223333', 'sip-refused');
  await channelSaw(srv, ringsFor(c.call, 'op-b'), 'RING to op-b');
  await channelSaw(srv, ringsFor(c.call, 'op-c'), 'RING to op-c after the refusal');
  assert.equal(await report(srv, 'answered', { call: c.call, login: 'op-c' }), 0);
  assert.equal(await report(srv, 'ended', { call: c.call }), 0);
  await opB.post('/api/v1/auth/logout', {});
  await opC.post('/api/v1/auth/logout', {});
});

test('the queue limit: one waiting call, the next gets QUEUE_FULL', async () => {
  // nobody is available now: calls wait
  const operator = (await admin.sessionOf('op-limit', 'operator')).api;
  assert.equal((await operator.get('/api/v1/calls/settings')).status, 403);
  let r = await operator.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: 1 } });
  assert.equal(r.status, 403);
  await operator.post('/api/v1/auth/logout', {});
  r = await admin.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: -1 } });
  assert.equal(r.status, 400);
  r = await admin.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: 1 } });
  assert.equal(r.status, 200);
  assert.equal((await admin.get('/api/v1/calls/settings')).json.queue_limit, 1);

  const waiting = await dialIn(srv, '0344445555', 'sip-q1');
  assert.equal(waiting.disposition, DISPOSITION.QUEUED);
  const full = await dialIn(srv, '0355556666', 'sip-q2');
  assert.equal(full.status, 0);
  assert.equal(full.disposition, DISPOSITION.QUEUE_FULL);
  // the full one is not in the waiting list and never rings
  const list = (await admin.get('/api/v1/calls')).json.calls.map((c) => c.id);
  assert.ok(list.includes(waiting.call) && !list.includes(full.call));
  assert.equal(await report(srv, 'missed', { call: full.call, reason: 'noOperator' }), 0);
  assert.equal(await report(srv, 'missed', { call: waiting.call, reason: 'userLeft' }), 0);
  r = await admin.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: 0 } });
  assert.equal(r.status, 200);
});

test('outside business hours: NOT_IN_OPERATION, and the call never rings', async () => {
  const closed = callsPluginDir('business_hours { timezone = "UTC" }\n'
    + 'route "everyone" { to = all_available() }\n');
  const s = await startServer({ config: closed.config() });
  try {
    const adm = new ApiClient(s.url);
    assert.equal((await adm.login(s.adminLogin, s.adminPassword)).status, 200);
    await adm.sessionOf('op-night', 'operator');
    const c = await dialIn(s, '0366667777', 'sip-night');
    assert.equal(c.disposition, DISPOSITION.NOT_IN_OPERATION);
    assert.equal((await adm.get('/api/v1/calls')).json.calls.length, 0);
    assert.equal(await report(s, 'missed', { call: c.call, reason: 'notInOperation' }), 0);
    const conv = (await adm.get(`/api/v1/conversations/${c.conversation}`)).json.conversation;
    assert.equal(conv.state, 'closed');
    assert.equal((await channelEvents(s)).length, 0);
  } finally {
    await stopCleanly(s, assert);
    closed.cleanup();
  }
});
