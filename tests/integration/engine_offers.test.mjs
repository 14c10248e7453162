// No-answer handling against a real tsunagud (issue 4, item 3): with
// routing.offer_timeout set, a chat the router assigns is only offered; an
// operator who does not accept it in time loses it to the next operator,
// and after routing.max_missed_offers misses in a row is set away (audited,
// reason missed_offers). Accepting (joining) keeps the chat and resets the
// count. The offers live in the database, so they survive a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeTempDir } from './lib/server.mjs';
import { customerSays, echoPluginDir } from './lib/echo.mjs';
import { ApiClient, stopCleanly, eventsOf } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';

let plugins, rulesDir;

before(() => {
  plugins = echoPluginDir();
  rulesDir = join(plugins.dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'route.lua'), `
route "everyone, in a fixed order" {
  to = all_available(),
  method = "round_robin",
}
`);
});

after(() => { if (plugins) plugins.cleanup(); });

const config = () => `${plugins.config}\n[rules]\ndir = ${rulesDir}\n\n`
  + '[routing]\noffer_timeout = 1s\nmax_missed_offers = 2\n';

test('an offer not accepted moves on; two misses in a row set the operator away', async () => {
  const dataDir = makeTempDir('tsunagu-offers-data-');
  let srv = await startServer({ config: config(), dataDir });
  try {
    const login = srv.adminLogin, password = srv.adminPassword;
    const admin = new ApiClient(srv.url);
    assert.equal((await admin.login(login, password)).status, 200);
    const a = await admin.createStaff('op-a', 'operator');
    const b = await admin.createStaff('op-b', 'operator');
    const opA = new ApiClient(srv.url), opB = new ApiClient(srv.url);
    assert.equal((await opA.login('op-a', a.password)).status, 200);
    assert.equal((await opB.login('op-b', b.password)).status, 200);

    // Round robin from the start: A (the lower id) is offered the first chat.
    const c1 = await customerSays(srv, 'taro', 'こんにちは');
    const offered1 = await eventually(async () => (await eventsOf(admin, 'conversation.offered', c1))[0],
      'the first offer', 20000);
    assert.equal(offered1.data.staff, a.id);
    assert.ok(offered1.data.deadline > 0);

    // A lets it pass: it goes to B, and A's miss is counted.
    const missed1 = await eventually(async () => (await eventsOf(admin, 'conversation.offer_missed', c1))[0],
      'the first miss', 20000);
    assert.deepEqual({ staff: missed1.data.staff, missed: missed1.data.missed }, { staff: a.id, missed: 1 });
    const offered2 = await eventually(async () => (await eventsOf(admin, 'conversation.offered', c1))
      .find((e) => e.data.staff === b.id), 'the offer to B', 20000);
    assert.ok(offered2.seq > missed1.seq);

    // B accepts by joining: the chat stays B's, no further offer or miss.
    const joined = await opB.post(`/api/v1/conversations/${c1}/join`, {});
    assert.equal(joined.status, 200, joined.text);
    const conv1 = (await admin.get(`/api/v1/conversations/${c1}`)).json.conversation;
    assert.equal(conv1.assignee.id, b.id);
    assert.equal((await opA.get('/api/v1/me/status')).json.missed_offers, 1);
    assert.equal((await opB.get('/api/v1/me/status')).json.missed_offers, 0);

    // The next chat is A's turn again; stop the server while it is offered:
    // the deadline is kept in the database and runs out after the restart.
    const c2 = await customerSays(srv, 'hanako', 'もしもし');
    await eventually(async () => (await eventsOf(admin, 'conversation.offered', c2))
      .find((e) => e.data.staff === a.id), 'the second offer to A', 20000);
    const stopped = await srv.stop('SIGTERM', { cleanup: false });
    assert.equal(stopped.code, 0);
    srv = await startServer({ config: config(), dataDir });
    const admin2 = new ApiClient(srv.url);
    assert.equal((await admin2.login(login, password)).status, 200);

    // A's second miss in a row sets A away, audited as missed_offers.
    const paused = await eventually(async () => (await eventsOf(admin2, 'staff.status_changed'))
      .find((e) => e.data.staff === a.id && e.data.reason === 'missed_offers'), 'autopause', 20000);
    assert.equal(paused.data.status, 'away');
    assert.equal(paused.data.previous, 'available');
    const missed2 = (await eventsOf(admin2, 'conversation.offer_missed', c2))[0];
    assert.deepEqual({ staff: missed2.data.staff, missed: missed2.data.missed }, { staff: a.id, missed: 2 });
    const st = (await admin2.get('/api/v1/status')).json.staff.find((s) => s.id === a.id);
    assert.equal(st.status, 'away');
  } finally {
    await stopCleanly(srv, assert);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
