// The usual stage of a call test: tsunagud with the SIP plugin, an admin,
// one operator with one extension, the loopback trunk, a trunk client and
// the operator's registered phone; RTP sockets made through it are closed
// with it.
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './api.mjs';
import { startSipServer, configureSip, rtpSocket } from './sip.mjs';
import { openSipClient, openSipPhone } from './sip_udp.mjs';

// Resolves {srv, admin, op: {staff, api}, trunk, phone, rtp(), close()}.
export async function openCallStage({ user, staff, password, options = {} }) {
  const srv = await startSipServer(options);
  const admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  const op = await admin.sessionOf(staff, 'operator');
  await configureSip(admin, {
    extensions: [{ user, staff, password }],
    trunks: [{ name: 'main', allow: ['127.0.0.1'] }],
  });
  const sockets = [await openSipClient(srv.sipPort), await openSipPhone(srv.sipPort, user, password)];
  const [trunk, phone] = sockets;
  return {
    srv, admin, op, trunk, phone,
    async rtp() {
      const s = await rtpSocket();
      sockets.push(s);
      return s;
    },
    async close() {
      for (const s of sockets) s.close();
      await stopCleanly(srv, assert);
    },
  };
}
