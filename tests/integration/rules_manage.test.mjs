// Rules management through the API, black box: admins list, enable,
// disable, move and delete route rules, read and replace files (validated
// first: bad Lua is refused with file:line and nothing changes on disk, a
// good save keeps the previous version), and dry-run drafts against real
// conversations (made through the echo channel plugin) without changing
// anything. Operators and supervisors get 403 everywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, makeTempDir, buildRoot } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';

let tmp, pluginDir, rulesDir, srv, admin, operator, supervisor, op1, op2;
let aliceConv; // alice's first conversation (the dry-run test makes it)

const ROUTE = `-- echo customers go to op1
route "echo to op1" {
  when = function(c) return c.channel == "echo" end,
  to = operators { "op1" },
  method = "round_robin",
}

route "everyone" {
  to = all_available(),
}
`;

const put = (api, path, json) => api.request('PUT', path, { json });
const routeFile = () => readFileSync(join(rulesDir, 'route.lua'), 'utf8');

async function customerSays(from, text, id = `${from}-${Math.random()}`) {
  const ws = new WebSocket(`${srv.wsUrl}/plugins/echo/ws`);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const ack = new Promise((r) => ws.on('message', (m) => {
    const msg = JSON.parse(m.toString());
    if (msg.ack === id) r(msg);
  }));
  ws.send(JSON.stringify({ from, text, id }));
  const got = await ack;
  ws.close();
  return got.conversation;
}

async function events() {
  const ev = await admin.get('/api/v1/events?after=0&limit=1000');
  assert.equal(ev.status, 200, ev.text);
  return ev.json.events;
}

// The events once what earlier steps set off (the echo's replies and their
// failed deliveries, committed within store.commit_delay) has landed: the
// log is read until two reads 100 ms apart agree.
async function settledEvents() {
  let last = await events();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await events();
    if (now.at(-1)?.seq === last.at(-1)?.seq) return now;
    last = now;
  }
  return last;
}

before(async () => {
  tmp = makeTempDir('tsunagu-rules-manage-');
  pluginDir = join(tmp, 'plugins');
  rulesDir = join(tmp, 'rules');
  mkdirSync(pluginDir);
  mkdirSync(rulesDir);
  cpSync(join(buildRoot, 'sdk', 'echo.so'), join(pluginDir, 'echo.so'));
  writeFileSync(join(rulesDir, 'route.lua'), ROUTE);
  srv = await startServer({ config: `[plugins]\ndir = ${pluginDir}\n\n[rules]\ndir = ${rulesDir}\n` });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  const o = await admin.createStaff('oper', 'operator');
  const s = await admin.createStaff('super', 'supervisor');
  const a1 = await admin.createStaff('op1', 'operator');
  const a2 = await admin.createStaff('op2', 'operator');
  operator = new ApiClient(srv.url);
  supervisor = new ApiClient(srv.url);
  op1 = new ApiClient(srv.url);
  op2 = new ApiClient(srv.url);
  assert.equal((await operator.login('oper', o.password)).status, 200);
  assert.equal((await supervisor.login('super', s.password)).status, 200);
  assert.equal((await op1.login('op1', a1.password)).status, 200); // available now
  op2.password = a2.password;
});

// lib/server.mjs's root after-hook kills what is left (SIGKILL) before a
// file's own after-hooks run: the clean stop is a test of its own, last.
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

test('operators and supervisors may not manage rules (403), nothing changes', async () => {
  const calls = [
    ['GET', '/api/v1/rules/routes'],
    ['POST', '/api/v1/rules/routes/enable', { name: 'everyone' }],
    ['POST', '/api/v1/rules/routes/disable', { name: 'everyone' }],
    ['POST', '/api/v1/rules/routes/move', { name: 'everyone', position: 1 }],
    ['POST', '/api/v1/rules/routes/delete', { name: 'everyone' }],
    ['GET', '/api/v1/rules/files'],
    ['GET', '/api/v1/rules/files/route.lua'],
    ['PUT', '/api/v1/rules/files/route.lua', { text: 'route "x" { to = nobody() }\n' }],
    ['POST', '/api/v1/rules/validate', {}],
    ['POST', '/api/v1/rules/dry-run', {}],
  ];
  for (const who of [operator, supervisor]) {
    for (const [method, path, json] of calls) {
      const r = await who.request(method, path, json ? { json } : {});
      assert.equal(r.status, 403, `${who.staff.login} ${method} ${path}: ${r.text}`);
    }
  }
  assert.equal(routeFile(), ROUTE);
  assert.ok(!(await events()).some((e) => e.type === 'rules.changed'));
});

