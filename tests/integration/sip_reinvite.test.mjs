// SDP inside established calls (docs/sip.md, "Hold, re-INVITE and late
// offer"): re-INVITEs of the operator's phone and of the trunk — hold
// (a=sendonly / a=inactive), a new RTP address, an offer we cannot take,
// no offer at all — are answered with the same leg (same port) and the
// bridge goes on; an INVITE without SDP gets our offer in the 200 and its
// answer from the ACK. Audio is checked where it must arrive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import {
  startSipServer, configureSip, rtpSocket, callIn, hangUp, reInvite, loggedCall, callEvent,
  pcmuAt, audioReaches, loudCount,
} from './lib/sip.mjs';
import { openSipClient, openSipPhone, sdp, sdpAddress } from './lib/sip_udp.mjs';

let srv, admin, trunk, phone, opApi;
const sockets = [];

before(async () => {
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  opApi = (await admin.sessionOf('op-r', 'operator')).api;
  await configureSip(admin, {
    extensions: [{ user: '401', staff: 'op-r', password: 'pw-401' }],
    trunks: [{ name: 'main', allow: ['127.0.0.1'] }],
  });
  trunk = await openSipClient(srv.sipPort);
  phone = await openSipPhone(srv.sipPort, '401', 'pw-401');
});

after(async () => {
  trunk?.close();
  phone?.close();
  for (const s of sockets) s.close();
  if (srv) await stopCleanly(srv, assert);
});

async function rtp() {
  const s = await rtpSocket();
  sockets.push(s);
  return s;
}



// The closing of each test: the customer hangs up, the operator closes
// the conversation (after-call work ends so the next test's call rings).
async function endCall(call, conversation) {
  assert.equal((await hangUp(trunk, srv, call)).status, 200);
  assert.equal((await opApi.post(`/api/v1/conversations/${conversation}/close`, {})).status, 200);
}

test('re-INVITEs of the phone and of the trunk: hold, a new address, a refused offer; same port, the bridge goes on', async () => {
  const a = await rtp();
  const call = await callIn(trunk, srv, { from: '0322220001', rtp: a });
  assert.equal(call.ans.status, 200);
  const logged = await loggedCall(srv, '0322220001');
  const inv = await phone.waitInvite(0);
  const p = await rtp();
  await phone.answer(inv, pcmuAt(p));
  await callEvent(admin, 'call.answered', logged.id);
  const toPhone = sdpAddress(inv.req.text); // our leg towards the phone
  await audioReaches(a, call.media, p);

  // the phone puts the call on hold: recvonly back, same port; its hold
  // music still reaches the customer
  let res = await phone.request(inv, 'INVITE', pcmuAt(p, 'a=sendonly\r\n'));
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /\r\na=recvonly\r\n/);
  assert.equal(sdpAddress(res.text).port, toPhone.port, 'the same leg');
  assert.match(res.text, /\r\nm=audio \d+ RTP\/AVP 0\r\n/, 'the codec agreed');
  await audioReaches(p, toPhone, a);
  // inactive: answered inactive
  res = await phone.request(inv, 'INVITE', pcmuAt(p, 'a=inactive\r\n'));
  assert.equal(res.status, 200);
  assert.match(res.text, /\r\na=inactive\r\n/);
  // resumed from another port (a network change): the customer's audio goes there
  const p2 = await rtp();
  res = await phone.request(inv, 'INVITE', pcmuAt(p2));
  assert.equal(res.status, 200);
  assert.match(res.text, /\r\na=sendrecv\r\n/);
  assert.equal(sdpAddress(res.text).port, toPhone.port);
  await audioReaches(a, call.media, p2);

  // the trunk's side: hold, then a new port
  res = await reInvite(trunk, srv, call, pcmuAt(a, 'a=sendonly\r\n'));
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /\r\na=recvonly\r\n/);
  assert.equal(sdpAddress(res.text).port, call.media.port);
  const a2 = await rtp();
  res = await reInvite(trunk, srv, call, pcmuAt(a2));
  assert.equal(res.status, 200);
  await audioReaches(p2, toPhone, a2);
  // an offer we cannot take (G.722 only): 488, the call goes on as it was
  res = await reInvite(trunk, srv, call, sdp({ port: a.address().port, codecs: '9', rtpmap: 'a=rtpmap:9 G722/8000\r\n' }));
  assert.equal(res.status, 488);
  await audioReaches(p2, toPhone, a2);
  await audioReaches(a2, call.media, p2);
  // no offer: ours (the agreed codec) in the 200, the answer in the ACK
  const a3 = await rtp();
  res = await reInvite(trunk, srv, call, '', pcmuAt(a3));
  assert.equal(res.status, 200);
  assert.match(res.text, /\r\nm=audio \d+ RTP\/AVP 0\r\n/);
  assert.equal(sdpAddress(res.text).port, call.media.port);
  await audioReaches(p2, toPhone, a3);
  assert.equal((await callEvent(admin, 'call.answered', logged.id)).data.staff, opApi.staff.id);
  await endCall(call, logged.conversation);
});

test('late offer: an INVITE without SDP gets our offer in the 200 and the answer from the ACK', async () => {
  const a = await rtp();
  const call = await callIn(trunk, srv, { from: '0322220002', body: '', ackBody: pcmuAt(a) });
  assert.equal(call.ans.status, 200, call.ans.text);
  assert.match(call.ans.text, /\r\nm=audio \d+ RTP\/AVP 0 8 111\r\n/, 'every codec we take');
  const logged = await loggedCall(srv, '0322220002');
  const inv = await phone.waitInvite(1);
  const p = await rtp();
  await phone.answer(inv, pcmuAt(p));
  await callEvent(admin, 'call.answered', logged.id);
  await audioReaches(p, sdpAddress(inv.req.text), a);
  await audioReaches(a, call.media, p);
  await endCall(call, logged.conversation);
});

test('late offer answered with nothing usable in the ACK: the call ends with a BYE', async () => {
  const call = await callIn(trunk, srv, { from: '0322220003', body: '', ackBody: '' });
  assert.equal(call.ans.status, 200);
  await trunk.waitRequest('BYE', call.ans.headers['call-id']);
  const { id } = await loggedCall(srv, '0322220003');
  assert.equal((await callEvent(admin, 'call.missed', id)).data.reason, 'userLeft');
});
