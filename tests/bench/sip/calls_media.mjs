// bench-sip-calls, part 2: N concurrent bridged G.711 calls through a real
// tsunagud, RTP on both legs. SIPp sets the calls up (caller.xml as the
// trunk, phone.xml as every operator's phone), each SDP naming one RTP
// endpoint of `bench-sip --role=endpoints` (sip_endpoints_role.c); the
// driver reads tsunagud's leg ports from SIPp's message traces and points
// the endpoints at them; loss is counted from the RTP sequence numbers at
// the receiving endpoints.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { start, stop, cpuSeconds } from './calls_procs.mjs';
import { scenario, trunkCalls, closeEnded, restartPhone } from './calls_tsunagud.mjs';

// The endpoints process with a line reader: expect(word) resolves the
// next line starting with word (an "error" line rejects).
function startEndpoints(benchSip, calls) {
  const p = start(benchSip, ['--role=endpoints', String(calls)], { stdin: 'pipe' });
  const lines = [];
  const waiters = [];
  createInterface({ input: p.child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) w();
  });
  p.send = (l) => p.child.stdin.write(`${l}\n`);
  p.expect = (word, timeoutMs) => new Promise((resolve, reject) => {
    const check = () => {
      const i = lines.findIndex((l) => l === word || l.startsWith(`${word} `) || l.startsWith('error'));
      if (i < 0) return;
      const [l] = lines.splice(i, 1);
      done();
      if (l.startsWith('error')) reject(new Error(`endpoints: ${l}`));
      else resolve(l.split(' ').slice(1));
    };
    const timer = setTimeout(() => { done(); reject(new Error(`endpoints: no "${word}" in ${timeoutMs} ms`)); }, timeoutMs);
    const done = () => { clearTimeout(timer); const k = waiters.indexOf(check); if (k >= 0) waiters.splice(k, 1); };
    waiters.push(check);
    check();
  });
  return p;
}

// Every call's two SDP audio ports (the INVITE's and its 200's) from the
// SIPp -trace_msg files in dir, by Call-ID; the files are removed.
export function sdpPortsOfCalls(dir) {
  const byCall = new Map();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('_messages.log'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    rmSync(join(dir, name));
    for (const msg of text.split(/^-{20,}.*$/m)) {
      const callId = msg.match(/^Call-ID:\s*(\S+)/mi);
      const cseq = msg.match(/^CSeq:\s*\d+\s+(\S+)/mi);
      const port = msg.match(/^m=audio (\d+)/m);
      if (!callId || !port || !cseq || cseq[1] !== 'INVITE') continue;
      if (!byCall.has(callId[1])) byCall.set(callId[1], new Set());
      byCall.get(callId[1]).add(Number(port[1]));
    }
  }
  return byCall;
}

function pct(part, whole) { return whole ? (100 * part) / whole : 0; }

// One step of N calls; resolves the figures, or {error}.
export async function mediaStep(cc, o, calls) {
  const ep = startEndpoints(o.benchSip, calls);
  const res = { calls };
  try {
    const ports = (await ep.expect('ports', 30000)).map(Number);
    const index = new Map(ports.map((p, i) => [p, i]));
    await restartPhone(cc, o, ports.filter((_, i) => i % 2 === 1), { traceMsg: true });
    const callersCsv = join(o.workDir, 'callers.csv');
    writeFileSync(callersCsv, 'SEQUENTIAL\n' + ports.filter((_, i) => i % 2 === 0).map((p) => `${p};\n`).join(''));
    cc.events.reset();
    const setupMs = Math.ceil((1000 * calls) / o.rate) + 20000;
    const hold = setupMs + 1000 * (o.warmup + o.seconds) + 10000;
    const trunk = trunkCalls(cc, o, {
      calls, rate: o.rate, hold, extra: ['-sf', scenario('caller.xml'), '-inf', callersCsv, '-trace_msg'],
    });
    const up = await cc.events.until(() => cc.events.counts.answered >= calls, setupMs);
    res.answered = cc.events.counts.answered;
    if (!up) throw new Error(`${res.answered} of ${calls} calls answered in ${setupMs} ms (missed: ${JSON.stringify(cc.events.missedReasons)})`);
    const targets = new Array(ports.length).fill(0);
    for (const set of sdpPortsOfCalls(o.workDir).values()) {
      const ours = [...set].filter((p) => index.has(p));
      const theirs = [...set].filter((p) => !index.has(p));
      if (ours.length === 1 && theirs.length === 1) targets[index.get(ours[0])] = theirs[0];
    }
    const unset = targets.filter((t) => t === 0).length;
    if (unset) throw new Error(`no tsunagud port known for ${unset} of ${ports.length} endpoints`);
    ep.send(`targets ${targets.join(' ')}`);
    ep.send(`run ${o.warmup} ${o.seconds}`);
    await ep.expect('measuring', (o.warmup + 30) * 1000);
    const cpu0 = cpuSeconds(cc.srv.pid);
    const f = (await ep.expect('figures', (o.seconds + 30) * 1000)).map(Number);
    const cpu1 = cpuSeconds(cc.srv.pid);
    const [sent, received, lost] = f;
    Object.assign(res, {
      sent, received, lost, cpu: cpu1 - cpu0,
      loss: pct(lost, received + lost), missing: pct(Math.max(0, sent - received), sent),
    });
    // still up after the measured phase: nobody hung up early
    res.endedEarly = cc.events.counts.ended + cc.events.counts.missed;
    const t = await trunk;
    res.trunkOk = t.ok;
    await cc.events.until(() => cc.events.counts.ended + cc.events.counts.missed >= calls, 30000);
    await closeEnded(cc);
  } catch (e) {
    res.error = e.message;
  } finally {
    ep.send('quit');
    await stop(ep);
  }
  return res;
}

export function printMediaStep(r, seconds) {
  if (r.error) {
    console.log(`${String(r.calls).padStart(6)}  failed: ${r.error}`);
    return;
  }
  console.log(`${String(r.calls).padStart(6)}  ${(r.received / seconds).toFixed(0).padStart(7)} pkt/s  ` +
    `loss ${r.loss.toFixed(3)} %  missing ${r.missing.toFixed(3)} %  ` +
    `tsunagud CPU ${((r.cpu * 1e6) / Math.max(1, r.received)).toFixed(2)} us/pkt, ` +
    `${((100 * r.cpu) / seconds).toFixed(1)} % of a core  ` +
    `(answered ${r.answered}, hung up before the end ${r.endedEarly}, trunk calls ok ${r.trunkOk})`);
}

export { cpuSeconds };
