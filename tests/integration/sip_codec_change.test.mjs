// Codec change by re-INVITE (issue 5): in a bridged call the trunk's leg
// moves from PCMU to PCMA and back while the phone stays on PCMU; audio
// keeps flowing both ways, checked non-silent in the codec each side
// agreed: the bridge goes from the packet relay to a transcoder and back.
// The transcoder's jitter buffer: a stream sent with every pair of packets
// swapped reaches the other side decoded in the right order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { callIn, hangUp, reInvite, loggedCall, callEvent, pcmuAt } from './lib/sip.mjs';
import { sdp, sdpAddress } from './lib/sip_udp.mjs';
import { toneReaches, levelPacket, packetLevel } from './lib/sip_codec.mjs';
import { openCallStage } from './lib/sip_setup.mjs';
import { eventually } from './lib/poll.mjs';

let stage, srv, admin, trunk, phone, op, rtp;

before(async () => {
  // A jitter buffer wider than the default 60 ms: the test sends its ramp
  // with 20 ms timers, and on a loaded machine (CI runs this beside the
  // other suites, under ASan) a sender or pipeline stall longer than the
  // buffer makes it give packets up as lost — what is checked here is the
  // reordering within the buffer, not how much jitter 60 ms absorbs.
  stage = await openCallStage({
    user: '801', staff: 'op-codec', password: 'pw-801',
    options: { sipConfig: 'jitter_latency = 400ms\n' },
  });
  ({ srv, admin, trunk, phone, op } = stage);
  rtp = stage.rtp;
});

after(async () => {
  await stage?.close();
});

const pcmaAt = (s) => sdp({ port: s.address().port, codecs: '8', rtpmap: 'a=rtpmap:8 PCMA/8000\r\n' });

test('the trunk re-INVITEs PCMU -> PCMA -> PCMU: audio both ways throughout', async () => {
  const a = await rtp();
  const call = await callIn(trunk, srv, { from: '0355550001', rtp: a });
  assert.equal(call.ans.status, 200);
  const logged = await loggedCall(srv, '0355550001');
  const inv = await phone.waitInvite(0);
  const p = await rtp();
  await phone.answer(inv, pcmuAt(p));
  await callEvent(admin, 'call.answered', logged.id);
  const toPhone = sdpAddress(inv.req.text);
  await toneReaches(a, 0, call.media, p, 0);
  await toneReaches(p, 0, toPhone, a, 0);

  // PCMA only: answered PCMA on the same port; now transcoded both ways
  let res = await reInvite(trunk, srv, call, pcmaAt(a));
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /\r\nm=audio \d+ RTP\/AVP 8\r\n/);
  assert.equal(sdpAddress(res.text).port, call.media.port, 'the same leg');
  await toneReaches(a, 8, call.media, p, 0, { seq0: 100 });
  await toneReaches(p, 0, toPhone, a, 8, { seq0: 100 });

  // back to PCMU: relayed again
  res = await reInvite(trunk, srv, call, pcmuAt(a));
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /\r\nm=audio \d+ RTP\/AVP 0\r\n/);
  await toneReaches(a, 0, call.media, p, 0, { seq0: 200 });
  await toneReaches(p, 0, toPhone, a, 0, { seq0: 200 });

  // the phone moves to PCMA while the trunk is on PCMU: the other leg changes
  res = await phone.request(inv, 'INVITE', pcmaAt(p));
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /\r\nm=audio \d+ RTP\/AVP 8\r\n/);
  await toneReaches(a, 0, call.media, p, 8, { seq0: 300 });
  await toneReaches(p, 8, toPhone, a, 0, { seq0: 300 });

  assert.equal((await hangUp(trunk, srv, call)).status, 200);
  await callEvent(admin, 'call.ended', logged.id);
  assert.equal((await op.api.post(`/api/v1/conversations/${logged.conversation}/close`, {})).status, 200);
});

test('jitter buffer: PCMA packets sent with each pair swapped come out as PCMU in order', async () => {
  const a = await rtp();
  const call = await callIn(trunk, srv, { from: '0355550002', body: pcmaAt(a) });
  assert.equal(call.ans.status, 200, call.ans.text);
  assert.match(call.ans.text, /\r\nm=audio \d+ RTP\/AVP 8\r\n/);
  const logged = await loggedCall(srv, '0355550002');
  const inv = await phone.waitInvite(1);
  const p = await rtp();
  await phone.answer(inv, pcmuAt(p));
  await callEvent(admin, 'call.answered', logged.id);
  const send = async (seq, level) => {
    a.send(levelPacket(8, seq, level), call.media.port, call.media.ip);
    await new Promise((r) => setTimeout(r, 20));
  };
  // in order first, quiet, until the far end hears it (the transcoder runs)
  for (let seq = 0; seq < 10; seq++) await send(seq, 300);
  await eventually(() => p.received.some((b) => Math.abs(packetLevel(b) - 300) < 60), 'the quiet lead-in');
  // a ramp of 20 levels, 1200 apart, every pair swapped on the wire, then
  // quiet. A sender or pipeline stall longer than the buffer (a starved CI
  // machine under ASan) makes the buffer give packets up as lost: such a
  // ramp is sent again (at most three times, sequence numbers going on);
  // what is checked is one ramp heard whole and in order.
  const ramp = (i) => 1200 * (i + 1);
  let levels = [];
  for (let attempt = 0, seq0 = 10; attempt < 3 && levels.length < 18; attempt++, seq0 += 30) {
    const from = p.received.length;
    for (let i = 0; i < 20; i += 2) {
      await send(seq0 + i + 1, ramp(i + 1));
      await send(seq0 + i, ramp(i));
    }
    for (let seq = seq0 + 20; seq < seq0 + 30; seq++) await send(seq, 300);
    const heard = () => p.received.slice(from).map(packetLevel).filter((l) => l > 900);
    await eventually(() => heard().length >= 18, 'the ramp at the phone', 5000).catch(() => {});
    levels = heard();
    if (levels.length < 18) {
      // what a lagging pipeline still holds of this ramp must not count
      // as the next one's: wait until the phone hears nothing for 500 ms
      let n = -1;
      await eventually(async () => {
        const same = p.received.length === n;
        n = p.received.length;
        await new Promise((r) => setTimeout(r, 500));
        return same && p.received.length === n;
      }, 'the phone quiet before the ramp is sent again');
    }
  }
  assert.ok(levels.length >= 18, `the ramp at the phone: ${levels.length} of 20 heard`);
  for (let i = 1; i < levels.length; i++) {
    assert.ok(levels[i] >= levels[i - 1], `in order: ${levels.join(' ')}`);
  }
  assert.equal((await hangUp(trunk, srv, call)).status, 200);
  await callEvent(admin, 'call.ended', logged.id);
  assert.equal((await op.api.post(`/api/v1/conversations/${logged.conversation}/close`, {})).status, 200);
});
