// The phone channel's call flows end to end with real SIP peers (issue 5,
// TEL-1..5, TEL-10): the trunk is a SIP client in the test that sends and
// captures RTP, operators' phones are node SIP phones of the test (which
// of two answers is decided at run time) or SIPp, the outbound trunk of a
// call-back is a SIPp UAS. Everything is asserted by SIP messages, RTP
// packets, events and records — never by elapsed time (routing.ring_timeout
// is short so that the test does not wait long, not to be measured).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';
import {
  startSipServer, sipp, freeUdpPort, rtpSocket, callIn, hangUp, uploadTone, loudRuns, loggedCall,
  callEvent, pcmuAt, audioReaches,
} from './lib/sip.mjs';
import { openSipClient, openSipPhone, sdpAddress } from './lib/sip_udp.mjs';

let srv, admin, trunk;
const sockets = [];
const WELCOME_MS = 1000;
const BUSY_MS = 600;

before(async () => {
  srv = await startSipServer({ config: '[routing]\nring_timeout = 1s\nmax_missed_offers = 0\n' });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  // welcome and busy: tones; hold audio: silence, to tell them apart
  const sets = {
    welcome: await uploadTone(admin, 'welcome', { freq: 440, ms: WELCOME_MS }),
    queue: await uploadTone(admin, 'hold', { freq: 0, ms: 1000 }),
    busy: await uploadTone(admin, 'busy', { freq: 620, ms: BUSY_MS }),
  };
  assert.equal((await admin.request('PUT', '/api/v1/guidance/sets', { json: { sets: { '': sets } } })).status, 200);
  assert.equal((await admin.request('PUT', '/plugins/sip/admin/trunks', {
    json: [{ name: 'main', allow: ['127.0.0.1'] }],
  })).status, 200);
  trunk = await openSipClient(srv.sipPort);
});

after(async () => {
  trunk?.close();
  for (const s of sockets) s.close();
  if (srv) await stopCleanly(srv, assert);
});

async function rtp() {
  const s = await rtpSocket();
  sockets.push(s);
  return s;
}

const conversation = async (id) => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;


let leftCall; // the call whose caller left while queued: called back below

test('welcome guidance is heard in full before the hold audio; a caller who hangs up in the queue is missed userLeft', async () => {
  const media = await rtp();
  const call = await callIn(trunk, srv, { from: '0311110001', rtp: media });
  assert.equal(call.ans.status, 200, call.ans.text);
  leftCall = await loggedCall(srv, '0311110001');
  // nobody is logged in: it waits; the welcome plays, then the hold audio
  await eventually(() => {
    const runs = loudRuns(media.received);
    return runs.length >= 2 && runs[1].count >= 10;
  }, 'hold audio after the welcome');
  const runs = loudRuns(media.received);
  assert.equal(runs[0].loud, true, 'the welcome comes first');
  assert.ok(Math.abs(runs[0].count - WELCOME_MS / 20) <= 2, `${runs[0].count} packets of welcome, ${WELCOME_MS / 20} expected`);
  assert.ok(media.received.every((b) => (b[1] & 0x7f) === 0), 'all PCMU');
  const seqs = media.received.map((b) => b.readUInt16BE(2));
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1] + 1) & 0xffff, 'one stream from welcome to hold');

  assert.equal((await hangUp(trunk, srv, call)).status, 200);
  const missed = await callEvent(admin, 'call.missed', leftCall.id);
  assert.deepEqual([missed.data.reason, missed.data.by], ['userLeft', 'channel']);
  assert.equal((await conversation(leftCall.conversation)).state, 'closed');
});

