// Registrations expire (docs/sip.md, "Extensions"): the registrar looks at
// its contacts only when the earliest one is due, so a short registration
// made after a long one must still expire on time, the long one must stay,
// and the next short one after that must expire too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { startSipServer, configureSip } from './lib/sip.mjs';
import { openSipClient, registerContact } from './lib/sip_udp.mjs';

let srv, admin, phone;

before(async () => {
  srv = await startSipServer({ sipConfig: 'min_expires = 1s' });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await admin.createStaff('op1', 'operator');
  await configureSip(admin, {
    extensions: ['301', '302', '303'].map((user) => ({ user, staff: 'op1', password: `pw-${user}` })),
  });
  phone = await openSipClient(srv.sipPort);
});

after(async () => {
  phone?.close();
  if (srv) await stopCleanly(srv, assert);
});

const registered = async () => (await admin.get('/plugins/sip/admin/extensions')).json.registered;

test('a short registration after a long one expires; the long one stays', async () => {
  await registerContact(phone, srv.sipPort, '301', 'pw-301', phone.port, 300);
  // the registrar's earliest expiry is now 300 s away: 302's must lower it
  await registerContact(phone, srv.sipPort, '302', 'pw-302', phone.port, 1);
  assert.deepEqual(await registered(), { 301: 1, 302: 1, 303: 0 });
  await srv.waitForLog(/extension 302: sip:302@127\.0\.0\.1:\d+ expired/);
  assert.deepEqual(await registered(), { 301: 1, 302: 0, 303: 0 });

  // after that scan the next expiry is 301's again: 303's lowers it anew
  await registerContact(phone, srv.sipPort, '303', 'pw-303', phone.port, 2);
  assert.equal((await registered())['303'], 1);
  await srv.waitForLog(/extension 303: sip:303@127\.0\.0\.1:\d+ expired/);
  assert.deepEqual(await registered(), { 301: 1, 302: 0, 303: 0 });
  assert.doesNotMatch(srv.logs(), /extension 301: .* expired/);
});
