// The events WebSocket: hello, live events, resume after a disconnect with
// exactly the missed events (no gap, no duplicate, in order), events
// committed while a replay runs, auth and origin on the upgrade.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, sourceRoot } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';

let srv, admin;
let counter = 0;

before(async () => {
  srv = await startServer({ config: `[rules]\ndir = ${join(sourceRoot, 'rules')}\n` });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
});
after(async () => { if (srv) await stopCleanly(srv, assert); });

// Emits one event (keyword.defined) through the API; resolves after commit.
async function emit() {
  const key = `k${++counter}`;
  const r = await admin.post('/api/v1/keywords', { key, title: `Keyword ${counter}` });
  assert.equal(r.status, 201, r.text);
  return key;
}

function assertStrictlyIncreasing(events) {
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i].seq > events[i - 1].seq, `seq ${events[i].seq} after ${events[i - 1].seq}`);
  }
}

test('hello first, then live events as JSON with seq and type', async () => {
  const ws = await admin.openEvents();
  const hello = await ws.next();
  assert.equal(hello.type, 'hello');
  assert.equal(typeof hello.committed_seq, 'number');
  const key = await emit();
  const ev = await ws.next();
  assert.equal(ev.type, 'keyword.defined');
  assert.equal(ev.seq, hello.committed_seq + 1);
  assert.equal(ev.data.key, key);
  assert.equal(ev.actor, admin.staff.id);
  assert.match(ev.at, /^\d{4}-\d\d-\d\dT/);
  await ws.close();
});

test('reconnect with since=last gets exactly the missed events, in order, no duplicates', async () => {
  let ws = await admin.openEvents();
  const hello = await ws.next();
  const seen = [];
  for (let i = 0; i < 3; i++) await emit();
  seen.push(...await ws.until((m) => m.seq === hello.committed_seq + 3));
  const last = seen[seen.length - 1].seq;
  await ws.close();

  // while away: more events
  const missedKeys = [];
  for (let i = 0; i < 5; i++) missedKeys.push(await emit());

  ws = await admin.openEvents({ since: last });
  const hello2 = await ws.next();
  assert.equal(hello2.type, 'hello');
  assert.equal(hello2.since, last);
  assert.equal(hello2.committed_seq, last + 5);
  const replayed = [];
  for (let i = 0; i < 5; i++) replayed.push(await ws.next());
  assert.deepEqual(replayed.map((e) => e.seq), [1, 2, 3, 4, 5].map((n) => last + n));
  assert.deepEqual(replayed.map((e) => e.data.key), missedKeys);
  // then live, continuing the sequence
  await emit();
  const live = await ws.next();
  assert.equal(live.seq, last + 6);
  // and nothing else arrived (no duplicate of the replay)
  await assert.rejects(ws.next(300), /timeout/);
  await ws.close();
});

test('events committed while a long replay runs arrive once, in order, with no gap', async () => {
  // a backlog larger than one replay page
  const start = (await admin.get('/api/v1/events?limit=1')).json.committed_seq;
  const burst = [];
  for (let i = 0; i < 300; i++) burst.push(admin.post('/api/v1/keywords', { key: `b${i}`, title: 'b' }));
  await Promise.all(burst);
  const ws = await admin.openEvents({ since: start });
  await ws.next(); // hello
  // emit more while the replay is running
  const during = [];
  for (let i = 0; i < 20; i++) during.push(emit());
  await Promise.all(during);
  const committed = (await admin.get('/api/v1/events?limit=1')).json.committed_seq;
  const got = await ws.until((m) => m.seq === committed, 10000);
  assertStrictlyIncreasing(got);
  assert.equal(got[0].seq, start + 1);
  assert.equal(got.length, committed - start); // no gap, no duplicate
  await assert.rejects(ws.next(300), /timeout/);
  await ws.close();
});

