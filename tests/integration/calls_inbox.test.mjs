// Calls from the inbox's side (TEL-1, TEL-4, TEL-10) against a real
// tsunagud with the calltest phone channel: answering a waiting call while
// on a call hangs the current one up (HANGUP to the channel) and rings
// one's own phone; rejecting passes the call on; a ring timeout moves to
// the next operator (by events); a missed call is called back in a new,
// linked conversation (DIAL); the call records appear in the conversation
// and in the report, also as CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';
import { callsPluginDir, dialIn, report, channelSaw, channelEvents } from './lib/calls.mjs';

let plugins, srv, admin, opA, opB;

before(async () => {
  plugins = callsPluginDir();
  srv = await startServer({ config: plugins.config('[routing]\nring_timeout = 1s\nmax_missed_offers = 0\n') });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  opA = (await admin.sessionOf('op-a', 'operator')).api;
  opB = (await admin.sessionOf('op-b', 'operator')).api;
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
  if (plugins) plugins.cleanup();
});

const saw = (kind, call, login) => (e) => e.kind === kind && e.call === call && (!login || e.login === login);

test('ring timeout, reject, answer while talking, hang up, records', async () => {
  const first = await dialIn(srv, '0311110000', 'in-1');
  await channelSaw(srv, saw('ring', first.call, 'op-a'), 'RING op-a');
  // op-a lets it ring out: the engine moves on to op-b (no clock in the test)
  const stop = await channelSaw(srv, saw('stop_ring', first.call, 'op-a'), 'STOP_RING op-a');
  assert.equal(stop.reason, 'ring_timeout');
  await channelSaw(srv, saw('ring', first.call, 'op-b'), 'RING op-b');
  // op-b rejects it from the inbox: their phone stops, it goes back to op-a
  let r = await opB.post(`/api/v1/calls/${first.call}/reject`, {});
  assert.equal(r.status, 200, r.text);
  assert.equal((await channelSaw(srv, saw('stop_ring', first.call, 'op-b'), 'STOP_RING op-b')).reason, 'rejected');
  await eventually(async () => (await channelEvents(srv))
    .filter(saw('ring', first.call, 'op-a')).length === 2, 'RING op-a again', 20000);
  assert.equal(await report(srv, 'answered', { call: first.call, login: 'op-a' }), 0);

  // a second call while op-a talks; op-a takes it from the waiting list (TEL-4)
  const second = await dialIn(srv, '0322220000', 'in-2');
  const waiting = (await opA.get('/api/v1/calls')).json.calls;
  assert.ok(waiting.some((c) => c.id === second.call));
  r = await opA.post(`/api/v1/calls/${second.call}/answer`, {});
  assert.equal(r.status, 200, r.text);
  const hangup = await channelSaw(srv, saw('hangup', first.call), 'HANGUP of the current call');
  assert.equal(hangup.reason, 'answering_other');
  await channelSaw(srv, saw('ring', second.call, 'op-a'), 'RING op-a for the taken call');
  assert.equal(await report(srv, 'answered', { call: second.call, login: 'op-a' }), 0);
  // op-b may not hang up op-a's call; op-a may
  assert.equal((await opB.post(`/api/v1/calls/${second.call}/hangup`, {})).status, 403);
  assert.equal((await opA.post(`/api/v1/calls/${second.call}/hangup`, {})).status, 200);
  await channelSaw(srv, saw('hangup', second.call), 'HANGUP on hang-up from the inbox');
  assert.equal((await opA.post(`/api/v1/calls/${second.call}/hangup`, {})).status, 409);

  // the records in the conversation view
  const conv = (await opA.get(`/api/v1/conversations/${first.conversation}`)).json.conversation;
  assert.equal(conv.calls.length, 1);
  const rec = conv.calls[0];
  assert.deepEqual([rec.direction, rec.state, rec.staff_login, rec.caller, rec.missed_reason],
    ['inbound', 'ended', 'op-a', '0311110000', null]);
  assert.ok(rec.ring_ms > 0 && rec.talk_ms >= 0);

  // the report: op-b sees only their own calls (none answered), a supervisor all
  const from = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  r = await admin.get(`/api/v1/reports/calls?from=${from}&to=${to}`);
  assert.equal(r.status, 200, r.text);
  const ids = r.json.calls.map((c) => c.id);
  assert.ok(ids.includes(first.call) && ids.includes(second.call));
  r = await opB.get(`/api/v1/reports/calls?from=${from}&to=${to}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.calls.length, 0);
  r = await admin.get(`/api/v1/reports/calls?from=${from}&to=${to}&format=csv`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/csv/);
  const lines = r.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.match(lines[0], /^"call","conversation","channel","direction"/);
  assert.ok(lines.some((l) => l.startsWith(`${first.call},"${first.conversation}","phone","inbound","ended"`)));
  assert.equal((await admin.get('/api/v1/reports/calls?from=x&to=y')).status, 400);
  for (const c of [first, second]) {
    await opA.post(`/api/v1/conversations/${c.conversation}/close`, {});
  }
});

test('call-back of a missed call: a new linked conversation and DIAL', async () => {
  const c = await dialIn(srv, '0333330000', 'in-3');
  assert.equal(await report(srv, 'missed', { call: c.call, reason: 'userLeft' }), 0);
  let r = await opB.post(`/api/v1/conversations/${c.conversation}/callback`, {});
  assert.equal(r.status, 201, r.text);
  const back = r.json.call;
  assert.notEqual(r.json.conversation.id, c.conversation);
  const dial = await channelSaw(srv, saw('dial', back, 'op-b'), 'DIAL for the call-back');
  assert.equal(dial.remote, '0333330000');
  assert.equal(dial.provider_call_id, null); // outbound: no provider id
  const made = (await opB.get(`/api/v1/conversations/${dial.conversation}`)).json.conversation;
  assert.equal(made.calls[0].direction, 'outbound');
  assert.equal(made.calls[0].linked_conversation, c.conversation);
  // the customer answers, then hangs up
  assert.equal(await report(srv, 'answered', { call: back, login: 'op-b' }), 0);
  assert.equal(await report(srv, 'ended', { call: back }), 0);
  // only a missed call is called back
  r = await opB.post(`/api/v1/conversations/${dial.conversation}/callback`, {});
  assert.equal(r.status, 409);
  assert.ok((await channelEvents(srv)).length > 0);
});
