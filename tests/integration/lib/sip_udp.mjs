// A bare SIP-over-UDP client for black-box tests of what real peers (SIPp)
// cannot send: malformed requests, bad SDP, unknown sources. Requests are
// text; the helper fills nothing in except where the test asks.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export function sipId() {
  return randomBytes(6).toString('hex');
}

// Opens a UDP socket on 127.0.0.1 (any port). transact(text) sends one
// request and resolves with the first final response (status >= 200) as
// {status, reason, headers (lower-case name -> value), text}; 1xx are
// collected in .provisional; responses of other requests are ignored. Rejects after timeoutMs (a broken server only).
export async function openSipClient(serverPort) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const waiters = [];
  sock.on('message', (buf) => {
    const text = buf.toString('utf8');
    const m = text.match(/^SIP\/2\.0 (\d{3}) ([^\r\n]*)/);
    if (!m) return; // a request (e.g. a BYE): not what the tests wait for
    const headers = {};
    for (const line of text.split('\r\n\r\n')[0].split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const res = { status: Number(m[1]), reason: m[2], headers, text };
    for (const w of [...waiters]) w(res);
  });
  return {
    port,
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

export function sdp({ port = 40000, codecs = '0 8', rtpmap = '' } = {}) {
  return `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP ${codecs}\r\n${rtpmap}`;
}
