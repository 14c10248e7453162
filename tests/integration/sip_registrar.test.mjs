// The SIP plugin's registrar: operators' phones register their extensions
// with digest auth (SIPp as the phone), and the admin API of extensions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { startSipServer, sipp } from './lib/sip.mjs';
import { openSipClient, sipId } from './lib/sip_udp.mjs';

const EXT = '/plugins/sip/admin/extensions';
let srv, admin;

before(async () => {
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await admin.createStaff('op1', 'operator');
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
});

const registered = async (user) => (await admin.get(EXT)).json.registered[user];

test('extensions: admins only, validated whole, passwords never shown', async () => {
  const op = new ApiClient(srv.url);
  assert.equal((await op.login('op1', 'op1-password-123')).status, 200);
  assert.equal((await op.get(EXT)).status, 403);
  assert.equal((await new ApiClient(srv.url).get(EXT)).status, 401);

  for (const [body, msg] of [
    [{ user: '201' }, /JSON array/],
    [[{ user: '201', staff: 'op1' }], /needs a password/],
    [[{ user: 'bad user', staff: 'op1', password: 'x' }], /user must be/],
    [[{ user: '201', staff: 'op1', password: 'x', pin: 1 }], /unknown key "pin"/],
    [[{ user: '201', staff: 'op1', password: 'x' }, { user: '201', staff: 'op1', password: 'y' }], /listed twice/],
    [[{ user: '201', staff: '', password: 'x' }], /staff must be/],
  ]) {
    const r = await admin.request('PUT', EXT, { json: body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.error.message, msg);
  }
  assert.deepEqual((await admin.get(EXT)).json.extensions, [], 'nothing stored by a bad PUT');

  const r = await admin.request('PUT', EXT, { json: [{ user: '201', staff: 'op1', password: 'pw-201-secret' }] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.extensions, [{ user: '201', staff: 'op1', auth: true }]);
  assert.doesNotMatch(r.text, /pw-201-secret|ha1/);
  // an entry without a password keeps its stored one
  const keep = await admin.request('PUT', EXT, { json: [{ user: '201', staff: 'op1' }] });
  assert.equal(keep.status, 200, keep.text);
});

test('a phone registers with digest auth, and unregisters with Expires: 0', async () => {
  const ok = await sipp(srv, 'register.xml', { keys: { user: '201', expires: 300 }, auth: ['201', 'pw-201-secret'] });
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.equal(await registered('201'), 1);
  await srv.waitForLog(/extension 201 registered sip:201@127\.0\.0\.1:\d+ from 127\.0\.0\.1 for 300s/);

  // the same phone (same Contact) says goodbye
  const bye = await sipp(srv, 'register.xml', { keys: { user: '201', expires: 0 }, auth: ['201', 'pw-201-secret'], port: ok.port });
  assert.equal(bye.code, 0, bye.stderr + bye.stdout);
  assert.equal(await registered('201'), 0);
});

test('wrong password, unknown extension and no credentials are refused', async () => {
  const bad = await sipp(srv, 'register.xml', { keys: { user: '201', expires: 300 }, auth: ['201', 'wrong'] });
  assert.notEqual(bad.code, 0, 'SIPp expected 200 and got a refusal');
  await srv.waitForLog(/REGISTER of extension 201 from 127\.0\.0\.1: wrong credentials/);
  assert.equal(await registered('201'), 0);

  const c = await openSipClient(srv.sipPort);
  try {
    const req = (user, auth = '') => `REGISTER sip:127.0.0.1:${srv.sipPort} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK${sipId()}\r\n` +
      `From: <sip:${user}@127.0.0.1>;tag=${sipId()}\r\nTo: <sip:${user}@127.0.0.1>\r\n` +
      `Call-ID: ${sipId()}\r\nCSeq: 1 REGISTER\r\nContact: <sip:${user}@127.0.0.1:${c.port}>\r\n` +
      `${auth}Expires: 300\r\nContent-Length: 0\r\n\r\n`;
    const challenge = await c.transact(req('201'));
    assert.equal(challenge.status, 401);
    assert.match(challenge.headers['www-authenticate'], /^Digest realm="tsunagu", nonce="[0-9a-f]{16}\.[0-9a-f]{32}", algorithm=MD5, qop="auth"$/);
    // an unknown extension is challenged like a known one (no probing)...
    assert.equal((await c.transact(req('999'))).status, 401);
    // ...and refused once it answers the challenge
    const forged = 'Authorization: Digest username="999", realm="tsunagu", nonce="0000000000000000.00000000000000000000000000000000", uri="sip:127.0.0.1", response="00000000000000000000000000000000"\r\n';
    assert.equal((await c.transact(req('999', forged))).status, 403);
    // a forged nonce for a known extension
    assert.equal((await c.transact(req('201', forged.replaceAll('999', '201')))).status, 403);
  } finally {
    c.close();
  }
  assert.equal(await registered('201'), 0);
});
