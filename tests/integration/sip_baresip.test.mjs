// Interoperability with a real softphone: baresip (Debian package
// baresip-core) as an operator's phone, headless — no audio device: its
// microphone is the ausine module (a 440 Hz tone), its speaker the
// aubridge module. It registers with digest auth, auto-answers the call a
// trunk sends in, and its tone reaches the caller through tsunagud.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { makeTempDir } from './lib/server.mjs';
import { eventually } from './lib/poll.mjs';
import {
  startSipServer, configureSip, freeUdpPort, rtpSocket, callIn, hangUp, loggedCall, callEvent,
} from './lib/sip.mjs';
import { openSipClient, ulawNonSilent } from './lib/sip_udp.mjs';

const BARESIP = '/usr/bin/baresip';
const MODULES = '/usr/lib/baresip/modules';
const available = existsSync(BARESIP) && existsSync(join(MODULES, 'ausine.so'));
let srv, admin, trunk, dir, phone, phoneLog = '';

before(async () => {
  if (!available) return;
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await admin.sessionOf('op-bs', 'operator');
  await configureSip(admin, {
    extensions: [{ user: '501', staff: 'op-bs', password: 'pw-501' }],
    trunks: [{ name: 'main', allow: ['127.0.0.1'] }],
  });
  trunk = await openSipClient(srv.sipPort);
  dir = makeTempDir('tsunagu-baresip-');
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 5000);
  writeFileSync(join(dir, 'config'), [
    `sip_listen 127.0.0.1:${await freeUdpPort()}`,
    'audio_player aubridge,speaker',
    'audio_source ausine,440',
    'ausrc_srate 48000', 'ausrc_channels 2', // all ausine makes
    'audio_alert aubridge,alert',
    `rtp_ports ${rtpBase}-${rtpBase + 20}`,
    `module_path ${MODULES}`,
    'module g711.so', 'module ausine.so', 'module aubridge.so',
    'module_app account.so', 'module_app menu.so', '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'),
    `<sip:501@127.0.0.1:${srv.sipPort};transport=udp>;auth_pass=pw-501;answermode=auto;audio_codecs=PCMU;regint=120\n`);
  // -t: baresip quits by itself should the test die before stopping it
  phone = spawn(BARESIP, ['-4', '-n', '127.0.0.1', '-f', dir, '-t', '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
  phone.stdout.on('data', (c) => { phoneLog += c; });
  phone.stderr.on('data', (c) => { phoneLog += c; });
});

after(async () => {
  trunk?.close();
  if (phone && phone.exitCode === null) {
    const gone = new Promise((r) => phone.once('exit', r));
    phone.kill('SIGTERM');
    await gone;
  }
  if (srv) await stopCleanly(srv, assert);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('baresip registers with digest auth, auto-answers a call from the trunk, its audio reaches the caller', { skip: !available && 'baresip is not installed' }, async () => {
  await eventually(async () => (await admin.get('/plugins/sip/admin/extensions')).json.registered['501'] === 1,
    `baresip registered (its output: ${phoneLog.slice(-500)})`);
  const media = await rtpSocket();
  const call = await callIn(trunk, srv, { from: '0344440001', rtp: media });
  assert.equal(call.ans.status, 200);
  const { id } = await loggedCall(srv, '0344440001');
  await callEvent(admin, 'call.answered', id).catch((e) => {
    throw new Error(`${e.message}; baresip: ${phoneLog.slice(-1500)}; tsunagud: ${srv.logs().slice(-1500)}`);
  });
  await eventually(() => media.received.filter((b) => ulawNonSilent(b.subarray(12))).length >= 25,
    `baresip's tone at the caller (its output: ${phoneLog.slice(-500)})`);
  assert.ok(media.received.every((b) => (b[1] & 0x7f) === 0), 'PCMU');
  assert.equal((await hangUp(trunk, srv, call)).status, 200);
  await callEvent(admin, 'call.ended', id);
  media.close();
});
