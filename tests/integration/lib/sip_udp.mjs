// A bare SIP-over-UDP client for black-box tests of what real peers (SIPp)
// cannot send: malformed requests, bad SDP, unknown sources. Requests are
// text; the helper fills nothing in except where the test asks.
import dgram from 'node:dgram';
import { randomBytes, createHash } from 'node:crypto';

export function sipId() {
  return randomBytes(6).toString('hex');
}

// Opens a UDP socket on 127.0.0.1 (any port). transact(text) sends one
// request and resolves with the first final response (status >= 200) as
// {status, reason, headers (lower-case name -> value), text}; 1xx are
// collected in .provisional; responses of other requests are ignored. Rejects after timeoutMs (a broken server only).
// Requests of the server are answered 200 (ACK: nothing) unless
// onRequest(req) returns true: it answered them itself (reply()).
export async function openSipClient(serverPort, { onRequest } = {}) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const waiters = [];
  const requests = [];
  const requestWaiters = [];
  sock.on('message', (buf) => {
    const text = buf.toString('utf8');
    const headers = {};
    for (const line of text.split('\r\n\r\n')[0].split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const m = text.match(/^SIP\/2\.0 (\d{3}) ([^\r\n]*)/);
    if (!m) {
      // A request of the server (BYE of a call it ends): answered 200
      // and recorded for the test.
      const method = text.split(' ')[0];
      const req = { method, headers, text, body: text.split('\r\n\r\n').slice(1).join('\r\n\r\n') };
      if (!(onRequest && onRequest(req)) && method !== 'ACK') reply(req, 200, 'OK');
      requests.push(req);
      for (const w of [...requestWaiters]) w(req);
      return;
    }
    const res = { status: Number(m[1]), reason: m[2], headers, text };
    for (const w of [...waiters]) w(res);
  });
  // Answers a request of the server: toTag is added to its To when it has
  // none; extra headers and an SDP body as given.
  function reply(req, status, reason, { toTag, extra = '', body = '' } = {}) {
    const h = req.headers;
    const to = toTag && !/;tag=/.test(h.to) ? `${h.to};tag=${toTag}` : h.to;
    const text = `SIP/2.0 ${status} ${reason}\r\nVia: ${h.via}\r\nFrom: ${h.from}\r\nTo: ${to}\r\n` +
      `Call-ID: ${h['call-id']}\r\nCSeq: ${h.cseq}\r\n${extra}` +
      (body ? 'Content-Type: application/sdp\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    sock.send(Buffer.from(text), serverPort, '127.0.0.1');
  }
  return {
    port,
    reply,
    send(text) {
      return new Promise((r) => sock.send(Buffer.from(text), serverPort, '127.0.0.1', r));
    },
    // Responses count when their Call-ID is the request's.
    transact(text, timeoutMs = 10000) {
      const callId = (text.match(/\r\nCall-ID: ([^\r]+)/i) || [])[1];
      return new Promise((resolve, reject) => {
        const provisional = [];
        const w = (res) => {
          if (callId && res.headers['call-id'] !== callId) return;
          if (res.status < 200) { provisional.push(res); return; }
          done(); resolve({ ...res, provisional });
        };
        const timer = setTimeout(() => { done(); reject(new Error('no SIP response')); }, timeoutMs);
        function done() { clearTimeout(timer); waiters.splice(waiters.indexOf(w), 1); }
        waiters.push(w);
        sock.send(Buffer.from(text), serverPort, '127.0.0.1');
      });
    },
    requests,
    // Resolves the first request (seen before or after) of method with
    // this Call-ID.
    waitRequest(method, callId, timeoutMs = 15000) {
      const seen = requests.find((r) => r.method === method && r.headers['call-id'] === callId);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = (r) => {
          if (r.method !== method || r.headers['call-id'] !== callId) return;
          done(); resolve(r);
        };
        const timer = setTimeout(() => { done(); reject(new Error(`no ${method}`)); }, timeoutMs);
        function done() { clearTimeout(timer); requestWaiters.splice(requestWaiters.indexOf(w), 1); }
        requestWaiters.push(w);
      });
    },
    close() { sock.close(); },
  };
}

