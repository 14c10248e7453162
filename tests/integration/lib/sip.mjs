// The SIP plugin in black-box tests: a tsunagud with [plugin.sip] on a free
// loopback port, and SIPp runs (scenarios in tests/integration/sip/).
import { join } from 'node:path';
import dgram from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import { startServer, run, sourceRoot, makeTempDir } from './server.mjs';
import { eventually } from './poll.mjs';
import { invite, inDialog, sdp, sdpAddress, ulawNonSilent, pcmuPacket } from './sip_udp.mjs';

export const scenarioDir = join(sourceRoot, 'tests', 'integration', 'sip');

// Starts tsunagud with the SIP plugin; resolves the server with .sipPort.
// options.sipConfig: extra [plugin.sip] lines; other options as startServer.
export async function startSipServer(options = {}) {
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 10000);
  const config = `[plugin.sip]\nlisten = 127.0.0.1:0\nrtp_port_min = ${rtpBase}\n` +
    `rtp_port_max = ${rtpBase + 199}\n${options.sipConfig || ''}\n${options.config || ''}`;
  const srv = await startServer({ ...options, config });
  const m = await srv.waitForLog(/sip: listening on udp 127\.0\.0\.1:(\d+)/);
  srv.sipPort = Number(m[1]);
  return srv;
}

// A UDP port free on 127.0.0.1 right now. SIPp with -p 0 binds a random
// port but still writes 5060 into [local_port]: a phone's Contact would
// be wrong, so every run gets an explicit port.
export async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// Resolves once something (a SIPp started meanwhile) has bound UDP port on
// 127.0.0.1: a phone registered before its SIPp listens gets our INVITE
// refused by ICMP, and the engine rings it again — one ring more than the
// test counts. Fails after 10 s.
export async function udpBound(port) {
  const taken = () => new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { try { s.close(); } catch { /* never bound */ } resolve(true); });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
  return eventually(taken, `UDP port ${port} bound`, 10000);
}

// Runs one SIPp scenario against the server to completion (-m 1 call by
// default); resolves {code, stdout, stderr, port}. keys: {name: value} for
// -key; auth: [user, password] for [authentication].
export async function sipp(srv, scenario, { keys = {}, auth, args = [], timeout = '20s', port } = {}) {
  const p = port || await freeUdpPort();
  const argv = ['-sf', join(scenarioDir, scenario), '-i', '127.0.0.1', '-p', String(p),
    '-m', '1', '-timeout', timeout, '-timeout_error', '-nostdin'];
  for (const [k, v] of Object.entries(keys)) argv.push('-key', k, String(v));
  if (auth) argv.push('-au', auth[0], '-ap', auth[1]);
  argv.push(...args, `127.0.0.1:${srv.sipPort}`);
  const r = await run('sipp', argv, { cwd: srv.dataDir });
  return { ...r, port: p };
}

// Waits for the count-th line matching re in the server's log (the log
// accumulates over the tests of a file).
export async function waitForNth(srv, re, count) {
  const g = new RegExp(re.source, 'g');
  return eventually(() => (srv.logs().match(g) || []).length >= count, `${count}× ${re}`);
}

// A UDP socket on 127.0.0.1 standing for an endpoint's RTP port: every
// datagram it receives is kept in .received.
export async function rtpSocket() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  s.received = [];
  s.on('message', (b) => s.received.push(b));
  return s;
}

// A customer's call from the trunk client: INVITE with PCMU at rtp's port
// (or body as given; '' for a late offer), and the ACK of the 200 (with
// ackBody). Resolves {ans, media: {ip, port} of our SDP, cseq: next CSeq}.
export async function callIn(trunk, srv, { from = '0312345678', rtp, body, ackBody = '' } = {}) {
  const offer = body !== undefined ? body
    : sdp({ port: rtp.address().port, codecs: '0', rtpmap: 'a=rtpmap:0 PCMU/8000\r\n' });
  const ans = await trunk.transact(invite({ localPort: trunk.port, serverPort: srv.sipPort, body: offer, from }));
  if (ans.status !== 200) return { ans };
  await trunk.send(inDialog('ACK', ans, { localPort: trunk.port, serverPort: srv.sipPort, cseq: 1, body: ackBody }));
  return { ans, media: sdpAddress(ans.text), cseq: 2 };
}

// The customer hangs up a call of callIn(); resolves the BYE's response.
export function hangUp(trunk, srv, call) {
  return trunk.transact(inDialog('BYE', call.ans, { localPort: trunk.port, serverPort: srv.sipPort, cseq: call.cseq++ }));
}

