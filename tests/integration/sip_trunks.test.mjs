// The SIP plugin's trunks: who may send calls (allow-list, digest), the
// admin API of trunks, and what a malformed request or description gets
// (400, 488; never a crash).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { startSipServer } from './lib/sip.mjs';
import { openSipClient, invite, sdp, sipId } from './lib/sip_udp.mjs';

const TRUNKS = '/plugins/sip/admin/trunks';
let srv, admin, c;

before(async () => {
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  c = await openSipClient(srv.sipPort);
});

after(async () => {
  c?.close();
  if (srv) await stopCleanly(srv, assert);
});

const call = (body, extra = '') => c.transact(invite({ localPort: c.port, serverPort: srv.sipPort, body, extra }));

test('an INVITE from an unknown source is refused 403', async () => {
  const r = await call(sdp());
  assert.equal(r.status, 403);
  await srv.waitForLog(/INVITE from 127\.0\.0\.1 refused: not a trunk/);
});

test('trunks: admins only, validated whole, passwords never shown', async () => {
  for (const [body, msg] of [
    [[{ name: 'main' }], /needs an allow list, a username, or both/],
    [[{ name: 'main', allow: ['127.0.0.300'] }], /allow\[0\] is not an IP address/],
    [[{ name: 'main', allow: ['127.0.0.1'], outbound: true }], /outbound trunk needs an address/],
    [[{ name: 'main', username: 'pbx' }], /needs a password/],
  ]) {
    const r = await admin.request('PUT', TRUNKS, { json: body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.error.message, msg);
  }
  // allow-listed: another loopback address than the one the test calls from
  const r = await admin.request('PUT', TRUNKS, {
    json: [{ name: 'pbx', allow: ['127.0.0.2/32'], username: 'pbx1', password: 'pbx-secret' }],
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.trunks, [{ name: 'pbx', allow: ['127.0.0.2/32'], username: 'pbx1', auth: true, outbound: false }]);
  assert.doesNotMatch(r.text, /pbx-secret|ha1/);
});

test('a source off the allow-list is challenged when a trunk has digest auth', async () => {
  const r = await call(sdp());
  assert.equal(r.status, 407);
  assert.match(r.headers['proxy-authenticate'], /^Digest realm="tsunagu", nonce="/);
  const forged = 'Proxy-Authorization: Digest username="pbx1", realm="tsunagu", nonce="0000000000000000.00000000000000000000000000000000", uri="sip:0501@127.0.0.1", response="00000000000000000000000000000000"\r\n';
  assert.equal((await call(sdp(), forged)).status, 403);
});

test('bad or unacceptable SDP from a trunk: 400 or 488, and the server goes on', async () => {
  const r = await admin.request('PUT', TRUNKS, { json: [{ name: 'main', allow: ['127.0.0.1'] }] });
  assert.equal(r.status, 200, r.text);
  assert.equal((await call(sdp({ codecs: '18', rtpmap: 'a=rtpmap:18 G729/8000\r\n' }))).status, 488);
  assert.equal((await call(sdp().replace('m=audio', 'm=video'))).status, 488, 'no audio stream');
  assert.equal((await call('m=audio 4000 RTP/AVP 0\r\n')).status, 400);
  assert.equal((await call(sdp().replace('c=IN IP4 127.0.0.1\r\n', ''))).status, 400);
  // garbage and a truncated request: sofia answers or drops, never dies
  await c.send('\x00\xff garbage \r\n\r\n');
  await c.send(`INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK${sipId()}\r\nContent-Length: 99999\r\n\r\nv=0`);
  const opt = await c.transact(`OPTIONS sip:127.0.0.1:${srv.sipPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK${sipId()}\r\nFrom: <sip:t@127.0.0.1>;tag=${sipId()}\r\n` +
    `To: <sip:127.0.0.1>\r\nCall-ID: ${sipId()}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
  assert.equal(opt.status, 200);
});
