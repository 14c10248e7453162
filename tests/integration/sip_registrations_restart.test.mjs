// Registrations survive a restart (issue 5): a phone registered before
// tsunagud stops is rung after it starts again, without registering anew;
// an extension deleted meanwhile, or a registration given up (Expires: 0),
// is not restored. Both runs use one data directory and one SIP port.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { startServer, makeTempDir } from './lib/server.mjs';
import { freeUdpPort, rtpSocket, callIn, loggedCall, callEvent, pcmuAt, configureSip } from './lib/sip.mjs';
import { openSipClient, openSipPhone, registerContact } from './lib/sip_udp.mjs';

const dir = makeTempDir('tsunagu-sipreg-');
const sockets = [];
let srv, sipPort, admin;

async function start() {
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 10000);
  srv = await startServer({
    dataDir: dir, logLevel: 'debug',
    config: `[plugin.sip]\nlisten = 127.0.0.1:${sipPort}\nrtp_port_min = ${rtpBase}\nrtp_port_max = ${rtpBase + 99}\n`,
  });
  await srv.waitForLog(/sip: listening on udp/);
  srv.sipPort = sipPort;
  admin = new ApiClient(srv.url);
}

after(async () => {
  for (const s of sockets) s.close();
  if (srv) await stopCleanly(srv, assert);
  rmSync(dir, { recursive: true, force: true });
});

test('a phone registered before a restart rings after it; removed ones stay removed', async () => {
  sipPort = await freeUdpPort();
  await start();
  const m = srv.logs().match(/admin account "(\w+)" created with password: (\S+)/);
  const [login, password] = [m[1], m[2]];
  assert.equal((await admin.login(login, password)).status, 200);
  const op = await admin.sessionOf('op-restart', 'operator');
  await admin.createStaff('op-gone', 'operator');
  await configureSip(admin, {
    extensions: [
      { user: '901', staff: 'op-restart', password: 'pw-901' },
      { user: '902', staff: 'op-gone', password: 'pw-902' },
      { user: '903', staff: 'op-gone', password: 'pw-903' },
    ],
    trunks: [{ name: 'main', allow: ['127.0.0.1'] }],
  });
  const phone = await openSipPhone(sipPort, '901', 'pw-901');
  const other = await openSipClient(sipPort);
  sockets.push(phone, other);
  await registerContact(other, sipPort, '902', 'pw-902', other.port);
  await registerContact(other, sipPort, '903', 'pw-903', other.port);
  await registerContact(other, sipPort, '903', 'pw-903', other.port, 0); // given up
  // 902 is deleted: its binding goes with it
  await configureSip(admin, {
    extensions: [{ user: '901', staff: 'op-restart', password: 'pw-901' }, { user: '903', staff: 'op-gone', password: 'pw-903' }],
  });
  // stored (durably) once a second at most: after the last change, and 901
  await srv.waitForLog(/changed by staff \d+ \(2 entries\)[\s\S]*registrations\.[0-9a-f] stored/);
  await srv.waitForLog(/registrations\.[0-9a-f] stored \(1 contacts\)/);
  assert.deepEqual((await admin.get('/plugins/sip/admin/extensions')).json.registered, { 901: 1, 903: 0 });
  await stopCleanly(srv, assert);

  await start();
  assert.match(srv.logs(), /sip: 1 registration\(s\) restored from before the restart/);
  assert.equal((await admin.login(login, password)).status, 200);
  assert.deepEqual((await admin.get('/plugins/sip/admin/extensions')).json.registered, { 901: 1, 903: 0 });
  // the operator logs in again; a call rings the phone that did not re-register
  const back = new ApiClient(srv.url);
  assert.equal((await back.login('op-restart', `op-restart-password-123`)).status, 200);
  const trunk = await openSipClient(sipPort);
  sockets.push(trunk);
  const media = await rtpSocket();
  sockets.push(media);
  const call = await callIn(trunk, srv, { from: '0366660001', rtp: media });
  assert.equal(call.ans.status, 200);
  const logged = await loggedCall(srv, '0366660001');
  const inv = await phone.waitInvite(0);
  await phone.answer(inv, pcmuAt(media));
  assert.equal((await callEvent(admin, 'call.answered', logged.id)).data.staff, op.staff.id);
});
