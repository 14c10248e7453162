#!/usr/bin/env node
// bench-sip-calls: SIP calls through a real tsunagud beside Kamailio (issue
// 5, item 8; tests/bench/README.md, "sip calls").
//
//   1. CPU per call, signalling only (INVITE → 200 → ACK → BYE): tsunagud
//      (a trunk call queued, ringing an operator's phone, answered, bridged,
//      hung up; after-call work closed through the API, counted apart)
//      beside Kamailio as a stateful relay between the same SIPp UAC and a
//      SIPp UAS, in the same run.
//   2. Concurrent bridged G.711 calls through tsunagud with RTP on both
//      legs (calls_media.mjs), ramped, loss from RTP sequence numbers.
//
// A driver script and not C: it orchestrates SIPp, Kamailio, tsunagud's
// API and events socket, which the integration tests' harness already does
// (tests/integration/lib, reused as is); the packet work is C
// (bench-sip --role=endpoints).
import { mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { start, stop, runToEnd, cpuSeconds, sippCount, sleep } from './calls_procs.mjs';
import { startCallCentre, trunkCalls, closeEnded } from './calls_tsunagud.mjs';
import { mediaStep, printMediaStep } from './calls_media.mjs';

const here = new URL('.', import.meta.url).pathname;
const usage = `bench-sip-calls [options]
  --tsunagud PATH     the tsunagud to measure (required); plugins from its build
  --bench-sip PATH    bench-sip, for its RTP endpoints (--role=endpoints)
  --dir DIR           where the data directory and SIPp's files go (os tmpdir)
  --operators K       operators and extensions, calls per round (600, <= 1000)
  --rounds R          rounds of K calls for the CPU per call (3, <= 50)
  --rate CPS          calls per second of the SIPp UAC, both servers (100)
  --hold MS           SIPp UAC pause between ACK and BYE (1000)
  --media-calls LIST  concurrent calls to ramp through (100,200,400,600; "" skips)
  --seconds S         measured seconds per media step (10, <= 60)
  --warmup S          unmeasured seconds before (2)
  --commit-delay D    store.commit_delay of tsunagud (a duration; its default if absent)
  --commit-interval D store.commit_interval of tsunagud (likewise)
  --no-kamailio       skip the peer     --kamailio PATH (kamailio)
  --keep              keep the data directory and SIPp's files`;

const { values: a } = parseArgs({
  options: {
    tsunagud: { type: 'string' }, 'bench-sip': { type: 'string' }, dir: { type: 'string' },
    operators: { type: 'string', default: '600' }, rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '100' }, hold: { type: 'string', default: '1000' },
    'media-calls': { type: 'string', default: '100,200,400,600' },
    seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' },
    'commit-delay': { type: 'string' }, 'commit-interval': { type: 'string' }, 'no-kamailio': { type: 'boolean' }, kamailio: { type: 'string', default: 'kamailio' },
    keep: { type: 'boolean' }, help: { type: 'boolean' },
  },
});
if (a.help || !a.tsunagud) { console.log(usage); process.exit(a.help ? 0 : 2); }
const o = {
  operators: Number(a.operators), rounds: Number(a.rounds), rate: Number(a.rate),
  hold: Number(a.hold), seconds: Number(a.seconds), warmup: Number(a.warmup),
  media: a['media-calls'] ? a['media-calls'].split(',').map(Number) : [],
  benchSip: a['bench-sip'], commitDelay: a['commit-delay'],
  commitInterval: a['commit-interval'],
};
const bad = !(o.operators >= 1 && o.operators <= 1000) || !(o.rounds >= 1 && o.rounds <= 50) ||
  !(o.rate > 0 && o.rate <= 2000) || !(o.hold >= 0 && o.hold <= 60000) ||
  !(o.seconds > 0 && o.seconds <= 60) || !(o.warmup >= 0 && o.warmup <= 60) ||
  o.media.some((n) => !(n >= 1 && n <= 1000)) || (o.media.length && !o.benchSip) ||
  [o.commitDelay, o.commitInterval].some((d) => d !== undefined && !/^\d{1,4}(ms|s)$/.test(d));