test('the list: live generation and files, with file:line, target, method', async () => {
  const r = await admin.get('/api/v1/rules/routes');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.generation, 1);
  assert.deepEqual(r.json.live, r.json.files);
  assert.deepEqual(r.json.live, [
    { name: 'echo to op1', position: 1, file: 'route.lua', line: 2, enabled: true,
      target: { kind: 'operators', operators: ['op1'], teams: [] }, method: 'round_robin' },
    { name: 'everyone', position: 2, file: 'route.lua', line: 8, enabled: true,
      target: { kind: 'all_available' }, method: 'longest_idle' },
  ]);
  assert.deepEqual(r.json.file_errors, []);
});

test('validate: every error with its file and line; drafts change nothing', async () => {
  const bad = 'route "ok" { to = nobody() }\n\nroute "broken" {\n  to = team "x",\n  method = "fastest",\n}\n';
  const r = await admin.post('/api/v1/rules/validate', { files: { 'route.lua': bad } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, false);
  assert.equal(r.json.errors.length, 1);
  assert.equal(r.json.errors[0].file, 'route.lua');
  assert.equal(r.json.errors[0].line, 3);
  assert.match(r.json.errors[0].message, /unknown method 'fastest'/);
  const syntax = await admin.post('/api/v1/rules/validate', { files: { 'route.lua': 'route "a" {\n  to = ,\n}\n' } });
  assert.equal(syntax.json.ok, false);
  assert.equal(syntax.json.errors[0].line, 2);
  const good = await admin.post('/api/v1/rules/validate', { files: { 'route.lua': ROUTE } });
  assert.equal(good.json.ok, true, good.text);
  assert.equal(good.json.routes.length, 2);
  assert.equal((await admin.post('/api/v1/rules/validate', { files: { '../x.lua': ROUTE } })).status, 400);
  assert.equal((await admin.post('/api/v1/rules/validate', { files: { 'a.lua': 5 } })).status, 400);
  assert.equal(routeFile(), ROUTE);
});

test('files: read, refused save leaves the disk alone, a good save keeps the previous text', async () => {
  const list = await admin.get('/api/v1/rules/files');
  assert.deepEqual(list.json.files.map((f) => f.name), ['route.lua']);
  const got = await admin.get('/api/v1/rules/files/route.lua');
  assert.equal(got.status, 200);
  assert.equal(got.json.text, ROUTE);
  assert.equal((await admin.get('/api/v1/rules/files/nope.lua')).status, 404);
  assert.equal((await admin.get('/api/v1/rules/files/route.txt')).status, 400);

  const bad = await put(admin, '/api/v1/rules/files/route.lua',
    { text: ROUTE + '\nroute "late" {\n  to = team(,\n}\n', version: got.json.version });
  assert.equal(bad.status, 422, bad.text);
  assert.ok(bad.json.error.details.some((e) => e.file === 'route.lua' && e.line === 13), bad.text);
  assert.equal(routeFile(), ROUTE);
  assert.ok(!existsSync(join(rulesDir, '.history', 'route.lua.1')));

  const text2 = ROUTE.replace('method = "round_robin"', 'method = "fewest_handled"');
  const ok = await put(admin, '/api/v1/rules/files/route.lua', { text: text2, version: got.json.version, reload: true });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.reloaded, true);
  assert.equal(ok.json.generation, 2);
  assert.equal(routeFile(), text2);
  assert.equal(readFileSync(join(rulesDir, '.history', 'route.lua.1'), 'utf8'), ROUTE);
  // someone else's version: refused
  const stale = await put(admin, '/api/v1/rules/files/route.lua', { text: ROUTE, version: got.json.version });
  assert.equal(stale.status, 409, stale.text);
  assert.equal(routeFile(), text2);
  // put the original back (without reload: the live rules stay generation 2)
  const back = await put(admin, '/api/v1/rules/files/route.lua', { text: ROUTE, version: ok.json.version });
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.reloaded, false);
  assert.equal((await admin.get('/api/v1/rules/status')).json.generation, 2);
  const saves = (await events()).filter((e) => e.type === 'rules.changed' && e.data.action === 'save');
  assert.equal(saves.length, 2);
  assert.deepEqual(saves[0].data, { file: 'route.lua', action: 'save', rule: null, by: srv.adminLogin });
});

