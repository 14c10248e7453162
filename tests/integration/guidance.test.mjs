// Voice guidance (TEL-5) through the API: uploads of real audio are
// normalized (duration reported), what cannot be decoded is refused with
// nothing stored, sets per line, deletion, admin only; and the same
// normalizer from the shell (`tsunagu audio normalize`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeTempDir, run, tsunaguCliPath } from './lib/server.mjs';
import { ApiClient, stopCleanly, eventsOf } from './lib/api.mjs';

let srv, admin, operator, supervisor, dir;

async function gst(desc) {
  const r = await run('gst-launch-1.0', ['-q', ...desc.split(' ')]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  dir = makeTempDir('tsunagu-guidance-in-');
  // 1 s of 44.1 kHz stereo 16-bit; 2 s of MP3; 0.5 s of 8 kHz mono.
  await gst(`audiotestsrc num-buffers=100 samplesperbuffer=441 ! audio/x-raw,format=S16LE,rate=44100,channels=2 ! wavenc ! filesink location=${join(dir, 'a.wav')}`);
  await gst(`audiotestsrc num-buffers=200 samplesperbuffer=441 ! audio/x-raw,rate=44100,channels=2 ! lamemp3enc ! filesink location=${join(dir, 'b.mp3')}`);
  await gst(`audiotestsrc num-buffers=10 samplesperbuffer=400 wave=square ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! wavenc ! filesink location=${join(dir, 'c.wav')}`);
  writeFileSync(join(dir, 'notes.txt'), 'This is not audio.\n'.repeat(100));
  srv = await startServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  const op = await admin.createStaff('olga', 'operator');
  const sup = await admin.createStaff('sora', 'supervisor');
  operator = new ApiClient(srv.url);
  assert.equal((await operator.login('olga', op.password)).status, 200);
  supervisor = new ApiClient(srv.url);
  assert.equal((await supervisor.login('sora', sup.password)).status, 200);
});
after(async () => { if (srv) await stopCleanly(srv, assert); });

const upload = (client, name, file, body) => client.request('POST',
  `/api/v1/guidance?name=${encodeURIComponent(name)}`,
  { body: body ?? readFileSync(join(dir, file)), contentType: 'application/octet-stream' });
const guidanceDir = () => join(srv.dataDir, 'guidance');
const storedFiles = () => (existsSync(guidanceDir()) ? readdirSync(guidanceDir()).sort() : []);
const list = async () => (await admin.get('/api/v1/guidance')).json.guidance;

let welcome, hold;

test('operators and supervisors may not touch guidance', async () => {
  for (const c of [operator, supervisor]) {
    assert.equal((await c.get('/api/v1/guidance')).status, 403);
    assert.equal((await upload(c, 'x', 'a.wav')).status, 403);
    assert.equal((await c.get('/api/v1/guidance/sets')).status, 403);
    assert.equal((await c.request('PUT', '/api/v1/guidance/sets', { json: { sets: {} } })).status, 403);
  }
  assert.deepEqual(storedFiles(), []);
});

test('a WAV and an MP3 are stored normalized, with their duration', async () => {
  let r = await upload(admin, 'ようこそ welcome', 'a.wav');
  assert.equal(r.status, 201, r.text);
  welcome = r.json.guidance;
  assert.equal(r.json.replaced, false);
  assert.equal(welcome.name, 'ようこそ welcome');
  // 44,100 samples at 44.1 kHz: 1 s, less the resampler's last input frame
  assert.ok(welcome.duration_ms >= 999 && welcome.duration_ms <= 1000, `${welcome.duration_ms}`);
  assert.match(welcome.sha256, /^[0-9a-f]{64}$/);
  r = await upload(admin, 'hold', 'b.mp3');
  assert.equal(r.status, 201, r.text);
  hold = r.json.guidance;
  assert.ok(Math.abs(hold.duration_ms - 2000) <= 60, `${hold.duration_ms}`);
  assert.deepEqual(storedFiles(), [`${welcome.id}-${welcome.sha256}.wav`, `${hold.id}-${hold.sha256}.wav`].sort());
  const wav = readFileSync(join(guidanceDir(), `${welcome.id}-${welcome.sha256}.wav`));
  assert.equal(wav.length, welcome.bytes);
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.readUInt16LE(22), 1);      // mono
  assert.equal(wav.readUInt32LE(24), 48000);  // 48 kHz
  assert.equal(wav.readUInt16LE(34), 16);     // S16
  const names = (await list()).map((g) => g.name).sort();
  assert.deepEqual(names, ['hold', 'ようこそ welcome'].sort());
  const ev = await eventsOf(admin, 'guidance.uploaded');
  assert.equal(ev.length, 2);
});

test('what cannot be decoded is refused and nothing is stored', async () => {
  const before = storedFiles();
  const garbage = Buffer.alloc(20000);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
  let r = await upload(admin, 'garbage', null, garbage);
  assert.equal(r.status, 415, r.text);
  assert.equal(r.json.error.code, 'unsupported_media_type');
  r = await upload(admin, 'text', 'notes.txt');
  assert.equal(r.status, 415, r.text);
  r = await upload(admin, 'empty', null, Buffer.alloc(0));
  assert.equal(r.status, 400, r.text);
  r = await upload(admin, '', 'a.wav');
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.message, /name/);
  assert.deepEqual(storedFiles(), before);
  assert.equal((await list()).length, 2);
  assert.equal((await eventsOf(admin, 'guidance.uploaded')).length, 2);
});

