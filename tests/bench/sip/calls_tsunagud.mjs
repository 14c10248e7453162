// bench-sip-calls: a real tsunagud with the SIP plugin set up as a small
// call centre — a trunk (127.0.0.1 allowed), K operators available with an
// extension each, every extension registered to one SIPp phone (UAS) —
// and the admin's events socket counting the calls' events.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { start, stop, runToEnd, sippCount, sleep } from './calls_procs.mjs';

const here = new URL('.', import.meta.url).pathname;
export const scenario = (name) => join(here, name);

// Counts call events on the admin's events socket (what an open inbox
// would receive too). ended: conversations of answered calls that ended
// (after-call work begins), to be closed by the driver.
class CallEvents {
  constructor(ws) {
    this.ws = ws;
    this.waiters = [];
    this.reset();
    ws.on('message', (data) => this.onEvent(JSON.parse(data.toString('utf8'))));
  }

  reset() {
    this.counts = { incoming: 0, answered: 0, ended: 0, missed: 0, acw_ended: 0 };
    this.missedReasons = {};
    this.ended = [];
    this.publicIds = new Map();
  }

  onEvent(e) {
    // The envelope names the conversation by its row id (conversation_id);
    // routing events carry its public id (the API's) in data.
    const row = e.conversation_id ?? e.conversation;
    if (row != null && typeof e.data?.conversation === 'string') this.publicIds.set(row, e.data.conversation);
    if (process.env.BENCH_SIP_CALLS_DEBUG && e.type?.startsWith('call.')) console.log(JSON.stringify(e));
    const kind = typeof e.type === 'string' && e.type.startsWith('call.') ? e.type.slice(5) : null;
    if (kind && kind in this.counts) {
      this.counts[kind]++;
      if (kind === 'ended') this.ended.push(this.publicIds.get(row));
      if (kind === 'missed') {
        const r = e.data?.reason || '?';
        this.missedReasons[r] = (this.missedReasons[r] || 0) + 1;
      }
    }
    for (const w of [...this.waiters]) w();
  }

  // Resolves true once cond() holds, false after timeoutMs (or when the
  // socket closes).
  until(cond, timeoutMs) {
    return new Promise((resolve) => {
      if (cond()) return resolve(true);
      const done = (ok) => {
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(check), 1);
        this.ws.off('close', closed);
        resolve(ok);
      };
      const check = () => { if (cond()) done(true); };
      const closed = () => done(false);
      const timer = setTimeout(() => done(cond()), timeoutMs);
      this.waiters.push(check);
      this.ws.on('close', closed);
    });
  }
}

async function openEvents(admin) {
  const url = admin.baseUrl.replace(/^http/, 'ws') + '/api/v1/events';
  const ws = new WebSocket(url, { headers: { cookie: admin.cookieHeader() }, origin: admin.baseUrl });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return new CallEvents(ws);
}

async function must(r, what) {
  const res = await r;
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
}

// Runs fn over items, at most `width` at a time.
export async function inParallel(items, width, fn) {
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; await fn(items[i], i); } };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

