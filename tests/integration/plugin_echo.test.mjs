// The plugin SDK end to end, as a third party would use it: install the SDK
// into a temporary prefix, build sdk/examples/echo out of tree with make and
// pkg-config only, load it into a real tsunagud next to a broken plugin, and
// talk to it over its WebSocket; then check through the REST API that the
// conversation and its messages are stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import WebSocket from 'ws';
import { startServer, makeTempDir, run, sourceRoot, buildRoot } from './lib/server.mjs';

let tmp;        // everything this file writes
let pcDir;      // where the installed tsunagu-plugin.pc is
let pluginDir;  // echo.so + broken.so only

function findFile(dir, name) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry === name) return p;
    if (statSync(p).isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    }
  }
  return null;
}

async function mustRun(cmd, args, opts = {}) {
  const r = await run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

function pkgEnv() {
  // Only the temporary install: a system-wide SDK must not be picked up.
  return { ...process.env, PKG_CONFIG_PATH: pcDir, PKG_CONFIG_LIBDIR: pcDir };
}

before(async () => {
  tmp = makeTempDir('tsunagu-plugin-echo-');
  const destdir = join(tmp, 'destdir');
  // (a) install the SDK (headers + .pc carry meson's "devel" tag)
  await mustRun('meson', ['install', '-C', buildRoot, '--destdir', destdir, '--no-rebuild',
    '--tags', 'devel', '--quiet']);
  const pc = findFile(destdir, 'tsunagu-plugin.pc');
  assert.ok(pc, 'tsunagu-plugin.pc installed');
  pcDir = dirname(pc);

  // (b) build the example out of tree, from a copy, with make + pkg-config
  const src = join(tmp, 'echo-src');
  cpSync(join(sourceRoot, 'sdk', 'examples', 'echo'), src, { recursive: true });
  rmSync(join(src, 'echo.so'), { force: true });
  await mustRun('make', ['-C', src, '--no-print-directory'], { env: pkgEnv() });

  // a plugin built against a future ABI major, with the same installed SDK
  const brokenSrc = join(tmp, 'broken.c');
  writeFileSync(brokenSrc, `#include <tsunagu/plugin.h>
static const tsunagu_plugin_desc desc = {
  .abi_major = 99, .abi_minor = 0, .struct_size = sizeof desc, .name = "broken",
};
TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t a, uint32_t b)
{ return &desc; }
`);
  const cflags = (await mustRun('pkg-config', ['--cflags', 'tsunagu-plugin'], { env: pkgEnv() }))
    .stdout.trim().split(/\s+/).filter(Boolean);
  pluginDir = join(tmp, 'plugins');
  mkdirSync(pluginDir);
  await mustRun('cc', ['-shared', '-fPIC', ...cflags, '-o', join(pluginDir, 'broken.so'), brokenSrc]);
  cpSync(join(src, 'echo.so'), join(pluginDir, 'echo.so'));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the installed pkg-config file points into the install, not the build', async () => {
  const env = pkgEnv();
  const cflags = (await mustRun('pkg-config', ['--cflags', 'tsunagu-plugin'], { env })).stdout;
  assert.match(cflags, /-fvisibility=hidden/);
  const inc = cflags.match(/-I(\S+)/);
  assert.ok(inc, `an include dir in ${cflags}`);
  assert.ok(inc[1].startsWith(tmp), `${inc[1]} is inside the temporary install`);
  assert.ok(existsSync(join(inc[1], 'tsunagu', 'plugin.h')));
  assert.ok(existsSync(join(inc[1], 'tsunagu', 'host.h')));
  const plugindir = (await mustRun('pkg-config', ['--variable=plugindir', 'tsunagu-plugin'], { env }))
    .stdout.trim();
  assert.match(plugindir, /\/tsunagu\/plugins$/);
  assert.ok(plugindir.startsWith(tmp), `${plugindir} is inside the temporary install`);
});

// Collects a socket's JSON messages; next() waits for the following one.
function jsonQueue(ws) {
  const got = [];
  const waiting = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString('utf8'));
    const w = waiting.shift();
    if (w) w(msg); else got.push(msg);
  });
  return {
    next(ms = 5000) {
      if (got.length) return Promise.resolve(got.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message within ' + ms + ' ms')), ms);
        waiting.push((m) => { clearTimeout(t); resolve(m); });
      });
    },
  };
}

function openSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const q = jsonQueue(ws);
    ws.once('open', () => resolve({ ws, q }));
    ws.once('error', reject);
  });
}