test('the audio URL serves the normalized WAV for preview', async () => {
  const res = await fetch(srv.url + welcome.audio_url, { headers: { cookie: admin.cookieHeader() } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(body.length, welcome.bytes);
  assert.equal((await operator.get(welcome.audio_url)).status, 403);
  assert.equal((await admin.get('/api/v1/guidance/999/audio')).status, 404);
});

test('uploading under a taken name replaces the audio under a new file name', async () => {
  const r = await upload(admin, 'ようこそ welcome', 'c.wav');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.replaced, true);
  assert.equal(r.json.guidance.id, welcome.id);
  assert.notEqual(r.json.guidance.sha256, welcome.sha256);
  assert.ok(Math.abs(r.json.guidance.duration_ms - 500) <= 1, `${r.json.guidance.duration_ms}`);
  const files = storedFiles();
  assert.ok(!files.includes(`${welcome.id}-${welcome.sha256}.wav`), 'old file removed');
  assert.ok(files.includes(`${welcome.id}-${r.json.guidance.sha256}.wav`));
  welcome = r.json.guidance;
});

test('sets: per line and kind, validated, replaced whole', async () => {
  const sets = { '': { welcome: welcome.id, queue: hold.id }, '0312345678': { welcome: hold.id, busy: null } };
  let r = await admin.request('PUT', '/api/v1/guidance/sets', { json: { sets } });
  assert.equal(r.status, 200, r.text);
  const want = { '': { queue: hold.id, welcome: welcome.id }, '0312345678': { welcome: hold.id } };
  assert.deepEqual(r.json.sets, want);
  assert.deepEqual((await admin.get('/api/v1/guidance/sets')).json.sets, want);
  for (const bad of [{ '': { hello: welcome.id } }, { '': { welcome: 'x' } }, { '': { welcome: 999 } },
    { ['x'.repeat(65)]: { welcome: welcome.id } }, []]) {
    r = await admin.request('PUT', '/api/v1/guidance/sets', { json: { sets: bad } });
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  assert.deepEqual((await admin.get('/api/v1/guidance/sets')).json.sets, want, 'unchanged');
  assert.equal((await eventsOf(admin, 'guidance.sets_changed')).length, 1);
});

test('delete: refused while a set plays it, then the row and the file go', async () => {
  let r = await admin.del(`/api/v1/guidance/${hold.id}`);
  assert.equal(r.status, 409, r.text);
  r = await admin.request('PUT', '/api/v1/guidance/sets', { json: { sets: { '': { welcome: welcome.id } } } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await operator.del(`/api/v1/guidance/${hold.id}`)).status, 403);
  r = await admin.del(`/api/v1/guidance/${hold.id}`);
  assert.equal(r.status, 204, r.text);
  assert.deepEqual((await list()).map((g) => g.id), [welcome.id]);
  assert.deepEqual(storedFiles(), [`${welcome.id}-${welcome.sha256}.wav`]);
  assert.equal((await admin.del(`/api/v1/guidance/${hold.id}`)).status, 404);
  const ev = await eventsOf(admin, 'guidance.deleted');
  assert.equal(ev.length, 1);
});

test('tsunagu audio normalize: the same from the shell', async () => {
  const out = join(dir, 'out.wav');
  let r = await run(tsunaguCliPath, ['audio', 'normalize', join(dir, 'a.wav'), out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /0\.999 s/);
  assert.equal(readFileSync(out).readUInt32LE(24), 48000);
  r = await run(tsunaguCliPath, ['audio', 'normalize', join(dir, 'notes.txt'), join(dir, 'no.wav')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not an audio format/);
  assert.ok(!existsSync(join(dir, 'no.wav')));
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')));
});

test('at start, what a crash left mid-upload (.upload-*) is removed, nothing else', async () => {
  const data = makeTempDir('tsunagu-guidance-sweep-');
  try {
    let s = await startServer({ dataDir: data });
    const adm = new ApiClient(s.url);
    assert.equal((await adm.login(s.adminLogin, s.adminPassword)).status, 200);
    const r = await upload(adm, 'kept', 'c.wav');
    assert.equal(r.status, 201, r.text);
    const kept = r.json.guidance;
    await stopCleanly(s, assert);

    // the daemon died between normalizing and renaming: its temporaries stay
    const gdir = join(data, 'guidance');
    writeFileSync(join(gdir, '.upload-0123abcd4567ef89.wav'), 'RIFF half a file');
    writeFileSync(join(gdir, '.upload-ffffffff00000000.wav'), '');
    // not ours to remove: a directory and a link of that name, other files
    mkdirSync(join(gdir, '.upload-dir'));
    symlinkSync(join(dir, 'a.wav'), join(gdir, '.upload-link.wav'));
    writeFileSync(join(gdir, 'notes.txt'), 'an admin\'s notes');

    s = await startServer({ dataDir: data, adminLogin: s.adminLogin, adminPassword: s.adminPassword });
    try {
      assert.deepEqual(readdirSync(gdir).sort(),
        [`${kept.id}-${kept.sha256}.wav`, '.upload-dir', '.upload-link.wav', 'notes.txt'].sort());
      assert.match(s.logs(), /removed 2 unfinished upload\(s\)/);
      assert.ok(existsSync(join(dir, 'a.wav')), 'the link\'s target is untouched');
      // the stored guidance still plays
      const again = new ApiClient(s.url);
      assert.equal((await again.login(s.adminLogin, s.adminPassword)).status, 200);
      const audio = await again.get(`/api/v1/guidance/${kept.id}/audio`);
      assert.equal(audio.status, 200);
    } finally {
      await stopCleanly(s, assert);
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
