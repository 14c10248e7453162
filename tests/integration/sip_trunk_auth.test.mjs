// Outbound trunk authentication (issue 5): a call-back goes out through a
// carrier trunk that challenges it with 407 (a SIPp UAS checking the
// Proxy-Authorization with its verifyauth); tsunagud answers with the
// trunk's outbound credentials, which the admin API takes, stores encrypted
// under [plugin.sip] secret_file and never shows. A wrong password makes
// the trunk challenge again: the call-back ends, the log says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { eventually } from './lib/poll.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { makeTempDir } from './lib/server.mjs';
import {
  startSipServer, sipp, freeUdpPort, rtpSocket, callIn, hangUp, loggedCall, callEvent, pcmuAt,
  audioReaches, configureSip,
} from './lib/sip.mjs';
import { openSipClient, openSipPhone, sdpAddress } from './lib/sip_udp.mjs';

let srv, admin, trunk, op, dir;
let origins; // conversations of missed calls, to call back
const sockets = [];
const GOOD = 'correct horse battery';

before(async () => {
  dir = makeTempDir('tsunagu-sipauth-');
  srv = await startSipServer({ dataDir: dir, sipConfig: `secret_file = ${join(dir, 'sip-secret.key')}\n` });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await configureSip(admin, { trunks: [{ name: 'carrier', allow: ['127.0.0.1'] }] });
  trunk = await openSipClient(srv.sipPort);
  sockets.push(trunk);
  // missed while nobody is logged in, so that no phone rings for them
  origins = [await missedCall('0322220001'), await missedCall('0322220002'), await missedCall('0322220003')];
  op = await admin.sessionOf('op-auth', 'operator');
  await configureSip(admin, { extensions: [{ user: '501', staff: 'op-auth', password: 'pw-501' }] });
  op.phone = await openSipPhone(srv.sipPort, '501', 'pw-501');
  op.rtp = await rtpSocket();
  sockets.push(op.phone, op.rtp);
});