// An INVITE from 127.0.0.1:localPort with body (SDP) or none.
export function invite({ localPort, serverPort, from = '0312345678', to = '0501', body = '', callId = sipId(), extra = '' }) {
  return `INVITE sip:${to}@127.0.0.1:${serverPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK${sipId()}\r\n` +
    `From: <sip:${from}@127.0.0.1:${localPort}>;tag=${sipId()}\r\n` +
    `To: <sip:${to}@127.0.0.1:${serverPort}>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n` +
    `Contact: <sip:${from}@127.0.0.1:${localPort}>\r\n${extra}` +
    (body ? 'Content-Type: application/sdp\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

// attrs: extra a= lines after the m= line (a=sendonly...); version: o='s.
export function sdp({ port = 40000, codecs = '0 8', rtpmap = '', ip = '127.0.0.1', attrs = '', version = 1 } = {}) {
  return `v=0\r\no=- 1 ${version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP ${codecs}\r\n${rtpmap}${attrs}`;
}

// Registers extension user (digest, as a phone does) with its Contact at
// 127.0.0.1:contactPort — e.g. the port a SIPp UAS phone listens on, since
// SIPp cannot REGISTER and then take an INVITE of another dialog.
export async function registerContact(client, serverPort, user, password, contactPort, expires = 300) {
  const callId = sipId();
  const req = (cseq, auth = '') => `REGISTER sip:127.0.0.1:${serverPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK${sipId()}\r\n` +
    `From: <sip:${user}@127.0.0.1>;tag=${sipId()}\r\nTo: <sip:${user}@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nContact: <sip:${user}@127.0.0.1:${contactPort}>\r\n` +
    `${auth}Expires: ${expires}\r\nContent-Length: 0\r\n\r\n`;
  const ch = await client.transact(req(1));
  if (ch.status !== 401) throw new Error(`REGISTER: ${ch.status}`);
  const realm = ch.headers['www-authenticate'].match(/realm="([^"]+)"/)[1];
  const nonce = ch.headers['www-authenticate'].match(/nonce="([^"]+)"/)[1];
  const md5 = (x) => createHash('md5').update(x).digest('hex');
  const uri = `sip:127.0.0.1:${serverPort}`;
  const response = md5(`${md5(`${user}:${realm}:${password}`)}:${nonce}:${md5(`REGISTER:${uri}`)}`);
  const auth = `Authorization: Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5\r\n`;
  const ok = await client.transact(req(2, auth));
  if (ok.status !== 200) throw new Error(`REGISTER with credentials: ${ok.status}`);
  return ok;
}

// The audio address of a description: {ip, port}.
export function sdpAddress(text) {
  const ip = text.match(/\r\nc=IN IP[46] (\S+)/)[1];
  const port = Number(text.match(/\r\nm=audio (\d+) /)[1]);
  return { ip, port };
}