if (bad) { console.error(`bad options\n${usage}`); process.exit(2); }

// The integration harness finds tsunagud and its plugins through these.
process.env.TSUNAGUD = resolve(a.tsunagud);
process.env.TSUNAGU_BUILD_ROOT ||= resolve(a.tsunagud, '../..');
const lib = {
  server: await import('../../integration/lib/server.mjs'),
  api: await import('../../integration/lib/api.mjs'),
  sip: await import('../../integration/lib/sip.mjs'),
  sipUdp: await import('../../integration/lib/sip_udp.mjs'),
};
o.lib = lib;
const base = a.dir || (await import('node:os')).tmpdir();
o.workDir = mkdtempSync(join(base, 'bench-sip-calls-'));

// Kamailio between a SIPp UAC and a SIPp UAS: CPU of all its processes.
async function kamailio(calls) {
  const dir = join(o.workDir, 'kamailio');
  mkdirSync(dir, { recursive: true });
  const kamPort = await lib.sip.freeUdpPort();
  const uasPort = await lib.sip.freeUdpPort();
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, readFileSync(join(here, 'kamailio.cfg'), 'utf8')
    .replaceAll('@KAM_PORT@', String(kamPort)).replaceAll('@UAS_PORT@', String(uasPort)));
  const kam = start(a.kamailio, ['-f', cfg, '-DD', '-E', '-Y', dir, '-w', dir]);
  const uas = start('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-nostdin',
    '-max_socket', '65535'], { cwd: dir });
  try {
    await sleep(1500); // Kamailio forks its workers; nothing to wait on but time
    const cpu0 = cpuSeconds(kam.pid, { descendants: true });
    if (Number.isNaN(cpu0)) throw new Error(`kamailio did not start:\n${kam.output().slice(-2000)}`);
    const r = await runToEnd('sipp', ['-sn', 'uac', '-i', '127.0.0.1', '-p', String(await lib.sip.freeUdpPort()),
      '-r', String(o.rate), '-m', String(calls), '-d', String(o.hold), '-nostdin', '-trace_screen',
      '-max_socket', '65535', '-timeout', `${Math.ceil(calls / o.rate + o.hold / 1000 + 60)}s`, '-timeout_error',
      `127.0.0.1:${kamPort}`], { cwd: dir, timeoutMs: (calls / o.rate + o.hold / 1000 + 90) * 1000 });
    const cpu1 = cpuSeconds(kam.pid, { descendants: true });
    const { readdirSync } = await import('node:fs');
    const screen = readdirSync(dir).filter((n) => n.endsWith('_screen.log'))
      .map((n) => readFileSync(join(dir, n), 'utf8')).join('') || r.output;
    return { ok: sippCount(screen, 'Successful'), failed: sippCount(screen, 'Failed'), cpu: cpu1 - cpu0 };
  } finally {
    await stop(uas);
    await stop(kam);
  }
}

// tsunagud: rounds of K calls (one per operator), then their K
// conversations closed; CPU of each phase apart.
async function tsunagudCalls(cc) {
  const t = { calls: 0, ok: 0, answered: 0, missed: {}, callCpu: 0, closeCpu: 0, closed: 0 };
  for (let r = 0; r < o.rounds; r++) {
    cc.events.reset();
    const cpu0 = cpuSeconds(cc.srv.pid);
    const run = await trunkCalls(cc, o, { calls: o.operators, rate: o.rate, hold: o.hold, extra: ['-sn', 'uac'] });
    const all = await cc.events.until(() => cc.events.counts.ended + cc.events.counts.missed >= o.operators, 30000);
    const cpu1 = cpuSeconds(cc.srv.pid);
    const ended = cc.events.ended.length;
    const closed = await closeEnded(cc);
    await cc.events.until(() => cc.events.counts.acw_ended >= ended, 30000);
    const cpu2 = cpuSeconds(cc.srv.pid);
    t.calls += o.operators;
    t.ok += run.ok || 0;
    t.answered += cc.events.counts.answered;
    for (const [k, v] of Object.entries(cc.events.missedReasons)) t.missed[k] = (t.missed[k] || 0) + v;
    t.callCpu += cpu1 - cpu0;
    t.closeCpu += cpu2 - cpu1;
    t.closed += closed;
    if (!all) console.log(`  round ${r + 1}: not every call ended within 30 s (${JSON.stringify(cc.events.counts)})`);
  }
  return t;
}