test('enable, disable, move, delete one rule: the file changes, events record who', async () => {
  const dis = await admin.post('/api/v1/rules/routes/disable', { name: 'echo to op1' });
  assert.equal(dis.status, 200, dis.text);
  assert.equal(dis.json.reloaded, true);
  assert.match(routeFile(), /route "echo to op1" \{\n  enabled = false,\n  when = /);
  assert.equal(dis.json.live[0].enabled, false);
  const en = await admin.post('/api/v1/rules/routes/enable', { name: 'echo to op1' });
  assert.equal(en.status, 200, en.text);
  assert.equal(routeFile(), ROUTE);

  const mv = await admin.post('/api/v1/rules/routes/move', { name: 'everyone', position: 1 });
  assert.equal(mv.status, 200, mv.text);
  assert.deepEqual(mv.json.live.map((r) => r.name), ['everyone', 'echo to op1']);
  assert.ok(routeFile().indexOf('route "everyone"') < routeFile().indexOf('-- echo customers'));
  assert.equal((await admin.post('/api/v1/rules/routes/move', { name: 'everyone', position: 3 })).status, 400);
  assert.equal((await admin.post('/api/v1/rules/routes/move', { name: 'everyone' })).status, 400);
  const mv2 = await admin.post('/api/v1/rules/routes/move', { name: 'everyone', position: 2 });
  assert.equal(mv2.status, 200, mv2.text);
  assert.deepEqual(mv2.json.live.map((r) => r.name), ['echo to op1', 'everyone']);

  assert.equal((await admin.post('/api/v1/rules/routes/disable', { name: 'no such rule' })).status, 404);
  const before = routeFile();
  const del = await admin.post('/api/v1/rules/routes/delete', { name: 'everyone', reload: false });
  assert.equal(del.status, 200, del.text);
  assert.equal(del.json.reloaded, false);
  assert.ok(!routeFile().includes('route "everyone"'));
  assert.equal(readFileSync(join(rulesDir, '.history', 'route.lua.1'), 'utf8'), before);
  const list = await admin.get('/api/v1/rules/routes');
  assert.equal(list.json.live.length, 2, 'not reloaded: the live generation still has it');
  assert.equal(list.json.files.length, 1);
  writeFileSync(join(rulesDir, 'route.lua'), ROUTE);

  const changes = (await events()).filter((e) => e.type === 'rules.changed' && e.data.rule);
  assert.deepEqual(changes.map((e) => e.data.action), ['disable', 'enable', 'move', 'move', 'delete']);
  assert.deepEqual(changes[0].data, { file: 'route.lua', action: 'disable', rule: 'echo to op1', by: srv.adminLogin });
  assert.ok(changes.every((e) => e.actor === admin.staff.id));
});

test('a file too irregular to edit rule by rule is refused; a bad result writes nothing', async () => {
  const loop = 'for _, n in ipairs({ "x", "y" }) do\n  route(n) { when = function(c) return false end, to = nobody() }\nend\n';
  writeFileSync(join(rulesDir, 'loop.lua'), loop);
  const r = await admin.post('/api/v1/rules/routes/disable', { name: 'x' });
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.error.details[0].message, /edit the text instead/);
  assert.equal(readFileSync(join(rulesDir, 'loop.lua'), 'utf8'), loop);
  rmSync(join(rulesDir, 'loop.lua'));

  const withLocal = 'route "a" { to = nobody() }\n\nlocal sup = team "support"\n\nroute "b" { to = sup }\n';
  writeFileSync(join(rulesDir, 'local.lua'), withLocal);
  const m = await admin.post('/api/v1/rules/routes/move', { name: 'b', position: 1 });
  assert.equal(m.status, 422, m.text);
  assert.equal(m.json.error.details[0].file, 'local.lua');
  assert.ok(m.json.error.details[0].line > 0);
  assert.equal(readFileSync(join(rulesDir, 'local.lua'), 'utf8'), withLocal);
  rmSync(join(rulesDir, 'local.lua'));
  assert.equal((await admin.post('/api/v1/rules/reload', {})).status, 200);
});