// Uploads a tone (freq Hz; 0: silence) of ms milliseconds, written by
// GStreamer as 8 kHz mono WAV, as guidance name; resolves its id.
export async function uploadTone(admin, name, { freq = 440, ms = 1000 } = {}) {
  const dir = makeTempDir('tsunagu-tone-');
  const file = join(dir, `${name}.wav`);
  const wave = freq ? `wave=sine freq=${freq} volume=0.5` : 'wave=silence';
  const r = await run('gst-launch-1.0', ['-q', 'audiotestsrc', `num-buffers=${ms / 20}`, 'samplesperbuffer=160',
    ...wave.split(' '), '!', 'audio/x-raw,format=S16LE,rate=8000,channels=1', '!', 'wavenc', '!',
    'filesink', `location=${file}`]);
  if (r.code !== 0) throw new Error(`gst-launch: ${r.stderr}`);
  const up = await admin.request('POST', `/api/v1/guidance?name=${encodeURIComponent(name)}`, {
    body: readFileSync(file), contentType: 'application/octet-stream',
  });
  rmSync(dir, { recursive: true, force: true });
  if (up.status !== 201) throw new Error(`upload ${name}: ${up.status} ${up.text}`);
  return up.json.guidance.id;
}

// Splits the RTP a caller received into runs of loud/silent µ-law packets:
// [{loud: bool, count}], in arrival order.
export function loudRuns(packets) {
  const runs = [];
  for (const p of packets) {
    const loud = ulawNonSilent(p.subarray(12));
    if (runs.length && runs[runs.length - 1].loud === loud) runs[runs.length - 1].count++;
    else runs.push({ loud, count: 1 });
  }
  return runs;
}

// The call the server logged for a caller's number when it answered it
// (queued, or with the reason it cannot be taken): {id, conversation}.
export async function loggedCall(srv, from) {
  const re = new RegExp(`call (\\d+) \\(${from}\\)(?: queued|: \\w+), conversation ([^,\\s]+)`);
  const m = await eventually(() => srv.logs().match(re), `the call from ${from} in the log`);
  return { id: Number(m[1]), conversation: m[2] };
}

// Waits for the event of type about call id (data.call) matching pred;
// returns it (with its top-level conversation).
export async function callEvent(admin, type, id, pred = () => true) {
  return eventually(async () => {
    const r = await admin.get('/api/v1/events?after=0&limit=1000');
    return r.json.events.find((e) => e.type === type && e.data.call === id && pred(e.data));
  }, `${type} of call ${id}`);
}

// A re-INVITE of the customer in a call of callIn() (body: SDP, or '' for
// none: then ackBody answers the offer of the 200); resolves the response.
export async function reInvite(trunk, srv, call, body, ackBody = '') {
  const cseq = call.cseq++;
  const opts = { localPort: trunk.port, serverPort: srv.sipPort, cseq };
  const res = await trunk.transact(inDialog('INVITE', call.ans, { ...opts, body }));
  if (res.status < 300) await trunk.send(inDialog('ACK', call.ans, { ...opts, body: ackBody }));
  return res;
}

// The admin's SIP setup of a test: the extensions and trunks lists (PUT
// whole, both must be accepted).
export async function configureSip(admin, { extensions, trunks }) {
  for (const [what, json] of [['extensions', extensions], ['trunks', trunks]]) {
    if (!json) continue;
    const r = await admin.request('PUT', `/plugins/sip/admin/${what}`, { json });
    if (r.status !== 200) throw new Error(`PUT ${what}: ${r.status} ${r.text}`);
  }
}

// An SDP offering PCMU at the RTP socket s (attrs: extra a= lines).
export const pcmuAt = (s, attrs = '') =>
  sdp({ port: s.address().port, codecs: '0', rtpmap: 'a=rtpmap:0 PCMU/8000\r\n', attrs });

// How many non-silent PCMU packets the RTP socket s has received.
export const loudCount = (s) => s.received.filter((b) => ulawNonSilent(b.subarray(12))).length;

// Sends n packets of tone from s to `to` ({ip, port}), 20 ms apart, and
// resolves once dst has received at least n/2 more loud ones than before.
export async function audioReaches(s, to, dst, n = 20) {
  const before = loudCount(dst);
  for (let seq = 0; seq < n; seq++) {
    s.send(pcmuPacket(seq, 0x5eed), to.port, to.ip);
    await new Promise((r) => setTimeout(r, 20));
  }
  await eventually(() => loudCount(dst) - before >= n / 2, 'the tone at the far end');
}