// Starts tsunagud and sets up the call centre. o: {lib (the integration
// harness: server.mjs, api.mjs, sip.mjs), dataDir, operators, workDir,
// phonePorts (the SDP port of each phone call: an array, used in order)}.
// Returns {srv, admin, events, phone, phonePort, sipPort, stopAll()}.
export async function startCallCentre(o) {
  const { startServer } = o.lib.server;
  const { ApiClient } = o.lib.api;
  const { freeUdpPort } = o.lib.sip;
  const store = [o.commitDelay && `commit_delay = ${o.commitDelay}`,
    o.commitInterval && `commit_interval = ${o.commitInterval}`].filter(Boolean);
  const config = (store.length ? `[store]\n${store.join('\n')}\n\n` : '') +
    '[plugin.sip]\nlisten = 127.0.0.1:0\n' +
    `rtp_port_min = ${o.rtpPortMin}\nrtp_port_max = ${o.rtpPortMax}\n`;
  const srv = await startServer({ dataDir: o.dataDir, config, startTimeoutMs: 60000 });
  const m = await srv.waitForLog(/sip: listening on udp 127\.0\.0\.1:(\d+)/);
  const sipPort = Number(m[1]);
  const admin = new ApiClient(srv.url);
  await must(admin.login(srv.adminLogin, srv.adminPassword), 'admin login');
  // All calls may wait at once while phones ring: no queue limit.
  await must(admin.request('PUT', '/api/v1/calls/settings', { json: { queue_limit: 0 } }), 'queue limit');
  await must(admin.request('PUT', '/plugins/sip/admin/trunks', {
    json: [{ name: 'bench', allow: ['127.0.0.1'] }],
  }), 'trunks');

  // Operators: created (Argon2id hashing: the slow part of the set-up) and
  // set available by the admin, no session of their own needed.
  const ops = Array.from({ length: o.operators }, (_, i) => `op${i + 1}`);
  const exts = [];
  await inParallel(ops, 2, async (login, i) => {
    const r = await must(admin.post('/api/v1/staff', {
      login, display_name: login, role: 'operator', password: `${login}-password-123`,
    }), `staff ${login}`);
    await must(admin.request('PUT', `/api/v1/staff/${r.json.staff.id}/status`, {
      json: { status: 'available' },
    }), `status ${login}`);
    exts[i] = { user: String(5000 + i), staff: login, password: `pw-${5000 + i}` };
  });
  await must(admin.request('PUT', '/plugins/sip/admin/extensions', { json: exts }), 'extensions');

  const cc = { srv, admin, sipPort, phonePort: await freeUdpPort(), phone: null };
  await restartPhone(cc, o, o.phonePorts);
  // Registrations with the integration tests' own digest client (SIPp's
  // [authentication] cannot take a per-call user from an injection file).
  const client = await o.lib.sipUdp.openSipClient(sipPort);
  try {
    for (const e of exts) await o.lib.sipUdp.registerContact(client, sipPort, e.user, e.password, cc.phonePort, 3600);
  } finally {
    client.close();
  }
  const got = await must(admin.get('/plugins/sip/admin/extensions'), 'extensions');
  const registered = Object.keys(got.json.registered || {}).length;
  if (registered !== exts.length) throw new Error(`${registered} of ${exts.length} extensions registered`);

  cc.events = await openEvents(admin);
  cc.stopAll = async () => {
    cc.events.ws.close();
    if (cc.phone) await stop(cc.phone);
    return srv.stop('SIGTERM', { cleanup: false });
  };
  return cc;
}

// (Re)starts the SIPp UAS that answers for every phone, on cc.phonePort
// (the Contact all extensions registered), its calls taking their SDP
// audio port from ports in order. traceMsg: write SIPp's message trace
// (the media run reads tsunagud's ports from it).
export async function restartPhone(cc, o, ports, { traceMsg = false } = {}) {
  if (cc.phone) await stop(cc.phone);
  const csv = join(o.workDir, 'phones.csv');
  writeFileSync(csv, 'SEQUENTIAL\n' + ports.map((p) => `${p};\n`).join(''));
  cc.phone = start('sipp', ['-sf', scenario('phone.xml'), '-inf', csv, '-i', '127.0.0.1',
    '-p', String(cc.phonePort), '-nostdin', '-max_socket', '65535', ...(traceMsg ? ['-trace_msg'] : [])],
  { cwd: o.workDir });
  // SIPp binds at once; a call that came before would be retransmitted.
  await sleep(300);
}

// Closes the conversations of ended calls (after-call work done) through
// the API, like the operators would; resolves the number closed.
export async function closeEnded(cc, width = 1) {
  const list = cc.events.ended.splice(0).filter((c) => typeof c === 'string');
  let closed = 0;
  await inParallel(list, width, async (conv) => {
    const r = await cc.admin.post(`/api/v1/conversations/${conv}/close`, {});
    if (r.status === 200) closed++;
  });
  return closed;
}

// One SIPp UAC run as the trunk: calls at rate/s, each INVITE → 200 → ACK,
// hold ms, BYE. extra: more SIPp arguments. Resolves {code, ok, failed}.
export async function trunkCalls(cc, o, { calls, rate, hold, extra = [] }) {
  const { freeUdpPort } = o.lib.sip;
  const port = await freeUdpPort();
  const timeoutS = Math.ceil(calls / rate + hold / 1000 + 60);
  const r = await runToEnd('sipp', [...extra, '-i', '127.0.0.1', '-p', String(port),
    '-r', String(rate), '-m', String(calls), '-d', String(hold), '-nostdin', '-trace_screen',
    '-max_socket', '65535', '-timeout', `${timeoutS}s`, '-timeout_error', `127.0.0.1:${cc.sipPort}`],
  { cwd: o.workDir, timeoutMs: (timeoutS + 30) * 1000 });
  const screen = await readScreen(o.workDir, r);
  return { code: r.code, ok: sippCount(screen, 'Successful'), failed: sippCount(screen, 'Failed'), output: r.output };
}

async function readScreen(dir, r) {
  const { readdirSync, readFileSync, rmSync } = await import('node:fs');
  const f = readdirSync(dir).filter((n) => n.endsWith('_screen.log'));
  let text = '';
  for (const n of f) { text += readFileSync(join(dir, n), 'utf8'); rmSync(join(dir, n)); }
  return text || r.output;
}

export { sleep };