test('queue limit 1: the second caller hears the busy guidance, gets a BYE, missed noOperator', async () => {
  assert.equal((await admin.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: 1 } })).status, 200);
  const waiting = await callIn(trunk, srv, { from: '0311110002', rtp: await rtp() });
  assert.equal(waiting.ans.status, 200);
  await loggedCall(srv, '0311110002');
  const media = await rtp();
  const full = await callIn(trunk, srv, { from: '0311110003', rtp: media });
  assert.equal(full.ans.status, 200, 'answered to say why');
  await trunk.waitRequest('BYE', full.ans.headers['call-id']);
  const runs = loudRuns(media.received);
  assert.ok(runs[0].loud && Math.abs(runs[0].count - BUSY_MS / 20) <= 2, `busy guidance: ${JSON.stringify(runs)}`);
  const busy = await loggedCall(srv, '0311110003');
  const missed = await callEvent(admin, 'call.missed', busy.id);
  assert.equal(missed.data.reason, 'noOperator');
  assert.equal((await conversation(busy.conversation)).state, 'closed');

  assert.equal((await hangUp(trunk, srv, waiting)).status, 200);
  assert.equal((await admin.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: 0 } })).status, 200);
});

let ops; // {a, b}: {staff, api, phone, rtp}
let answeredCall;

test('ring timeout: the phone that does not answer is cancelled and the next operator\'s rings and answers', async () => {
  ops = {};
  for (const [k, user] of [['a', '301'], ['b', '302']]) {
    const s = await admin.sessionOf(`op-${k}`, 'operator');
    ops[k] = { ...s, user };
  }
  assert.equal((await admin.request('PUT', '/plugins/sip/admin/extensions', {
    json: [{ user: '301', staff: 'op-a', password: 'pw-301' }, { user: '302', staff: 'op-b', password: 'pw-302' }],
  })).status, 200);
  for (const o of Object.values(ops)) {
    o.phone = await openSipPhone(srv.sipPort, o.user, `pw-${o.user}`);
    o.rtp = await rtp();
    sockets.push(o.phone);
  }
  const media = await rtp();
  const call = await callIn(trunk, srv, { from: '0311110004', rtp: media });
  answeredCall = { ...await loggedCall(srv, '0311110004'), sip: call, media };
  const first = await Promise.race(Object.values(ops).map((o) => o.phone.waitInvite(0).then(() => o)));
  const second = first === ops.a ? ops.b : ops.a;
  await first.phone.waitCancelled(first.phone.invites[0]);
  const stopped = await callEvent(admin, 'call.ring_stopped', answeredCall.id, (d) => d.staff === first.staff.id);
  assert.equal(stopped.data.reason, 'ring_timeout');
  const inv = await second.phone.waitInvite(0);
  await second.phone.answer(inv, pcmuAt(second.rtp));
  const ans = await callEvent(admin, 'call.answered', answeredCall.id);
  assert.equal(ans.data.staff, second.staff.id);
  // bridged both ways
  await audioReaches(media, call.media, second.rtp);
  await audioReaches(second.rtp, sdpAddress(inv.req.text), media);
  answeredCall.op = second;
  answeredCall.inv = inv;
  // the one who did not answer leaves: nobody else can take calls
  assert.equal((await first.api.post('/api/v1/auth/logout', {})).status, 200);
});

test('all busy: a call waits in the queue and rings when after-call work ends; the operator hangs up', async () => {
  const op = answeredCall.op;
  // the customer hangs up: op's after-call work begins
  assert.equal((await hangUp(trunk, srv, answeredCall.sip)).status, 200);
  await callEvent(admin, 'call.ended', answeredCall.id);
  const media = await rtp();
  const call = await callIn(trunk, srv, { from: '0311110005', rtp: media });
  const queued = await loggedCall(srv, '0311110005');
  await callEvent(admin, 'call.incoming', queued.id);
  assert.equal(op.phone.invites.length, 1, 'no ring during after-call work');
  const closed = await op.api.post(`/api/v1/conversations/${answeredCall.conversation}/close`, {});
  assert.equal(closed.status, 200, closed.text);
  const acw = await callEvent(admin, 'call.acw_ended', answeredCall.id);
  assert.equal(acw.data.staff, op.staff.id);
  const inv = await op.phone.waitInvite(1);
  await op.phone.answer(inv, pcmuAt(op.rtp));
  assert.equal((await callEvent(admin, 'call.answered', queued.id)).data.staff, op.staff.id);
  await audioReaches(media, call.media, op.rtp);
  // the operator hangs up: the customer gets a BYE
  assert.equal((await op.phone.request(inv, 'BYE')).status, 200);
  await trunk.waitRequest('BYE', call.ans.headers['call-id']);
  await callEvent(admin, 'call.ended', queued.id);
  assert.equal((await op.api.post(`/api/v1/conversations/${queued.conversation}/close`, {})).status, 200);
  answeredCall.second = queued;
});

