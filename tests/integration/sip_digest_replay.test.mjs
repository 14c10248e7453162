// Digest replays (issue 5): credentials that were taken once (same nonce,
// same or lower nonce-count; or, without qop, the same nonce) are answered
// with a fresh challenge (401 stale=true), never a registration; a higher
// nc on the same nonce is taken, as phones that re-register do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { startSipServer, configureSip } from './lib/sip.mjs';
import { openSipClient, sipId } from './lib/sip_udp.mjs';

let srv, admin, client;
const md5 = (x) => createHash('md5').update(x).digest('hex');

before(async () => {
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await admin.createStaff('op-replay', 'operator');
  await configureSip(admin, { extensions: [{ user: '601', staff: 'op-replay', password: 'pw-601' }] });
  client = await openSipClient(srv.sipPort);
});

after(async () => {
  client?.close();
  if (srv) await stopCleanly(srv, assert);
});

// A REGISTER of extension 601 (a new transaction each time: new branch).
function register(callId, cseq, auth = '') {
  return `REGISTER sip:127.0.0.1:${srv.sipPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK${sipId()}\r\n` +
    `From: <sip:601@127.0.0.1>;tag=${sipId()}\r\nTo: <sip:601@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nContact: <sip:601@127.0.0.1:${client.port}>\r\n` +
    `${auth}Expires: 300\r\nContent-Length: 0\r\n\r\n`;
}

// The Authorization of 601 for challenge ch: with qop=auth and nc when nc is given.
function authorization(ch, nc) {
  const realm = ch.headers['www-authenticate'].match(/realm="([^"]+)"/)[1];
  const nonce = ch.headers['www-authenticate'].match(/nonce="([^"]+)"/)[1];
  const uri = `sip:127.0.0.1:${srv.sipPort}`;
  const ha1 = md5(`601:${realm}:pw-601`);
  const ha2 = md5(`REGISTER:${uri}`);
  if (nc === undefined) {
    return `Authorization: Digest username="601", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
      `response="${md5(`${ha1}:${nonce}:${ha2}`)}", algorithm=MD5\r\n`;
  }
  const n = nc.toString(16).padStart(8, '0');
  return `Authorization: Digest username="601", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
    `response="${md5(`${ha1}:${nonce}:${n}:c0ffee:auth:${ha2}`)}", algorithm=MD5, qop=auth, nc=${n}, cnonce="c0ffee"\r\n`;
}

test('qop=auth: the same nc again, or a lower one, gets 401 stale=true; a higher one registers', async () => {
  const callId = sipId();
  const ch = await client.transact(register(callId, 1));
  assert.equal(ch.status, 401);
  assert.match(ch.headers['www-authenticate'], /qop="auth"/);
  assert.equal((await client.transact(register(callId, 2, authorization(ch, 1)))).status, 200);
  const replay = await client.transact(register(callId, 3, authorization(ch, 1)));
  assert.equal(replay.status, 401, 'the replay is challenged, not taken');
  assert.match(replay.headers['www-authenticate'], /stale=true/);
  assert.equal((await client.transact(register(callId, 4, authorization(ch, 3)))).status, 200);
  const lower = await client.transact(register(callId, 5, authorization(ch, 2)));
  assert.equal(lower.status, 401);
  assert.match(lower.headers['www-authenticate'], /stale=true/);
  // the fresh challenge works
  assert.equal((await client.transact(register(callId, 6, authorization(lower, 1)))).status, 200);
});

test('without qop a nonce is good once', async () => {
  const callId = sipId();
  const ch = await client.transact(register(callId, 1));
  assert.equal((await client.transact(register(callId, 2, authorization(ch)))).status, 200);
  const again = await client.transact(register(callId, 3, authorization(ch)));
  assert.equal(again.status, 401);
  assert.match(again.headers['www-authenticate'], /stale=true/);
});
