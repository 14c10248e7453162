// The status-time report (OP-6), black box: statuses change through the
// real API (login, PUT /api/v1/me/status, logout) and a customer's chat is
// routed to an operator; the report agrees with the events log, supervisors
// see everyone, an operator only themself (403 otherwise), bad periods are
// 400, and the CSV is what a spreadsheet needs (BOM, RFC 4180 quoting, no
// formula from a name). The server runs in Asia/Tokyo (TZ).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { echoPluginDir, customerSays } from '../e2e/lib/echo.mjs';

// the echo channel; the built-in rules send a chat to whoever is available
let plug;
before(() => { plug = echoPluginDir(); });
after(() => { if (plug) plug.cleanup(); });

const put = (api, path, json) => api.request('PUT', path, { json });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A date in Tokyo, days away from today.
function tokyoDate(days) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' })
    .format(new Date(Date.now() + days * 86400000));
}

// What the events log says op spent in each status between its first
// status event and the last (all of them inside the report's period).
function expectedFromEvents(events, staffId) {
  const mine = events.filter((e) => e.type === 'staff.status_changed' && e.data.staff === staffId);
  const ms = { available: 0, away: 0, offline: 0 };
  for (let i = 1; i < mine.length; i++)
    ms[mine[i - 1].data.status] += Date.parse(mine[i].at) - Date.parse(mine[i - 1].at);
  return { mine, ms };
}

