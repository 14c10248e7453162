// guidance_path() of the plugin SDK (ABI 1.2, docs/guidance.md) as a phone
// channel sees it, through the calltest plugin: nothing uploaded is
// -ENOENT; the default set's file is a real WAV mono 48 kHz 16-bit; a
// line's own set overrides the default per kind and a line without its own
// falls back to the default; replacing a guidance gives a new path, the old
// file is removed once the change is stored, and a player that had it open
// keeps reading it whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { callsPluginDir, guidancePath } from './lib/calls.mjs';
import { sineWav } from './lib/wav.mjs';

const ENOENT = -2, EINVAL = -22;
const LINE = '0312345678';
let plugins, srv, admin, welcome, lineWelcome;

before(async () => {
  plugins = callsPluginDir();
  srv = await startServer({ config: plugins.config() });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
  if (plugins) plugins.cleanup();
});

async function upload(name, wav) {
  const r = await admin.request('POST', `/api/v1/guidance?name=${encodeURIComponent(name)}`,
    { body: wav, contentType: 'audio/wav' });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  return r.json;
}

async function putSets(sets) {
  const r = await admin.request('PUT', '/api/v1/guidance/sets', { json: { sets } });
  assert.equal(r.status, 200, r.text);
}

const fileOf = (g) => join(srv.dataDir, 'guidance', `${g.id}-${g.sha256}.wav`);

test('nothing uploaded: -ENOENT for every kind; a bad kind is -EINVAL', async () => {
  for (const kind of ['welcome', 'queue', 'busy', 'out_of_hours']) {
    assert.deepEqual(await guidancePath(srv, kind), { rc: ENOENT, path: null });
    assert.deepEqual(await guidancePath(srv, kind, LINE), { rc: ENOENT, path: null });
  }
  assert.equal((await guidancePath(srv, 'bogus')).rc, EINVAL);
});

test('the default set gives its normalized file', async () => {
  welcome = (await upload('welcome', sineWav(1))).guidance;
  lineWelcome = (await upload('line welcome', sineWav(0.5, { freq: 880 }))).guidance;
  // uploaded but in no set: still nothing to play
  assert.equal((await guidancePath(srv, 'welcome')).rc, ENOENT);
  await putSets({ '': { welcome: welcome.id } });

  const r = await guidancePath(srv, 'welcome');
  assert.equal(r.rc, 0);
  assert.equal(r.path, fileOf(welcome));
  const wav = readFileSync(r.path);
  assert.equal(wav.length, welcome.bytes);
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.toString('latin1', 8, 12), 'WAVE');
  assert.equal(wav.readUInt16LE(20), 1);      // PCM
  assert.equal(wav.readUInt16LE(22), 1);      // mono
  assert.equal(wav.readUInt32LE(24), 48000);  // 48 kHz
  assert.equal(wav.readUInt16LE(34), 16);     // 16-bit
  // an empty line is the default set too; other kinds are not set
  assert.equal((await guidancePath(srv, 'welcome', '')).path, r.path);
  assert.equal((await guidancePath(srv, 'queue')).rc, ENOENT);
});

test('a line\'s own set overrides the default per kind; without its own it falls back', async () => {
  // no set for the line: the default's
  assert.equal((await guidancePath(srv, 'welcome', LINE)).path, fileOf(welcome));
  await putSets({
    '': { welcome: welcome.id, queue: welcome.id },
    [LINE]: { welcome: lineWelcome.id },
  });
  assert.equal((await guidancePath(srv, 'welcome', LINE)).path, fileOf(lineWelcome));
  // the line sets no queue audio: the default's
  assert.equal((await guidancePath(srv, 'queue', LINE)).path, fileOf(welcome));
  // another line, and the default set, are not affected
  assert.equal((await guidancePath(srv, 'welcome', '0399999999')).path, fileOf(welcome));
  assert.equal((await guidancePath(srv, 'welcome')).path, fileOf(welcome));
  assert.equal((await guidancePath(srv, 'busy', LINE)).rc, ENOENT);
});

test('replacing a guidance: a new path; the old file goes once stored, an open player keeps it', async () => {
  const oldPath = (await guidancePath(srv, 'welcome')).path;
  const oldBytes = readFileSync(oldPath);
  // a call is playing the old file
  const player = await open(oldPath, 'r');
  try {
    const r = await upload('welcome', sineWav(1.5, { freq: 660 }));
    assert.equal(r.replaced, true);
    assert.equal(r.guidance.id, welcome.id, 'the sets keep playing the same guidance');
    const now = await guidancePath(srv, 'welcome');
    assert.equal(now.rc, 0);
    assert.notEqual(now.path, oldPath);
    assert.equal(now.path, fileOf(r.guidance));
    assert.equal(readFileSync(now.path).length, r.guidance.bytes);
    // the line falling back to the default follows the replacement too
    assert.equal((await guidancePath(srv, 'queue', LINE)).path, now.path);
    // "the old file is removed once the change is stored"
    assert.equal(existsSync(oldPath), false);
    // "a call still playing it keeps reading it": every byte, as it was
    const buf = Buffer.alloc(oldBytes.length + 16);
    const { bytesRead } = await player.read(buf, 0, buf.length, 0);
    assert.equal(bytesRead, oldBytes.length);
    assert.ok(buf.subarray(0, bytesRead).equals(oldBytes));
  } finally {
    await player.close();
  }
});

test('a file removed by hand: -ENOENT (nothing is played), not a dangling path', async () => {
  unlinkSync(fileOf(lineWelcome));
  assert.equal((await guidancePath(srv, 'welcome', LINE)).rc, ENOENT);
});
