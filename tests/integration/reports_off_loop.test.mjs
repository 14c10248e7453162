// The status-time report runs off the loop thread (docs/reports.md): while a
// large report is being computed, /healthz and a customer's chat message
// (through the echo channel, acknowledged after its commit) are answered,
// and both answers arrive before the report's. A server stopped while a
// report runs exits cleanly. The events are loaded straight into the
// database file with the sqlite3 tool while the server is stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, makeTempDir, run } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { echoPluginDir, customerSays } from '../e2e/lib/echo.mjs';

// Enough for the report to take about a second in a normal build (the others
// are sent 100 ms after it) and well under the report's 30 s deadline
// (TSUNAGU_REPORT_TIMEOUT_MS). The sanitized build is 15-50x slower (200,000
// took 14-26 s alone and over 30 s beside the other suites on a starved
// machine), so it gets a quarter: still seconds, far above the 100 ms.
const EVENTS = process.env.TSUNAGU_SANITIZED === '1' ? 50000 : 200000;
const DAYS = 30;

let plug;
before(() => { plug = echoPluginDir(); });
after(() => { if (plug) plug.cleanup(); });

const utcDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// EVENTS status changes of staffId, evenly over the last DAYS days.
async function loadEvents(dbPath, staffId) {
  const end = Date.now() * 1000;
  const step = Math.floor((DAYS * 86400e6) / EVENTS);
  const start = end - EVENTS * step;
  const sql = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${EVENTS})
INSERT INTO events(at, type, actor_staff_id, payload)
SELECT ${start} + i * ${step}, 'staff.status_changed', ${staffId},
  json_object('staff', ${staffId}, 'status', CASE i % 2 WHEN 0 THEN 'available' ELSE 'away' END,
              'previous', CASE i % 2 WHEN 0 THEN 'away' ELSE 'available' END)
FROM n;`;
  const r = await run('sqlite3', [dbPath, sql]);
  assert.equal(r.code, 0, r.stderr);
}

test('a long report does not stall the loop; stopping during one is clean', async (t) => {
  const dataDir = makeTempDir();
  const env = { TZ: 'UTC' };
  let srv = await startServer({ dataDir, config: plug.config, env });
  const login = srv.adminLogin, password = srv.adminPassword;
  let admin = new ApiClient(srv.url);
  assert.equal((await admin.login(login, password)).status, 200);
  const op = await admin.createStaff('op1', 'operator');
  await stopCleanly(srv, assert);

  await loadEvents(join(dataDir, 'tsunagu.db'), op.id);
  srv = await startServer({ dataDir, config: plug.config, env, adminLogin: login,
    adminPassword: password });
  try {
    admin = new ApiClient(srv.url);
    assert.equal((await admin.login(login, password)).status, 200);
    const q = `/api/v1/reports/status-time?from=${utcDate(Date.now() - DAYS * 86400e3)}`
      + `&to=${utcDate(Date.now())}&staff=${op.id}`;

    const order = [];
    const t0 = Date.now();
    const times = {};
    const report = admin.get(q).then((r) => {
      order.push('report'); times.report = Date.now() - t0; return r;
    });
    // let the server take the report request before the others arrive
    await sleep(100);
    const health = new ApiClient(srv.url).get('/healthz')
      .then((r) => { order.push('healthz'); times.healthz = Date.now() - t0; return r; });
    const chat = customerSays(srv, 'c1', 'hello').then((c) => { order.push('chat'); times.chat = Date.now() - t0; return c; });
    const [r, h, c] = await Promise.all([report, health, chat]);

    assert.equal(h.status, 200);
    assert.ok(c, 'the chat message was committed');
    assert.equal(r.status, 200, r.text);
    const row = r.json.staff.find((s) => s.id === op.id);
    assert.ok(row.total.seconds.away > 0 && row.total.seconds.available > 0);
    // figures for the record, not asserted
    t.diagnostic(`ms after the report request: ${JSON.stringify(times)}`);
    // the loop answered the others while the report was being computed
    assert.equal(order.length, 3);
    assert.equal(order[2], 'report', `order: ${order.join(', ')}`);

    // stopped while a report runs: the report is interrupted, the exit clean
    const late = admin.get(q).catch(() => null);
    await sleep(100);
    await stopCleanly(srv, assert);
    const lr = await late;
    if (lr) assert.ok(lr.status === 200 || lr.status === 503, lr.text);
  } finally {
    await srv.stop('SIGTERM', { cleanup: true });
  }
});
