// Lua rules inside a running tsunagud, on real traffic through a channel
// plugin (the SDK's echo example, built with the project): hostile route
// rules are skipped with file:line and the next rule decides while the
// server keeps serving; a workflow's durable timer fires after a restart.
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
  tmp = makeTempDir('tsunagu-rules-server-');
  pluginDir = join(tmp, 'plugins');
  rulesDir = join(tmp, 'rules');
  mkdirSync(pluginDir);
  mkdirSync(rulesDir);
  cpSync(join(buildRoot, 'sdk', 'echo.so'), join(pluginDir, 'echo.so'));
  // Each hostile rule misbehaves only on the echo channel, so the start-up
  // self-test (synthetic web and phone conversations) lets the file in and
  // the damage happens on live traffic.
  writeFileSync(join(rulesDir, 'route.lua'), `
route "spins forever" {
  when = function(c) if c.channel == "echo" then while true do end end return false end,
  to = nobody(),
}
route "eats memory" {
  when = function(c)
    if c.channel ~= "echo" then return false end
    local s = string.rep("x", 64 * 1024 * 1024)
  end,
  to = nobody(),
}
route "recurses" {
  when = function(c) local function f(n) return f(n + 1) + 1 end
                     if c.channel == "echo" then return f(1) end return false end,
  to = nobody(),
}
route "hostile result" {
  when = function(c)
    if c.channel ~= "echo" then return false end
    return setmetatable({}, { __index = function() error("gotcha") end })
  end,
  to = function(c) return setmetatable({}, { __index = function() error("boom") end }) end,
}
route "tampers" {
  when = function(c) string.format = nil ; return false end,
  to = nobody(),
}
route "echo customers" {
  when = function(c) return c.channel == "echo" and string.format("%s", c.channel) == "echo" end,
  to = team "support",
  method = "round_robin",
}
`);
  writeFileSync(join(rulesDir, 'workflow.lua'), `
workflow "follow up after a quiet spell" {
  on = "message.customer",
  after = "3s",
  run = function(c) return { tag "followup", set_category "pending" } end,
}
`);
});

after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

function config() {
  return `[plugins]\ndir = ${pluginDir}\n\n[rules]\ndir = ${rulesDir}\ntime_limit = 200ms\nmemory_limit = 4M\n`;
}

async function sendEcho(srv, text, id) {
  const ws = new WebSocket(`${srv.wsUrl}/plugins/echo/ws`);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const ack = new Promise((r) => ws.on('message', (m) => {
    const msg = JSON.parse(m.toString());
    if (msg.ack === id) r(msg);
  }));
  ws.send(JSON.stringify({ from: 'alice', text, id }));
  const got = await ack;
  ws.close();
  return got;
}



test('hostile route rules are skipped with file:line; the next rule decides; the server keeps serving', async () => {
  const srv = await startServer({ config: config() });
  const api = new ApiClient(srv.url);
  await api.login(srv.adminLogin, srv.adminPassword);

  const ack = await sendEcho(srv, 'こんにちは', 'm1');
  assert.ok(ack.conversation, 'the customer message was stored and acknowledged');
  const decided = await eventually(async () => (await eventsOf(api, 'route.decided'))[0], 'route.decided', 15000);
  const d = decided.data;
  assert.equal(d.conversation, ack.conversation);
  assert.equal(d.rule, 'echo customers');
  assert.deepEqual(d.target, { kind: 'team', name: 'support' });
  assert.equal(d.method, 'round_robin');
  const errors = d.errors.join('\n');
  assert.match(errors, /^route\.lua:3: (instruction|time) limit exceeded/m);
  assert.match(errors, /^route\.lua:6: memory limit exceeded/m);
  // Unbounded recursion stops at the stack limit or, first, at the memory
  // cap — or, in a slow build (ASan on a loaded machine), at the 200 ms
  // deadline, reported at the line running then (f's, or its caller's).
  assert.match(errors,
    /^route\.lua:13: .*(stack overflow|memory limit exceeded)|^route\.lua:1[34]: time limit exceeded/m);
  assert.match(errors, /^route\.lua:18: 'to' must be a target/m);
  assert.match(errors, /^route\.lua:26: attempt to modify a read-only table/m);
  assert.equal(d.errors.length, 5);

  // Still serving: health, API, and the next message routes the same way.
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  const again = await sendEcho(srv, 'もう一度', 'm2');
  assert.equal(again.conversation, ack.conversation);
  await stopCleanly(srv, assert);
});

test('a workflow timer set before a restart fires after it', async () => {
  const dataDir = makeTempDir('tsunagu-wf-');
  let srv = await startServer({ config: config(), dataDir });
  const login = srv.adminLogin, password = srv.adminPassword;
  const ack = await sendEcho(srv, 'order 42 please', 'w1');
  // Stop at once: the timer (3 s) has not fired.
  const stopped = await srv.stop('SIGTERM', { cleanup: false });
  assert.equal(stopped.code, 0);

  await new Promise((r) => setTimeout(r, 3500));
  srv = await startServer({ config: config(), dataDir, adminLogin: login, adminPassword: password });
  const api = new ApiClient(srv.url);
  await api.login(login, password);
  const tagged = await eventually(async () => {
    const r = await api.get(`/api/v1/conversations/${ack.conversation}`);
    assert.equal(r.status, 200, r.text);
    return r.json.conversation.tags.includes('followup') ? r.json.conversation : null;
  }, 'the workflow tagged the conversation', 15000);
  assert.equal(tagged.category, 'pending');
  const ev = await eventsOf(api, 'conversation.tagged');
  assert.equal(ev.length, 1, 'fired exactly once');
  assert.equal(ev[0].data.workflow, 'follow up after a quiet spell');
  await stopCleanly(srv, assert);
  rmSync(dataDir, { recursive: true, force: true });
});