async function login(srv) {
  const res = await fetch(`${srv.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: srv.adminLogin, password: srv.adminPassword }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const body = await res.json();
  return { cookie, csrf: body.csrf_token };
}

async function getJson(srv, session, path) {
  const res = await fetch(`${srv.url}${path}`, { headers: { cookie: session.cookie } });
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return res.json();
}

test('echo plugin: out-of-tree build loads, acks after commit, replies through deliver', async () => {
  const srv = await startServer({ config: `[plugins]\ndir = ${pluginDir}\n` });
  try {
    await srv.waitForLog(/plugins: loaded echo 1\.0\.0 from /);
    // (f) the broken plugin: one line, and the server keeps serving
    const refusals = srv.logs().split('\n').filter((l) => l.includes('broken.so'));
    assert.equal(refusals.length, 1, refusals.join('\n'));
    assert.match(refusals[0], /error plugins: refused .*broken\.so: built for plugin ABI 99\.0, this host speaks ABI 1\.\d+/);

    const { ws, q } = await openSocket(`${srv.wsUrl}/plugins/echo/ws`);
    ws.send(JSON.stringify({ from: 'alice', text: 'hello', id: 'm1' }));
    const ack = await q.next();
    assert.equal(ack.ack, 'm1');
    assert.match(ack.conversation, /^\S{8,}$/);
    const reply = await q.next();
    assert.deepEqual(reply, { conversation: ack.conversation, text: 'echo: hello' });

    // the same client id again: a retry, stored once, acked again, not echoed twice
    ws.send(JSON.stringify({ from: 'alice', text: 'hello', id: 'm1' }));
    const ack2 = await q.next();
    assert.equal(ack2.ack, 'm1');
    // the host may not name the conversation of a retry (host.h); if it does, it is the same
    if (ack2.conversation !== undefined) assert.equal(ack2.conversation, ack.conversation);

    // bad input: an error answer, the socket stays usable
    ws.send('{"text": 42}');
    const err = await q.next();
    assert.ok(err.error, JSON.stringify(err));
    ws.send(JSON.stringify({ from: 'alice', text: 'second', id: 'm2' }));
    const ack3 = await q.next();
    assert.deepEqual(ack3, { ack: 'm2', conversation: ack.conversation });
    assert.deepEqual(await q.next(), { conversation: ack.conversation, text: 'echo: second' });

    // a staff reply reaches the customer through deliver; an internal note does not
    const session = await login(srv);
    const post = (path, body) => fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const joined = await post(`/api/v1/conversations/${ack.conversation}/join`, {});
    assert.equal(joined.status, 200, await joined.text());
    const note = await post(`/api/v1/conversations/${ack.conversation}/messages`,
      { kind: 'note', text: 'internal only' });
    assert.ok(note.status < 300, await note.text());
    const reply2 = await post(`/api/v1/conversations/${ack.conversation}/messages`,
      { kind: 'operator', text: 'operator here' });
    assert.ok(reply2.status < 300, await reply2.text());
    assert.deepEqual(await q.next(), { conversation: ack.conversation, text: 'operator here' });
    ws.close();

    // (e) the REST API sees the conversation on channel "echo" and its messages
    const list = await getJson(srv, session, '/api/v1/conversations');
    const conv = list.conversations.find((c) => c.id === ack.conversation);
    assert.ok(conv, `conversation ${ack.conversation} listed`);
    assert.equal(conv.channel, 'echo');
    const { messages } = await getJson(srv, session, `/api/v1/conversations/${conv.id}/messages`);
    const shape = messages.map((m) => [m.kind, m.text]);
    assert.deepEqual(shape, [
      ['customer', 'hello'],
      ['system', 'echo: hello'],
      ['customer', 'second'],
      ['system', 'echo: second'],
      ['note', 'internal only'],
      ['operator', 'operator here'],
    ]);

    // still serving after all that
    const res = await fetch(`${srv.url}/api/v1/auth/me`, { headers: { cookie: session.cookie } });
    assert.equal(res.status, 200);
  } finally {
    const stopped = await srv.stop('SIGTERM');
    assert.equal(stopped.code, 0, srv.logs());
  }
});

test('echo plugin: [plugin.echo] config is applied, and a bad key refuses the plugin with file:line', async () => {
  const good = await startServer({
    config: `[plugins]\ndir = ${pluginDir}\n\n[plugin.echo]\nprefix = "re: "\npath = /plugins/echo/chat\n`,
  });
  try {
    await good.waitForLog(/plugins: loaded echo /);
    const { ws, q } = await openSocket(`${good.wsUrl}/plugins/echo/chat`);
    ws.send(JSON.stringify({ from: 'bob', text: 'hi', id: 'x' }));
    const ack = await q.next();
    assert.equal(ack.ack, 'x');
    assert.deepEqual(await q.next(), { conversation: ack.conversation, text: 're: hi' });
    ws.close();
  } finally {
    assert.equal((await good.stop()).code, 0);
  }

  const bad = await startServer({
    config: `[plugins]\ndir = ${pluginDir}\n\n[plugin.echo]\nprefx = "typo"\n`,
  });
  try {
    const m = await bad.waitForLog(/error plugins: refused \S+echo\.so: plugin 'echo': invalid config: (\S+):(\d+): [^\n]*prefx[^\n]*/);
    assert.equal(m[1], bad.configPath);
    assert.equal(bad.logs().split('\n').filter((l) => l.includes('refused') && l.includes('echo.so')).length, 1);
    // the server runs on without it: the socket path is not there, the API is
    await assert.rejects(openSocket(`${bad.wsUrl}/plugins/echo/ws`));
    const res = await fetch(`${bad.url}/api/v1/auth/me`);
    assert.equal(res.status, 401);
  } finally {
    assert.equal((await bad.stop()).code, 0);
  }
});