// The ACK, BYE or re-INVITE (with body: SDP) of a call the client's INVITE
// set up (answer = the 200).
export function inDialog(method, answer, { localPort, serverPort, cseq, body = '' }) {
  const h = answer.headers;
  const contact = (h.contact || h.m || '').match(/<([^>]+)>/)[1];
  return `${method} ${contact} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK${sipId()}\r\n` +
    `From: ${h.from}\r\nTo: ${h.to}\r\nCall-ID: ${h['call-id']}\r\n` +
    `CSeq: ${cseq} ${method}\r\nMax-Forwards: 70\r\n` +
    (method === 'INVITE' ? `Contact: <sip:caller@127.0.0.1:${localPort}>\r\n` : '') +
    (body ? 'Content-Type: application/sdp\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

// An operator's phone in the test's hands (where SIPp's fixed scenarios
// cannot decide at run time: which of two phones answers, re-INVITEs).
// Registers extension user with its Contact at its own port; every INVITE
// of the server is answered 180 at once and kept in .invites ({req,
// cancelled}); answer(inv, body) sends the 200 with SDP; CANCEL gets 200 +
// 487. The dialog's requests from the phone side: reinvite/bye.
export async function openSipPhone(serverPort, user, password) {
  const invites = [];
  const waiters = [];
  let phone = null;
  const tag = sipId();
  const onRequest = (req) => {
    const branch = (req.headers.via.match(/branch=([^;,\s]+)/) || [])[1];
    if (req.method === 'INVITE') {
      let inv = invites.find((i) => i.branch === branch);
      if (!inv) {
        inv = { req, branch, cancelled: false, tag: sipId() };
        invites.push(inv);
        for (const w of [...waiters]) w();
      }
      if (!inv.answered) phone.reply(req, 180, 'Ringing', { toTag: inv.tag });
      else phone.reply(req, 200, 'OK', inv.answered);
      return true;
    }
    if (req.method === 'CANCEL') {
      const inv = invites.find((i) => i.branch === branch);
      phone.reply(req, 200, 'OK', { toTag: inv?.tag || tag });
      if (inv && !inv.answered) {
        inv.cancelled = true;
        phone.reply(inv.req, 487, 'Request Terminated', { toTag: inv.tag });
        for (const w of [...waiters]) w();
      }
      return true;
    }
    return false;
  };
  phone = await openSipClient(serverPort, { onRequest });
  await registerContact(phone, serverPort, user, password, phone.port);
  const dialogOf = (inv) => ({
    headers: {
      from: `${inv.req.headers.to};tag=${inv.tag}`, to: inv.req.headers.from,
      'call-id': inv.req.headers['call-id'], contact: inv.req.headers.contact || inv.req.headers.m,
    },
  });
  let cseq = 100;
  return Object.assign(phone, {
    invites,
    // Resolves the n-th INVITE received (0-based) once it has come.
    waitInvite(n = 0, timeoutMs = 15000) {
      return waitFor(() => invites[n], `INVITE #${n} at the phone of ${user}`, timeoutMs, waiters);
    },
    waitCancelled(inv, timeoutMs = 15000) {
      return waitFor(() => inv.cancelled, `CANCEL at the phone of ${user}`, timeoutMs, waiters);
    },
    answer(inv, body) {
      inv.answered = {
        toTag: inv.tag, body,
        extra: `Contact: <sip:${user}@127.0.0.1:${phone.port}>\r\n`,
      };
      phone.reply(inv.req, 200, 'OK', inv.answered);
      return phone.waitRequest('ACK', inv.req.headers['call-id']);
    },
    // A request of the phone in the dialog of inv (INVITE with body: a
    // re-INVITE; its ACK is sent on a 2xx); resolves the final response.
    async request(inv, method, body = '') {
      const n = ++cseq;
      const res = await phone.transact(inDialog(method, dialogOf(inv), { localPort: phone.port, serverPort, cseq: n, body }));
      if (method === 'INVITE' && res.status < 300) {
        await phone.send(inDialog('ACK', dialogOf(inv), { localPort: phone.port, serverPort, cseq: n }));
      }
      return res;
    },
    async unregister() {
      await registerContact(phone, serverPort, user, password, phone.port, 0);
    },
  });
}

function waitFor(check, what, timeoutMs, waiters) {
  const now = check();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const w = () => {
      const v = check();
      if (v) { done(); resolve(v); }
    };
    const timer = setTimeout(() => { done(); reject(new Error(`timeout: ${what}`)); }, timeoutMs);
    function done() { clearTimeout(timer); waiters.splice(waiters.indexOf(w), 1); }
    waiters.push(w);
  });
}

// G.711 µ-law RTP: a 400 Hz tone, 20 ms (160 samples) per packet.
export function pcmuPacket(seq, ssrc = 0x1234abcd) {
  const b = Buffer.alloc(12 + 160);
  b[0] = 0x80; b[1] = 0; b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4); b.writeUInt32BE(ssrc, 8);
  for (let i = 0; i < 160; i++) {
    const x = Math.round(8000 * Math.sin(2 * Math.PI * 400 * (seq * 160 + i) / 8000));
    b[12 + i] = linearToUlaw(x);
  }
  return b;
}

export function linearToUlaw(sample) {
  const BIAS = 0x84; const CLIP = 32635;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), CLIP) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; exp--, mask >>= 1);
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

// True when a µ-law payload is not silence (µ-law 0 is 0xff / 0x7f).
export function ulawNonSilent(payload) {
  let loud = 0;
  for (const v of payload) if (v !== 0xff && v !== 0x7f && v !== 0xfe && v !== 0x7e) loud++;
  return loud > payload.length / 4;
}
