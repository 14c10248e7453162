// routing.ring_rounds (docs/routing.md, "Offers and no answer") against a
// real tsunagud through the calltest phone channel: one operator who never
// answers, a short routing.ring_timeout. With ring_rounds = 1 the first
// unanswered round ends the call: missed ringTimeout by the engine, MISSED
// to the channel, the conversation closed, the phone rung once. With
// ring_rounds = 2 the phone rings a second round first. Asserted by the
// events the engine writes and the channel receives, never by time (the
// ring timeout runs on the server's own clock).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { ApiClient, stopCleanly, eventsOf } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';
import { callsPluginDir, dialIn, channelEvents, channelSaw, DISPOSITION } from './lib/calls.mjs';

const started = [];

after(async () => {
  for (const { srv, plugins } of started) {
    await stopCleanly(srv, assert);
    plugins.cleanup();
  }
});

async function serverWithRounds(rounds) {
  const plugins = callsPluginDir();
  const srv = await startServer({
    config: plugins.config(`[routing]\nring_timeout = 1s\nring_rounds = ${rounds}\n`),
  });
  started.push({ srv, plugins });
  const admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  // the one operator, available on login, whose phone is never picked up
  await admin.sessionOf('op-deaf', 'operator');
  return { srv, admin };
}

// Runs one unanswered call to its end; returns what the channel and the
// event log saw of it.
async function unansweredCall(srv, admin, id) {
  const c = await dialIn(srv, '0312340000', id);
  assert.equal(c.status, 0);
  assert.equal(c.disposition, DISPOSITION.QUEUED);
  const missed = await channelSaw(srv, (e) => e.kind === 'missed' && e.call === c.call, 'MISSED to the channel');
  const mine = (await channelEvents(srv)).filter((e) => e.call === c.call);
  const engine = await eventually(async () => (await eventsOf(admin, 'call.missed'))
    .find((e) => e.data.call === c.call), 'call.missed');
  return { c, missed, mine, engine };
}

test('ring_rounds = 1: one unanswered round ends the call missed ringTimeout, closed', async () => {
  const { srv, admin } = await serverWithRounds(1);
  const { c, missed, mine, engine } = await unansweredCall(srv, admin, 'rounds-1');
  assert.equal(missed.reason, 'ringTimeout');
  assert.equal(missed.conversation, c.conversation);
  assert.deepEqual([engine.data.reason, engine.data.by], ['ringTimeout', 'engine']);
  // rung once, stopped by the ring timeout, then told to end the caller's leg
  assert.deepEqual(mine.map((e) => [e.kind, e.login, e.reason]), [
    ['ring', 'op-deaf', null],
    ['stop_ring', 'op-deaf', 'ring_timeout'],
    ['missed', null, 'ringTimeout'],
  ]);
  const offered = (await eventsOf(admin, 'call.offered')).filter((e) => e.data.call === c.call);
  assert.equal(offered.length, 1);
  // TEL-3: a missed call is closed, and it is no longer waiting
  const conv = (await admin.get(`/api/v1/conversations/${c.conversation}`)).json.conversation;
  assert.equal(conv.state, 'closed');
  assert.deepEqual(conv.calls.map((x) => [x.id, x.state, x.missed_reason]), [[c.call, 'ended', 'ringTimeout']]);
  assert.equal((await admin.get('/api/v1/calls')).json.calls.length, 0);
});

test('ring_rounds = 2: the phone rings a second round before the call is missed', async () => {
  const { srv, admin } = await serverWithRounds(2);
  const { c, missed, mine, engine } = await unansweredCall(srv, admin, 'rounds-2');
  assert.equal(missed.reason, 'ringTimeout');
  assert.equal(engine.data.reason, 'ringTimeout');
  assert.deepEqual(mine.map((e) => e.kind), ['ring', 'stop_ring', 'ring', 'stop_ring', 'missed']);
  const conv = (await admin.get(`/api/v1/conversations/${c.conversation}`)).json.conversation;
  assert.equal(conv.state, 'closed');
});