let callback;

test('call-back of the missed call: the operator\'s phone rings, then the customer is dialled through the outbound trunk', async () => {
  const op = answeredCall.op;
  const trunkPort = await freeUdpPort();
  const trunkMedia = await freeUdpPort();
  assert.equal((await admin.request('PUT', '/plugins/sip/admin/trunks', {
    json: [{ name: 'main', allow: ['127.0.0.1'], address: `127.0.0.1:${trunkPort}`, outbound: true }],
  })).status, 200);
  // the carrier's side: a SIPp UAS that answers and echoes RTP, then waits for our BYE
  const carrier = sipp(srv, 'phone_answer.xml', {
    port: trunkPort, args: ['-rtp_echo', '-mp', String(trunkMedia), '-d', '100'], timeout: '30s',
  });
  const r = await op.api.post(`/api/v1/conversations/${leftCall.conversation}/callback`, {});
  assert.equal(r.status, 201, r.text);
  callback = { id: r.json.call, conversation: r.json.conversation.id };
  const inv = await op.phone.waitInvite(2);
  await op.phone.answer(inv, pcmuAt(op.rtp));
  assert.equal((await callEvent(admin, 'call.answered', callback.id)).data.staff, op.staff.id);
  // the operator's tone goes to the customer, whose echo comes back
  await audioReaches(op.rtp, sdpAddress(inv.req.text), op.rtp);
  assert.equal((await op.phone.request(inv, 'BYE')).status, 200);
  const c = await carrier;
  assert.equal(c.code, 0, `the carrier got our INVITE and BYE: ${c.stdout.slice(-2000)}`);
  await callEvent(admin, 'call.ended', callback.id);
  const conv = await conversation(callback.conversation);
  assert.equal(conv.calls[0].direction, 'outbound');
  assert.equal(conv.calls[0].linked_conversation, leftCall.conversation);
  assert.equal((await op.api.post(`/api/v1/conversations/${callback.conversation}/close`, {})).status, 200);
});

test('call records: direction, missed reason, ring, talk and after-call-work time in the CSV', async () => {
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
  const r = await admin.get(`/api/v1/reports/calls?from=${day(-1)}&to=${day(1)}&format=csv`);
  assert.equal(r.status, 200, r.text);
  const [head, ...rows] = r.text.replace(/^\uFEFF/, '').trim().split('\r\n')
    .map((l) => l.split(',').map((v) => v.replace(/^"|"$/g, '')));
  const row = (id) => {
    const found = rows.find((x) => Number(x[0]) === id);
    assert.ok(found, `call ${id} in the CSV`);
    return Object.fromEntries(head.map((k, i) => [k, found[i]]));
  };
  const left = row(leftCall.id);
  assert.deepEqual([left.direction, left.missed_reason, Number(left.talk_ms)], ['inbound', 'userLeft', 0]);
  for (const id of [answeredCall.id, answeredCall.second.id]) {
    const a = row(id);
    assert.equal(a.direction, 'inbound');
    assert.equal(a.missed_reason, '');
    assert.equal(a.staff, answeredCall.op.staff.login);
    for (const k of ['ring_ms', 'talk_ms', 'acw_ms']) assert.ok(Number(a[k]) > 0, `${k} of call ${id}: ${a[k]}`);
  }
  const back = row(callback.id);
  assert.deepEqual([back.direction, back.missed_reason, back.staff], ['outbound', '', answeredCall.op.staff.login]);
  assert.ok(Number(back.talk_ms) > 0 && Number(back.acw_ms) > 0, JSON.stringify(back));
});
