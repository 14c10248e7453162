// SIP over TCP (issue 5): tsunagud listens for TCP on the same address and
// port as UDP. A phone registers over TCP (SIPp -t t1, Contact
// ;transport=TCP), and a trunk's call over TCP rings that phone over TCP
// (a SIPp UAS that only speaks TCP), is answered, bridged, and hung up by
// the phone: tsunagud's BYE reaches the trunk over its TCP connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { startSipServer, configureSip, sipp, freeUdpPort, loggedCall, callEvent } from './lib/sip.mjs';

let srv, admin, op;

before(async () => {
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  op = await admin.sessionOf('op-tcp', 'operator');
  await configureSip(admin, {
    extensions: [{ user: '701', staff: 'op-tcp', password: 'pw-701' }],
    trunks: [{ name: 'main', allow: ['127.0.0.1'] }],
  });
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
});

let phonePort;

test('a phone registers over TCP', async () => {
  phonePort = await freeUdpPort();
  const r = await sipp(srv, 'register_contact.xml', {
    keys: { user: '701', expires: 300, contact_port: phonePort }, auth: ['701', 'pw-701'], args: ['-t', 't1'],
  });
  assert.equal(r.code, 0, r.stdout.slice(-2000));
  const reg = await admin.get('/plugins/sip/admin/extensions');
  assert.equal(reg.json.registered['701'], 1);
  assert.match(srv.logs(), new RegExp(`extension 701 registered sip:701@127\\.0\\.0\\.1:${phonePort};transport=TCP`));
});

test('a trunk\'s call over TCP rings the phone over TCP; answered, then hung up on both sides', async () => {
  const phone = sipp(srv, 'phone_hangup.xml', {
    port: phonePort, args: ['-t', 't1', '-rtp_echo', '-mp', String(await freeUdpPort()), '-d', '200', '-trace_msg'],
    timeout: '30s',
  });
  const trunk = sipp(srv, 'trunk_call.xml', {
    keys: { from: '0344440001' }, args: ['-t', 't1', '-mp', String(await freeUdpPort())], timeout: '30s',
  });
  const call = await loggedCall(srv, '0344440001');
  assert.equal((await callEvent(admin, 'call.answered', call.id)).data.staff, op.staff.id);
  const [p, t] = await Promise.all([phone, trunk]);
  assert.equal(p.code, 0, `the phone (TCP only) got the INVITE and its BYE was answered:\n${p.stdout.slice(-2000)}`);
  assert.equal(t.code, 0, `the trunk got 200 and tsunagud's BYE over TCP:\n${t.stdout.slice(-2000)}`);
  await callEvent(admin, 'call.ended', call.id);
  // The ring INVITE addresses the phone's registered contact, its
  // ;transport=TCP a URI parameter inside the To header's brackets (bare,
  // it would be read as a parameter of the header).
  const trace = readdirSync(srv.dataDir).filter((n) => /^phone_hangup_\d+_messages\.log$/.test(n))
    .map((n) => readFileSync(join(srv.dataDir, n), 'utf8')).join('');
  assert.match(trace, /^INVITE sip:701@127\.0\.0\.1:\d+;transport=TCP SIP\/2\.0/m, trace.slice(0, 2000));
  assert.match(trace, new RegExp(`^To: <sip:701@127\\.0\\.0\\.1:${phonePort};transport=TCP>\\s*$`, 'mi'),
    trace.slice(0, 2000));
});