test('status-time report: figures, permissions, errors and CSV', async () => {
  const srv = await startServer({ config: plug.config, env: { TZ: 'Asia/Tokyo' } });
  try {
    const admin = new ApiClient(srv.url);
    assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
    const s1 = await admin.createStaff('op1', 'operator');
    const s2 = await admin.createStaff('op2', 'operator');
    const sv = await admin.createStaff('sup', 'supervisor');
    const evilName = '=HYPERLINK("http://x","y"),';
    const r0 = await admin.post('/api/v1/staff', {
      login: 'evil', display_name: evilName, role: 'operator', password: 'evil-password-123',
    });
    assert.equal(r0.status, 201, r0.text);
    const evil = r0.json.staff;
    const tr = await admin.post('/api/v1/teams', { name: 'support' });
    assert.equal(tr.status, 201, tr.text);
    const add = await admin.post(`/api/v1/teams/${tr.json.team.id}/members`, { staff: s1.id });
    assert.ok(add.status === 200 || add.status === 201, add.text);

    // op1: login (available), a chat, away for a while, available, logout
    const op1 = new ApiClient(srv.url);
    assert.equal((await op1.login('op1', s1.password)).status, 200);
    await customerSays(srv, 'c1', 'こんにちは');
    for (let i = 0; (await op1.get('/api/v1/me/status')).json.open_chats !== 1; i++) {
      assert.ok(i < 200, 'the chat reaches op1');
      await sleep(50);
    }
    assert.equal((await put(op1, '/api/v1/me/status', { status: 'away' })).status, 200);
    await sleep(1100);
    assert.equal((await put(op1, '/api/v1/me/status', { status: 'available' })).status, 200);
    await sleep(300);
    assert.equal((await op1.logout()).status, 200);

    const sup = new ApiClient(srv.url);
    assert.equal((await sup.login('sup', sv.password)).status, 200);
    const from = tokyoDate(-1), to = tokyoDate(1);
    const q = `/api/v1/reports/status-time?from=${from}&to=${to}`;
    const r = await sup.get(q);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.timezone, 'Asia/Tokyo');
    assert.equal(r.json.from, from);
    assert.equal(r.json.to, to);
    assert.equal(r.json.days.length, 3);
    const ids = r.json.staff.map((s) => s.id);
    for (const s of [s1, s2, sv, evil]) assert.ok(ids.includes(s.id), `row of ${s.login}`);
    const row1 = r.json.staff.find((s) => s.id === s1.id);
    const row2 = r.json.staff.find((s) => s.id === s2.id);
    assert.equal(row1.total.chats, 1);
    assert.equal(row1.days.reduce((n, d) => n + d.chats, 0), 1);
    assert.equal(row2.total.chats, 0);
    assert.equal(row2.total.seconds.available, 0);
    assert.equal(row2.total.seconds.away, 0);
    // every kind has a default sub-type (docs/routing.md): the sub-types
    // split each kind's time exactly
    for (const st of row1.total.subtypes)
      assert.ok(['available', 'away', 'offline'].includes(st.status), JSON.stringify(st));
    for (const k of ['available', 'away', 'offline'])
      assert.equal(row1.total.subtypes.filter((st) => st.status === k)
        .reduce((n, st) => n + st.seconds, 0), row1.total.seconds[k], k);
    // totals are the sums of the days
    for (const k of ['available', 'away', 'offline'])
      assert.equal(row1.total.seconds[k], row1.days.reduce((n, d) => n + d.seconds[k], 0));

    // the report agrees with the events log (login, manual, manual, logout)
    const ev = await admin.get('/api/v1/events?after=0&limit=1000');
    assert.equal(ev.status, 200, ev.text);
    const { mine, ms } = expectedFromEvents(ev.json.events, s1.id);
    assert.deepEqual(mine.map((e) => e.data.status), ['available', 'away', 'available', 'offline']);
    assert.deepEqual(mine.map((e) => e.data.reason), ['login', 'manual', 'manual', 'logout']);
    assert.ok(Math.abs(row1.total.seconds.away - ms.away / 1000) <= 1,
      `away ${row1.total.seconds.away} s, events say ${ms.away} ms`);
    assert.ok(Math.abs(row1.total.seconds.available - ms.available / 1000) <= 1,
      `available ${row1.total.seconds.available} s, events say ${ms.available} ms`);

    // a team, and staff ids
    const team = await sup.get(`${q}&team=support`);
    assert.equal(team.status, 200, team.text);
    assert.deepEqual(team.json.staff.map((s) => s.id), [s1.id]);
    assert.equal((await sup.get(`${q}&team=nobody`)).status, 404);
    const two = await sup.get(`${q}&staff=${s2.id},${s1.id}`);
    assert.deepEqual(two.json.staff.map((s) => s.id), [s1.id, s2.id]);

    // an operator sees only themself
    const op2 = new ApiClient(srv.url);
    assert.equal((await op2.login('op2', s2.password)).status, 200);
    const own = await op2.get(q);
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.json.staff.map((s) => s.id), [s2.id]);
    assert.equal((await op2.get(`${q}&staff=${s2.id}`)).status, 200);
    const other = await op2.get(`${q}&staff=${s1.id}`);
    assert.equal(other.status, 403);
    assert.equal(other.json.error.code, 'forbidden');
    assert.equal((await op2.get(`${q}&staff=${s2.id},${s1.id}`)).status, 403);
    assert.equal((await op2.get(`${q}&team=support`)).status, 403);
    assert.equal((await op2.get(`${q}&format=csv&staff=${s1.id}`)).status, 403);
    assert.equal((await new ApiClient(srv.url).get(q)).status, 401);

    // bad requests say why
    const bad = {
      [`/api/v1/reports/status-time?to=${to}`]: /YYYY-MM-DD/,
      '/api/v1/reports/status-time?from=2024-02-30&to=2024-03-01': /YYYY-MM-DD/,
      '/api/v1/reports/status-time?from=2024/03/01&to=2024-03-01': /YYYY-MM-DD/,
      '/api/v1/reports/status-time?from=2024-03-02&to=2024-03-01': /before/,
      '/api/v1/reports/status-time?from=2024-01-01&to=2025-01-01': /366 days/,
      [`${q}&format=xml`]: /json or csv/,
      [`${q}&staff=abc`]: /staff/,
      [`${q}&staff=1,,2`]: /staff/,
      [`${q}&staff=-1`]: /staff/,
    };
    for (const [path, why] of Object.entries(bad)) {
      const b = await sup.get(path);
      assert.equal(b.status, 400, `${path}: ${b.text}`);
      assert.equal(b.json.error.code, 'bad_request');
      assert.match(b.json.error.message, why, path);
    }
    assert.equal((await sup.get('/api/v1/reports/status-time?from=2024-01-01&to=2024-12-31')).status, 200);

    // CSV: BOM, header, one row per staff member and day plus a total row
    const csv = await sup.request('GET', `${q}&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv; charset=utf-8/);
    assert.match(csv.headers.get('content-disposition'),
      new RegExp(`attachment; filename="status-time_${from}_${to}\\.csv"`));
    const bytes = Buffer.from(await (await fetch(`${srv.url}${q}&format=csv`, {
      headers: { cookie: sup.cookieHeader() },
    })).arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    assert.equal(lines.pop(), '', 'ends with CRLF');
    assert.equal(lines[0], 'date,staff_id,login,display_name,available_seconds,available_hms,'
      + 'away_seconds,away_hms,offline_seconds,offline_hms,chats,calls_answered,call_seconds,'
      + 'call_hms,acw_seconds,acw_hms,'
      // then two columns per sub-type that has time (here each kind's default)
      + '"available:available seconds","available:available hms",'
      + '"away:away seconds","away:away hms","offline:offline seconds","offline:offline hms"');
    assert.equal(lines.length, 1 + r.json.staff.length * 4);
    const evilRows = lines.filter((l) => l.includes(`,${evil.id},"evil",`));
    assert.equal(evilRows.length, 4);
    for (const l of evilRows)
      assert.ok(l.includes(`,"'=HYPERLINK(""http://x"",""y""),",`), l);
    const total1 = lines.find((l) => l.startsWith(`total,${s1.id},`));
    const cells = total1.split(',');
    assert.equal(Number(cells[6]), row1.total.seconds.away);
    assert.match(cells[7], /^\d{2,}:\d{2}:\d{2}$/);
    assert.equal(Number(cells[10]), 1, 'one chat');
    assert.ok(lines.slice(1).every((l) => /^(\d{4}-\d{2}-\d{2}|total),\d+,"/.test(l)));
  } finally {
    await stopCleanly(srv, assert);
  }
});