after(async () => {
  for (const s of sockets) s.close();
  if (srv) await stopCleanly(srv, assert);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// A customer's call that nobody takes (the caller hangs up): a call-back's
// origin. Resolves its conversation id.
async function missedCall(from) {
  const call = await callIn(trunk, srv, { from, rtp: await rtpSocket().then((s) => { sockets.push(s); return s; }) });
  assert.equal(call.ans.status, 200, call.ans.text);
  const logged = await loggedCall(srv, from);
  assert.equal((await hangUp(trunk, srv, call)).status, 200);
  await callEvent(admin, 'call.missed', logged.id);
  return logged.conversation;
}

const md5 = (t) => createHash('md5').update(t).digest('hex');

// The Proxy-Authorization the carrier of trunk_auth.xml logged, checked
// against user/password (RFC 2617 with qop=auth, as it challenged): true
// when it is the right answer to its challenge.
function proxyAuthorizationValid(logFile, user, password) {
  const line = readFileSync(logFile, 'utf8').match(/PROXY-AUTHORIZATION (Digest [^\n]*)/);
  assert.ok(line, 'the carrier logged a Proxy-Authorization');
  const p = Object.fromEntries([...line[1].matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
  assert.deepEqual([p.username, p.realm, p.qop], [user, 'carrier.example', 'auth']);
  const ha1 = md5(`${user}:${p.realm}:${password}`);
  const ha2 = md5(`INVITE:${p.uri}`);
  return p.response === md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
}

// Resolves once something (the SIPp carrier) listens on UDP port: our
// INVITE would otherwise meet a closed port and fail at once with 503.
async function listening(port) {
  await eventually(async () => {
    const s = dgram.createSocket('udp4');
    const taken = await new Promise((r) => {
      s.once('error', () => r(true));
      s.bind(port, '127.0.0.1', () => r(false));
    });
    s.close();
    return taken;
  }, `SIPp on udp ${port}`);
}

async function outboundTrunk(port, extra) {
  await configureSip(admin, {
    trunks: [{ name: 'carrier', allow: ['127.0.0.1'], address: `127.0.0.1:${port}`, outbound: true, ...extra }],
  });
}

test('admin API: outbound credentials are taken, stored encrypted, never shown', async () => {
  await outboundTrunk(5060, { outbound_username: 'acct-1', outbound_password: GOOD, outbound_realm: 'carrier.example' });
  const r = await admin.get('/plugins/sip/admin/trunks');
  assert.equal(r.status, 200);
  const t = r.json.trunks[0];
  assert.deepEqual([t.outbound_username, t.outbound_realm, t.outbound_auth], ['acct-1', 'carrier.example', true]);
  assert.equal(t.outbound_password, undefined);
  assert.equal(t.outbound_secret, undefined);
  assert.doesNotMatch(r.text, /correct horse/);
  // the key file is the server's alone, and the database never holds the password in clear
  assert.equal(statSync(join(dir, 'sip-secret.key')).mode & 0o777, 0o600);
  for (const f of readdirSync(dir).filter((n) => n.startsWith('tsunagu.db'))) {
    assert.equal(readFileSync(join(dir, f)).includes(Buffer.from('correct horse')), false, `${f} holds the password`);
  }
  // sent again without the password: it is kept; a sealed value cannot be sent in
  await outboundTrunk(5060, { outbound_username: 'acct-1', outbound_realm: 'carrier.example' });
  assert.equal((await admin.get('/plugins/sip/admin/trunks')).json.trunks[0].outbound_auth, true);
  const bad = await admin.request('PUT', '/plugins/sip/admin/trunks', {
    json: [{ name: 'carrier', allow: ['127.0.0.1'], outbound_username: 'acct-1', outbound_secret: 'AAAA' }],
  });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /unknown key "outbound_secret"/);
  const noUser = await admin.request('PUT', '/plugins/sip/admin/trunks', {
    json: [{ name: 'carrier', allow: ['127.0.0.1'], outbound_password: 'x' }],
  });
  assert.equal(noUser.status, 400);
  assert.match(noUser.json.error.message, /need an outbound_username/);
});

test('a call-back through a trunk that challenges with 407: answered with the credentials, then talking', async () => {
  const origin = origins[0];
  const port = await freeUdpPort();
  const media = await freeUdpPort();
  await outboundTrunk(port, { outbound_username: 'acct-1', outbound_password: GOOD, outbound_realm: 'carrier.example' });
  const log = join(dir, 'carrier-407.log');
  const carrier = sipp(srv, 'trunk_auth.xml', {
    port, keys: { user: 'acct-1', verdict: 'accept' },
    args: ['-rtp_echo', '-mp', String(media), '-trace_logs', '-log_file', log], timeout: '30s',
  });
  await listening(port);
  const r = await op.api.post(`/api/v1/conversations/${origin}/callback`, {});
  assert.equal(r.status, 201, r.text);
  const inv = await op.phone.waitInvite(0);
  await op.phone.answer(inv, pcmuAt(op.rtp));
  assert.equal((await callEvent(admin, 'call.answered', r.json.call)).data.staff, op.staff.id);
  assert.match(srv.logs(), new RegExp(`call-back ${r.json.call}: answering the 407 challenge of realm "carrier.example" as acct-1`));
  await audioReaches(op.rtp, sdpAddress(inv.req.text), op.rtp);
  assert.equal((await op.phone.request(inv, 'BYE')).status, 200);
  const c = await carrier;
  assert.equal(c.code, 0, `the carrier got our BYE: ${c.stdout.slice(-2000)}${c.stderr.slice(-1000)}`);
  assert.equal(proxyAuthorizationValid(log, 'acct-1', GOOD), true, 'the Proxy-Authorization answers the challenge');
  await callEvent(admin, 'call.ended', r.json.call);
  assert.equal((await op.api.post(`/api/v1/conversations/${r.json.conversation.id}/close`, {})).status, 200);
});

test('a trunk that challenges with 401: SIPp verifies the Authorization (verifyauth), the call is answered', async () => {
  const origin = origins[2];
  const n = op.phone.invites.length;
  const port = await freeUdpPort();
  await outboundTrunk(port, { outbound_username: 'acct-1', outbound_password: GOOD });
  const carrier = sipp(srv, 'trunk_auth401.xml', {
    port, keys: { user: 'acct-1', pass: GOOD }, args: ['-mp', String(await freeUdpPort())], timeout: '30s',
  });
  await listening(port);
  const r = await op.api.post(`/api/v1/conversations/${origin}/callback`, {});
  assert.equal(r.status, 201, r.text);
  const inv = await op.phone.waitInvite(n);
  await op.phone.answer(inv, pcmuAt(op.rtp));
  assert.equal((await callEvent(admin, 'call.answered', r.json.call)).data.staff, op.staff.id);
  assert.equal((await op.phone.request(inv, 'BYE')).status, 200);
  const c = await carrier;
  assert.equal(c.code, 0, `the carrier's verifyauth took our Authorization: ${c.stdout.slice(-2000)}`);
  await callEvent(admin, 'call.ended', r.json.call);
  assert.equal((await op.api.post(`/api/v1/conversations/${r.json.conversation.id}/close`, {})).status, 200);
});

test('a wrong outbound password: the trunk challenges again, the call-back ends and the log says why', async () => {
  const origin = origins[1];
  const n = op.phone.invites.length;
  const port = await freeUdpPort();
  await outboundTrunk(port, { outbound_username: 'acct-1', outbound_password: 'wrong' });
  const log = join(dir, 'carrier-wrong.log');
  const carrier = sipp(srv, 'trunk_auth.xml', {
    port, keys: { user: 'acct-1', verdict: 'reject' }, args: ['-trace_logs', '-log_file', log], timeout: '30s',
  });
  await listening(port);
  const r = await op.api.post(`/api/v1/conversations/${origin}/callback`, {});
  assert.equal(r.status, 201, r.text);
  const inv = await op.phone.waitInvite(n);
  await op.phone.answer(inv, pcmuAt(op.rtp));
  const missed = await callEvent(admin, 'call.missed', r.json.call);
  assert.equal(missed.data.reason, 'ringTimeout');
  await srv.waitForLog(new RegExp(`call-back ${r.json.call} to 0322220002 failed: the outbound trunk refused our credentials \\(407\\)`));
  // the operator's phone is hung up
  await op.phone.waitRequest('BYE', inv.req.headers['call-id']);
  // one answer to the challenge, not more: the carrier never saw a third INVITE
  const c = await carrier;
  assert.notEqual(c.code, 0, 'the carrier saw a third INVITE');
  // the credentials sent were the configured (wrong) ones
  assert.equal(proxyAuthorizationValid(log, 'acct-1', 'wrong'), true);
  assert.equal(proxyAuthorizationValid(log, 'acct-1', GOOD), false);
  assert.equal((srv.logs().match(new RegExp(`call-back ${r.json.call}: answering`, 'g')) || []).length, 1);
});
