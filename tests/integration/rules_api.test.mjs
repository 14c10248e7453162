// Rules reload through the API with a temporary rules directory: a good
// change is swapped in, a broken one is refused with file:line and the
// previous generation keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { startServer, makeTempDir } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';

let srv, admin, rulesDir;

const GOOD = `route "Everyone" {\n  to = all_available(),\n  method = "longest_idle",\n}\n`;
const GOOD2 = `route "Everyone, fairly" {\n  to = all_available(),\n  method = "round_robin",\n}\n`;

before(async () => {
  rulesDir = makeTempDir('tsunagu-rules-');
  mkdirSync(rulesDir, { recursive: true });
  writeFileSync(join(rulesDir, 'route.lua'), GOOD);
  srv = await startServer({ config: `[rules]\ndir = ${rulesDir}\n` });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
});
// lib/server.mjs's root after-hook kills what is left (SIGKILL) before a
// file's own after-hooks run: the clean stop is a test of its own, last.
after(() => { rmSync(rulesDir, { recursive: true, force: true }); });

test('status names the generation serving', async () => {
  const r = await admin.get('/api/v1/rules/status');
  assert.equal(r.status, 200);
  assert.equal(r.json.generation, 1);
});

test('a good change is swapped in: generation + 1', async () => {
  writeFileSync(join(rulesDir, 'route.lua'), GOOD2);
  const r = await admin.post('/api/v1/rules/reload', {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.generation, 2);
  assert.equal((await admin.get('/api/v1/rules/status')).json.generation, 2);
});

test('a broken file is refused with file:line; the last good rules keep serving', async () => {
  writeFileSync(join(rulesDir, 'route.lua'), `route "Broken" {\n  to = all_available(),\n  method = \n`);
  const r = await admin.post('/api/v1/rules/reload', {});
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'bad_request');
  assert.ok(Array.isArray(r.json.error.details) && r.json.error.details.length > 0);
  assert.ok(r.json.error.details.some((l) => /route\.lua:\d+/.test(l)), r.json.error.details.join('\n'));
  assert.equal(r.json.generation, 2);
  assert.equal((await admin.get('/api/v1/rules/status')).json.generation, 2);

  // an infinite loop at load time is refused too, and the server still answers
  writeFileSync(join(rulesDir, 'route.lua'), `while true do end\n`);
  const r2 = await admin.post('/api/v1/rules/reload', {});
  assert.equal(r2.status, 422, r2.text);
  assert.equal((await admin.get('/healthz')).status, 200);

  // fixed again: reload works
  writeFileSync(join(rulesDir, 'route.lua'), GOOD);
  const r3 = await admin.post('/api/v1/rules/reload', {});
  assert.equal(r3.status, 200, r3.text);
  assert.equal(r3.json.generation, 3);

  // both outcomes are in the events log
  const ev = await admin.get('/api/v1/events?after=0&limit=1000');
  const types = ev.json.events.map((e) => e.type);
  assert.ok(types.includes('rules.reload_failed'));
  assert.ok(types.includes('rules.reloaded'));
});

test('the server stops cleanly', async () => {
  await stopCleanly(srv, assert);
  srv = null;
});