test('dry run: matched rule, errors, target, would-pick; changes nothing', async () => {
  const c1 = await customerSays('alice', 'hello');
  const c2 = await customerSays('bob', 'hi');
  aliceConv = c1;
  const seqBefore = (await settledEvents()).at(-1).seq;
  const gen = (await admin.get('/api/v1/rules/status')).json.generation;

  const live = await admin.post('/api/v1/rules/dry-run', {});
  assert.equal(live.status, 200, live.text);
  assert.equal(live.json.draft, false);
  const rows = live.json.rows;
  assert.deepEqual(rows.slice(0, 2).map((r) => r.conversation), [c2, c1], 'newest first');
  for (const row of rows.slice(0, 2)) {
    assert.equal(row.channel, 'echo');
    assert.equal(row.rule, 'echo to op1');
    assert.equal(row.file, 'route.lua');
    assert.equal(row.line, 2);
    assert.deepEqual(row.target, { kind: 'operators', operators: ['op1'], teams: [] });
    assert.equal(row.method, 'round_robin');
    assert.deepEqual(row.errors, []);
    assert.equal(row.would_pick.login, 'op1');
    assert.equal(row.would_pick.display_name, 'op1');
  }

  const draft = `route "raises on echo" {
  when = function(c) if c.channel == "echo" then error("boom") end return false end,
  to = nobody(),
}
route "echo to op2" {
  when = function(c) return c.channel == "echo" and c.contact.past_conversations == 0 end,
  to = operators { "op2" },
}
route "nobody else" { to = nobody() }
`;
  const d = await admin.post('/api/v1/rules/dry-run', { files: { 'route.lua': draft }, limit: 2 });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.draft, true);
  assert.equal(d.json.rows.length, 2);
  for (const row of d.json.rows) {
    assert.equal(row.rule, 'echo to op2');
    assert.equal(row.line, 5);
    assert.equal(row.errors.length, 1);
    assert.equal(row.errors[0].file, 'route.lua');
    assert.equal(row.errors[0].line, 2);
    assert.match(row.errors[0].message, /boom/);
    assert.equal(row.would_pick, null, 'op2 is offline');
    assert.equal(row.reason, 'nobody_qualifies');
  }
  // op2 logs in: now they would get it
  assert.equal((await op2.login('op2', op2.password)).status, 200);
  const d2 = await admin.post('/api/v1/rules/dry-run', { files: { 'route.lua': draft }, limit: 1 });
  assert.equal(d2.json.rows[0].would_pick.login, 'op2');
  const nob = await admin.post('/api/v1/rules/dry-run', { files: { 'route.lua': 'route "n" { to = nobody() }\n' }, limit: 1 });
  assert.equal(nob.json.rows[0].rule, 'n');
  assert.equal(nob.json.rows[0].reason, 'target_nobody');

  const bad = await admin.post('/api/v1/rules/dry-run', { files: { 'route.lua': 'route "x" {\n' } });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.error.details[0].file, 'route.lua');
  assert.equal((await admin.post('/api/v1/rules/dry-run', { limit: 501 })).status, 400);
  assert.equal((await admin.post('/api/v1/rules/dry-run', { limit: 0 })).status, 400);

  // read-only: no event, the live rules and the files as they were
  const after = await events();
  assert.ok(after.filter((e) => e.seq > seqBefore).every((e) => e.type.startsWith('staff.')),
    JSON.stringify(after.filter((e) => e.seq > seqBefore)));
  assert.equal((await admin.get('/api/v1/rules/status')).json.generation, gen);
  assert.equal(routeFile(), ROUTE);
  // the round-robin position did not move: the same pick twice
  const again = await admin.post('/api/v1/rules/dry-run', { limit: 2 });
  assert.deepEqual(again.json.rows.map((r) => r.would_pick && r.would_pick.login),
    live.json.rows.slice(0, 2).map((r) => r.would_pick && r.would_pick.login));
});

test('dry run sees what rules read: past conversations and the last operator', async () => {
  // alice's conversation is closed; her next one is a returning customer's
  const closed = await admin.post(`/api/v1/conversations/${aliceConv}/close`, {});
  assert.equal(closed.status, 200, closed.text);
  const again = await customerSays('alice', 'me again');
  assert.notEqual(again, aliceConv);
  const draft = `route "returning to their operator" {
  when = function(c)
    return c.contact.past_conversations == 1 and c.contact.last_operator == "op1"
  end,
  to = last_operator { fallback = nobody() },
}
`;
  const d = await admin.post('/api/v1/rules/dry-run', { files: { 'route.lua': draft }, limit: 1 });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.rows[0].conversation, again);
  assert.equal(d.json.rows[0].rule, 'returning to their operator');
  assert.equal(d.json.rows[0].would_pick.login, 'op1');
});

test('the server stops cleanly', async () => {
  await stopCleanly(srv, assert);
  srv = null;
});