const us = (s, n) => (n ? (s * 1e6) / n : NaN).toFixed(0);
let cc;
let failed = false;
try {
  console.log(`bench-sip-calls: ${o.operators} operators, ${o.rounds} rounds, ${o.rate} calls/s, hold ${o.hold} ms`);
  console.log('setting up tsunagud (operators, extensions, registrations)...');
  const dataDir = join(o.workDir, 'data');
  mkdirSync(dataDir);
  cc = await startCallCentre({ ...o, dataDir, rtpPortMin: 30000, rtpPortMax: 39999, phonePorts: [9] });
  console.log(`\n1. CPU per call, signalling only (INVITE, 200, ACK, BYE; no guidance, no RTP)`);
  const t = await tsunagudCalls(cc);
  const tCall = t.answered ? (t.callCpu * 1e6) / t.answered : NaN;
  console.log(`  tsunagud  calls ${t.calls}, trunk side ok ${t.ok}, answered by a phone ${t.answered}, ` +
    `missed ${JSON.stringify(t.missed)}`);
  console.log(`            ${us(t.callCpu, t.answered)} us CPU per answered call (call phase), ` +
    `+ ${us(t.closeCpu, t.closed)} us per after-call-work close through the API (${t.closed} closed)`);
  if (!a['no-kamailio']) {
    const k = await kamailio(o.operators * o.rounds);
    const kCall = k.ok ? (k.cpu * 1e6) / k.ok : NaN;
    console.log(`  kamailio  calls ${o.operators * o.rounds}, ok ${k.ok}, failed ${k.failed}: ` +
      `${us(k.cpu, k.ok)} us CPU per call (all its processes)`);
    const ratio = tCall / kCall;
    console.log(`  tsunagud / kamailio per call: ${ratio.toFixed(2)} (goal <= 2): ${ratio <= 2 ? 'PASS' : 'MISS'}` +
      `; with the close: ${(((t.callCpu + t.closeCpu) * 1e6) / t.answered / kCall).toFixed(2)}`);
  }
  if (o.media.length) {
    console.log(`\n2. concurrent bridged PCMU calls through tsunagud, RTP both legs, ${o.seconds} s per step`);
    console.log('  loss: sequence gaps at the receiving endpoints; missing: sent - received');
    let best = 0;
    for (const n of o.media) {
      if (n > o.operators) { console.log(`${String(n).padStart(6)}  skipped: more calls than --operators`); continue; }
      const r = await mediaStep(cc, o, n);
      printMediaStep(r, o.seconds);
      if (!r.error && r.loss < 0.5 && r.missing < 0.5) best = Math.max(best, n);
    }
    console.log(`  most calls with < 0.5 % loss: ${best} (goal >= 400): ${best >= 400 ? 'PASS' : 'MISS'}`);
  }
  console.log('\n3. normalization speed beside sox: bench-audio (tests/bench/README.md, "audio")');
} catch (e) {
  failed = true;
  console.error(`bench-sip-calls: ${e.stack || e.message}`);
  if (cc) {
    const gone = await Promise.race([cc.srv.exited, sleep(100).then(() => null)]);
    console.error(`tsunagud ${gone ? `exited: ${JSON.stringify(gone)}` : 'still running'}; its log (end):\n${cc.srv.logs().slice(-4000)}`);
  }
} finally {
  if (cc) await cc.stopAll();
  if (a.keep || failed) console.log(`files kept in ${o.workDir}`);
  else rmSync(o.workDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
