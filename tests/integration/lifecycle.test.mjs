// tsunagud as an admin runs it: first start, what it binds, how it stops,
// config checking, and rules reload by SIGHUP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, writeFileSync, mkdirSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, run, tsunagudPath, makeTempDir, sourceRoot } from './lib/server.mjs';

// Every socket the process holds (inodes), then their local addresses from
// /proc/<pid>/net/{tcp,tcp6,udp,udp6}.
function boundAddresses(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1]);
    } catch { /* fd closed meanwhile */ }
  }
  const found = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${proto}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const [local, , state] = [f[1], f[2], f[3]];
      const inode = f[9];
      if (!inodes.has(inode)) continue;
      // Listening TCP sockets (state 0A) and every UDP socket.
      if (proto.startsWith('tcp') && state !== '0A') continue;
      found.push({ proto, local });
    }
  }
  return found;
}

function isLoopback({ proto, local }) {
  const addr = local.split(':')[0];
  if (proto.endsWith('6')) return addr === '00000000000000000000000001000000';
  return addr.endsWith('7F'); // 127.x.x.x, little-endian hex
}

test('first start creates the admin once; a restart does not print a password again', async () => {
  const srv = await startServer();
  assert.equal(srv.adminLogin, 'admin');
  assert.match(srv.adminPassword, /^[A-Za-z0-9_-]{16,}$/);
  const stopped = await srv.stop('SIGTERM', { cleanup: false });
  assert.equal(stopped.code, 0);

  const again = await startServer({ dataDir: srv.dataDir });
  assert.doesNotMatch(again.logs(), /created with password/);
  const res = await fetch(`${again.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin', password: srv.adminPassword }),
  });
  assert.equal(res.status, 200, 'the first password still works after a restart');
  await again.stop('SIGTERM', { cleanup: true });
});

test('by default only loopback is bound (IPv4)', async () => {
  const srv = await startServer();
  const bound = boundAddresses(srv.pid);
  assert.ok(bound.length >= 1, `expected a listening socket, got ${JSON.stringify(bound)}`);
  for (const b of bound) assert.ok(isLoopback(b), `non-loopback socket: ${JSON.stringify(b)}`);
  assert.ok(bound.some((b) => b.proto === 'tcp' && b.local.endsWith(`:${srv.port.toString(16).toUpperCase().padStart(4, '0')}`)));
  assert.ok(!bound.some((b) => b.proto === 'tcp6'), 'no IPv6 listener when 127.0.0.1 is configured');
  await srv.stop();
});

test('the built-in default address is 127.0.0.1:8080 and nothing else', async (t) => {
  // No [http] listen at all: the built-in default applies. Skip the port
  // if something else on this machine holds 8080 (then we cannot prove it).
  const probe = await import('node:net');
  const free = await new Promise((r) => {
    const s = probe.createServer().once('error', () => r(false)).listen(8080, '127.0.0.1', () => s.close(() => r(true)));
  });
  if (!free) { t.skip('port 8080 is busy on this machine'); return; }
  const dir = makeTempDir();
  const child = await import('node:child_process');
  const p = child.spawn(tsunagudPath, ['--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stderr.on('data', (c) => { out += c; });
  p.stdout.on('data', (c) => { out += c; });
  const deadline = Date.now() + 15000;
  while (!/listening on/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  try {
    assert.match(out, /http: listening on 127\.0\.0\.1:8080/);
    const bound = boundAddresses(p.pid);
    assert.deepEqual(bound.map(isLoopback), bound.map(() => true), JSON.stringify(bound));
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => p.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('IPv6 loopback listens on ::1 only', async () => {
  const srv = await startServer({ listen: '[::1]:0' });
  const bound = boundAddresses(srv.pid);
  assert.ok(bound.length >= 1);
  for (const b of bound) assert.ok(isLoopback(b), JSON.stringify(b));
  const res = await fetch(`${srv.url}/healthz`);
  assert.equal(res.status, 200);
  await srv.stop();
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} stops cleanly with exit 0 within 5 s`, async () => {
    const srv = await startServer();
    // Open connections must not hold the stop up.
    const held = await fetch(`${srv.url}/healthz`);
    assert.equal(held.status, 200);
    const r = await srv.stop(signal);
    assert.equal(r.code, 0, srv.logs());
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    assert.match(srv.logs(), /draining/);
    assert.match(srv.logs(), /main: stopped/);
  });
}

test('--check-config accepts a good file and names file:line for a bad one', async () => {
  const dir = makeTempDir();
  const good = join(dir, 'good.conf');
  writeFileSync(good, '[http]\nlisten = 127.0.0.1:9999\n[store]\nsynchronous = full\n');
  let r = await run(tsunagudPath, ['--check-config', '--config', good]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configuration ok/);

  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, '[http]\nlisten = 127.0.0.1:9999\n\nlisten_backlog = 5\n');
  r = await run(tsunagudPath, ['--check-config', '--config', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: unknown key 'listen_backlog' in \\[http\\]`));

  const wrongType = join(dir, 'type.conf');
  writeFileSync(wrongType, '[http]\nmax_body = big\n');
  r = await run(tsunagudPath, ['--check-config', '--config', wrongType]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /type\.conf:2: http\.max_body must be an integer/);

  // conf.d overrides are checked too, with their own file name.
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', '50-x.conf'), '[auth]\ncookie_secure = perhaps\n');
  r = await run(tsunagudPath, ['--check-config', '--config', good]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /conf\.d\/50-x\.conf:2: auth\.cookie_secure must be true or false/);

  // A broken config also stops a real start, with the same message.
  r = await run(tsunagudPath, ['--config', bad, '--data-dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.conf:4:/);
  rmSync(dir, { recursive: true, force: true });
});

test('--dump-config prints a file that loads again', async () => {
  const dir = makeTempDir();
  const r = await run(tsunagudPath, ['--dump-config', '--set', 'http.listen=127.0.0.1:7000']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[http\][\s\S]*listen = 127\.0\.0\.1:7000/);
  const f = join(dir, 'dumped.conf');
  writeFileSync(f, r.stdout);
  const again = await run(tsunagudPath, ['--check-config', '--config', f]);
  assert.equal(again.code, 0, again.stderr);
  rmSync(dir, { recursive: true, force: true });
});

test('SIGHUP reloads good rules and refuses bad ones while serving', async () => {
  const rulesDir = makeTempDir('tsunagu-rules-');
  cpSync(join(sourceRoot, 'rules'), rulesDir, { recursive: true });
  const srv = await startServer({ config: `[rules]\ndir = ${rulesDir}\n` });
  process.kill(srv.pid, 'SIGHUP');
  await srv.waitForLog(/rules reloaded: generation 2/);

  writeFileSync(join(rulesDir, 'route.lua'), 'route "broken" {\n  when = function(c) return c.channel ==\nend,\n}\n');
  process.kill(srv.pid, 'SIGHUP');
  const m = await srv.waitForLog(/rules reload refused, generation (\d+) keeps serving: (.*)/);
  assert.equal(m[1], '2');
  assert.match(m[2], /route\.lua:\d+/);
  const res = await fetch(`${srv.url}/healthz`);
  assert.equal(res.status, 200);
  const r = await srv.stop();
  assert.equal(r.code, 0);
  rmSync(rulesDir, { recursive: true, force: true });
});
