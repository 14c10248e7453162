// RTP of either G.711 law for the tests that change codec mid-call or
// reorder packets: tone packets, non-silence checks by payload type, and
// a sender that waits until the far end hears it.
import { pcmuPacket, ulawNonSilent, linearToUlaw } from './sip_udp.mjs';
import { eventually } from './poll.mjs';

function linearToAlaw(sample) {
  const sign = sample >= 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), 32635);
  let out;
  if (s < 256) out = s >> 4;
  else {
    let exp = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exp > 1; exp--, mask >>= 1);
    out = (exp << 4) | ((s >> (exp + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

// An RTP packet of 20 ms at 8 kHz (payload to fill in).
function packet(pt, seq, ssrc) {
  const b = Buffer.alloc(12 + 160);
  b[0] = 0x80; b[1] = pt; b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4); b.writeUInt32BE(ssrc, 8);
  return b;
}

// A 400 Hz tone packet (20 ms) of codec pt (0 PCMU, 8 PCMA).
export function tonePacket(pt, seq, ssrc = 0x0dec0de) {
  if (pt === 0) return pcmuPacket(seq, ssrc);
  const b = packet(pt, seq, ssrc);
  for (let i = 0; i < 160; i++) {
    b[12 + i] = linearToAlaw(Math.round(8000 * Math.sin(2 * Math.PI * 400 * (seq * 160 + i) / 8000)));
  }
  return b;
}

// True when an A-law payload is not silence (A-law 0 is 0xd5 / 0x55, and
// their neighbours for the quietest samples).
export function alawNonSilent(payload) {
  let loud = 0;
  for (const v of payload) if (![0xd5, 0x55, 0xd4, 0x54].includes(v)) loud++;
  return loud > payload.length / 4;
}

// How many loud packets of payload type pt the RTP socket s has received.
export function loudOf(s, pt) {
  const silent = pt === 8 ? alawNonSilent : ulawNonSilent;
  return s.received.filter((b) => (b[1] & 0x7f) === pt && silent(b.subarray(12))).length;
}

// Sends n tone packets of codec pt from s to `to` ({ip, port}) 20 ms apart
// (order: a permutation of 0..n-1, the order they go out in) and resolves
// once dst has received at least n/2 more loud packets of payload type
// dstPt than before.
export async function toneReaches(s, pt, to, dst, dstPt, { n = 20, order, seq0 = 0 } = {}) {
  const before = loudOf(dst, dstPt);
  const seqs = order || [...Array(n).keys()];
  for (const i of seqs) {
    s.send(tonePacket(pt, seq0 + i), to.port, to.ip);
    await new Promise((r) => setTimeout(r, 20));
  }
  await eventually(() => loudOf(dst, dstPt) - before >= n / 2, `the tone (pt ${pt}) heard as pt ${dstPt}`);
}

function ulawToLinear(u) {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(a) {
  const v = a ^ 0x55;
  const exp = (v & 0x70) >> 4;
  let t = (v & 0x0f) << 4;
  t = exp === 0 ? t + 8 : (t + 0x108) << (exp - 1);
  return v & 0x80 ? t : -t;
}

// A packet (20 ms) of codec pt (0 PCMU, 8 PCMA) whose every sample is level:
// packets of a ramp of levels can be told apart after transcoding.
export function levelPacket(pt, seq, level, ssrc = 0x1e7e1) {
  return packet(pt, seq, ssrc).fill(pt === 8 ? linearToAlaw(level) : linearToUlaw(level), 12);
}

// The median sample of an RTP packet of payload type 0 or 8.
export function packetLevel(b) {
  const dec = (b[1] & 0x7f) === 8 ? alawToLinear : ulawToLinear;
  const v = [...b.subarray(12)].map(dec).sort((x, y) => x - y);
  return v[v.length >> 1];
}