test('since=0 replays from the beginning; the REST page agrees', async () => {
  const ws = await admin.openEvents({ since: 0 });
  const hello = await ws.next();
  const all = await ws.until((m) => m.seq === hello.committed_seq, 10000);
  assert.equal(all[0].seq, 1);
  assertStrictlyIncreasing(all);
  await ws.close();
  const page = await admin.get('/api/v1/events?after=0&limit=5');
  assert.equal(page.status, 200);
  assert.deepEqual(page.json.events.map((e) => e.seq), all.slice(0, 5).map((e) => e.seq));
  assert.equal(page.json.next_after, all[4].seq);
  const next = await admin.get(`/api/v1/events?after=${page.json.next_after}&limit=5`);
  assert.equal(next.json.events[0].seq, all[5].seq);
  assert.equal((await admin.get('/api/v1/events?after=-1')).status, 400);
  assert.equal((await admin.get('/api/v1/events?limit=abc')).status, 400);
});

test('the upgrade needs a session and a same-origin Origin', async () => {
  const anon = new ApiClient(srv.url);
  await assert.rejects(anon.openEvents(), (e) => e.statusCode !== undefined || /refused|hang up|closed|ECONNRESET|Unexpected/i.test(e.message));
  await assert.rejects(admin.openEvents({ origin: 'http://evil.example' }));
  await assert.rejects(admin.openEvents({ since: 'abc' }));
  // the server is fine afterwards
  const ws = await admin.openEvents();
  assert.equal((await ws.next()).type, 'hello');
  ws.send({ type: 'ping' });
  assert.equal((await ws.next()).type, 'pong');
  await ws.close();
});

test('an oversized client message closes the socket with 1009', async () => {
  const ws = await admin.openEvents();
  await ws.next();
  ws.ws.send('x'.repeat(70 * 1024)); // http.max_ws_message is 64K
  const closed = await new Promise((resolve) => {
    if (ws.closed) resolve(ws.closed);
    ws.ws.once('close', (code) => resolve({ code }));
  });
  assert.equal(closed.code, 1009);
});

test('logging out does not break other sockets; a new session can resume', async () => {
  const c = new ApiClient(srv.url);
  const s = await admin.createStaff(`ev${Date.now() % 100000}`, 'operator');
  await c.login(s.login, s.password);
  const ws = await c.openEvents();
  const hello = await ws.next();
  await emit();
  const ev = await ws.next();
  assert.equal(ev.seq, hello.committed_seq + 1);
  await ws.close();
});

// Resolves with the close code once the socket is closed by the server.
function closedBy(ws, ms = 5000) {
  if (ws.closed) return Promise.resolve(ws.closed);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('socket still open')), ms);
    ws.ws.once('close', (code, reason) => { clearTimeout(t); resolve({ code, reason: reason.toString() }); });
  });
}

test('a socket ends with its session: logout and a password change close it (1008)', async () => {
  const login = `op${Date.now()}`;
  const created = await admin.post('/api/v1/staff', {
    login, display_name: 'Op', role: 'operator', password: 'first-password-123',
  });
  assert.equal(created.status, 201, created.text);

  // Logout closes that session's socket, and only that one.
  const a = new ApiClient(srv.url);
  assert.equal((await a.login(login, 'first-password-123')).status, 200);
  const b = new ApiClient(srv.url);
  assert.equal((await b.login(login, 'first-password-123')).status, 200);
  const wsA = await a.openEvents();
  const wsB = await b.openEvents();
  await wsA.next();
  await wsB.next();
  assert.equal((await a.post('/api/v1/auth/logout', {})).status, 200);
  const closedA = await closedBy(wsA);
  assert.equal(closedA.code, 1008);
  assert.match(closedA.reason, /session ended/);
  // B's session is alive: it still gets events (its own logout event first).
  const key = await emit();
  const got = await wsB.until((m) => m.type === 'keyword.defined' && m.data.key === key);
  assert.ok(got.length >= 1);

  // A new password ends every session of the account: B's socket closes.
  const r = await admin.patch(`/api/v1/staff/${created.json.staff.id}`, { password: 'second-password-456' });
  assert.equal(r.status, 200, r.text);
  const closedB = await closedBy(wsB);
  assert.equal(closedB.code, 1008);
});
