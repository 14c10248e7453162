// Calls through the SIP plugin with real SIP peers: the trunk is a SIP
// client in the test (it sends and checks RTP), operators' phones are SIPp
// UAS scenarios registered as extensions. The core's call engine decides;
// these tests check what reaches the wire and the audio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { eventually } from './lib/poll.mjs';
import {
  startSipServer, configureSip, sipp, freeUdpPort, rtpSocket, udpBound, waitForNth as waitForNthLine,
} from './lib/sip.mjs';
import {
  openSipClient, invite, sdp, sdpAddress, inDialog, registerContact, pcmuPacket, ulawNonSilent,
} from './lib/sip_udp.mjs';

let srv, admin, trunk;

before(async () => {
  srv = await startSipServer({ logLevel: 'debug' }); // the call's steps are debug lines
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await admin.createStaff('op1', 'operator');
  const op = new ApiClient(srv.url);
  assert.equal((await op.login('op1', 'op1-password-123')).status, 200); // available
  await configureSip(admin, {
    extensions: [{ user: '201', staff: 'op1', password: 'pw-201' }],
    trunks: [{ name: 'main', allow: ['127.0.0.1'] }],
  });
  trunk = await openSipClient(srv.sipPort);
});

after(async () => {
  trunk?.close();
  if (srv) await stopCleanly(srv, assert);
});

const waitForNth = (re, count) => waitForNthLine(srv, re, count);

// Waits for the count-th answered call; the phone's SIPp ending first (a
// port taken meanwhile, a scenario error) fails at once with its output
// instead of as a timeout (CI saw the phone never answer once).
async function answeredWhilePhoneRuns(phone, count) {
  let done = false;
  const early = phone.then((ph) => {
    if (!done) {
      throw new Error(`the phone's SIPp ended before the call was answered (exit ${ph.code}): `
        + `${ph.stdout.slice(-1500)} ${ph.stderr.slice(-500)}`);
    }
  });
  early.catch(() => {}); // reported through the race below
  try {
    await Promise.race([waitForNth(/call \d+ answered by staff \d+/, count), early]);
  } finally {
    done = true;
  }
}

test('an answered call: audio from the caller reaches the phone and comes back', async () => {
  const phonePort = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  // The phone rings 300 ms, answers, echoes RTP, and waits for our BYE.
  const phone = sipp(srv, 'phone_answer.xml', {
    port: phonePort, args: ['-rtp_echo', '-mp', String(mediaPort), '-d', '300'], timeout: '30s',
  });
  await udpBound(phonePort);
  const reg = await openSipClient(srv.sipPort);
  await registerContact(reg, srv.sipPort, '201', 'pw-201', phonePort);
  reg.close();

  const rtp = await rtpSocket();
  const body = sdp({ port: rtp.address().port, codecs: '0', rtpmap: 'a=rtpmap:0 PCMU/8000\r\n' });
  const ans = await trunk.transact(invite({ localPort: trunk.port, serverPort: srv.sipPort, body, from: '0312345678' }));
  assert.equal(ans.status, 200, ans.text);
  assert.match(ans.text, /\r\nm=audio \d+ RTP\/AVP 0\r\n/, 'answered with the one codec offered');
  await trunk.send(inDialog('ACK', ans, { localPort: trunk.port, serverPort: srv.sipPort, cseq: 1 }));
  const to = sdpAddress(ans.text);
  assert.equal(to.ip, '127.0.0.1');

  await answeredWhilePhoneRuns(phone, 1);
  // 2 s of tone from the caller; what the phone echoes comes back through
  // the bridge: packets, and not silence.
  for (let seq = 0; seq < 100; seq++) {
    rtp.send(pcmuPacket(seq), to.port, to.ip);
    await new Promise((r) => setTimeout(r, 20));
  }
  await eventually(() => rtp.received.length >= 50, 'echoed RTP back at the caller');
  const loud = rtp.received.filter((b) => ulawNonSilent(b.subarray(12)));
  assert.ok(loud.length >= 50, `${loud.length} non-silent packets of ${rtp.received.length}`);

  const bye = await trunk.transact(inDialog('BYE', ans, { localPort: trunk.port, serverPort: srv.sipPort, cseq: 2 }));
  assert.equal(bye.status, 200);
  const ph = await phone;
  assert.equal(ph.code, 0, `the phone got our BYE: ${ph.stdout.slice(-2000)}`);
  rtp.close();
  // that SIPp phone is gone: unregister it (Expires: 0)
  const unreg = await openSipClient(srv.sipPort);
  await registerContact(unreg, srv.sipPort, '201', 'pw-201', phonePort, 0);
  unreg.close();
});

test('after-call work holds the next call until the conversation is closed; a caller who leaves while ringing: CANCEL', async () => {
  // op1's first call ended: after-call work (TEL-2) until it is closed.
  const first = [...srv.logs().matchAll(/queued, conversation (\S+)/g)];
  assert.equal(first.length, 1);
  // op1's rings so far: the first call may have rung twice (a phone whose
  // SIPp was not yet listening answers with ICMP, and the engine rings on)
  const ringsOfOp1 = () => (srv.logs().match(/call \d+: ringing op1 on 1 phone\(s\)/g) || []).length;
  const ringsBefore = ringsOfOp1();
  const phonePort = await freeUdpPort();
  const phone = sipp(srv, 'phone_noanswer.xml', { port: phonePort, timeout: '30s' });
  await udpBound(phonePort);
  const reg = await openSipClient(srv.sipPort);
  await registerContact(reg, srv.sipPort, '201', 'pw-201', phonePort);
  reg.close();
  const rtp = await rtpSocket();
  const ans = await trunk.transact(invite({ localPort: trunk.port, serverPort: srv.sipPort, body: sdp({ port: rtp.address().port }), from: '0399999999' }));
  assert.equal(ans.status, 200);
  await trunk.send(inDialog('ACK', ans, { localPort: trunk.port, serverPort: srv.sipPort, cseq: 1 }));
  await waitForNth(/queued, conversation \S+/, 2);
  const calls = () => srv.logs().split('\n').filter((l) => /call \d+|ring|queued/.test(l)).join('\n');
  assert.equal(ringsOfOp1(), ringsBefore, `not offered during after-call work:\n${calls()}`);
  const closed = await admin.post(`/api/v1/conversations/${first[0][1]}/close`, {});
  assert.equal(closed.status, 200, closed.text);
  await waitForNth(/call \d+: ringing op1 on 1 phone\(s\)/, ringsBefore + 1);
  const bye = await trunk.transact(inDialog('BYE', ans, { localPort: trunk.port, serverPort: srv.sipPort, cseq: 2 }));
  assert.equal(bye.status, 200);
  const ph = await phone;
  assert.equal(ph.code, 0, `the phone got a CANCEL: ${ph.stdout.slice(-2000)}`);
  rtp.close();
});
