// bench-sip-calls: the processes the driver starts (SIPp, Kamailio, the
// RTP endpoints of bench-sip) and their CPU time. Every child is tracked
// and ended by its own PID (SIGTERM, SIGKILL after a timeout), never by
// name.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

// Starts cmd; resolves nothing, returns {pid, child, output(), exited}.
// output() is stdout+stderr so far (capped at the last 256 KiB: SIPp and
// Kamailio can be chatty on failures).
export function start(cmd, args, { cwd, stdin = 'ignore' } = {}) {
  const child = spawn(cmd, args, { cwd, stdio: [stdin, 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (chunk) => { out = (out + chunk.toString('utf8')).slice(-262144); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => {
    child.on('error', (e) => { children.delete(child); resolve({ code: null, signal: null, error: e }); });
    child.on('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); });
  });
  return { pid: child.pid, child, output: () => out, exited };
}

// Runs cmd to completion, at most timeoutMs; resolves {code, signal, output}.
export async function runToEnd(cmd, args, { cwd, timeoutMs = 120000 } = {}) {
  const p = start(cmd, args, { cwd });
  const timer = setTimeout(() => stop(p), timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  return { ...r, output: p.output() };
}

// Ends one process we started: SIGTERM, then SIGKILL after 5 s.
export async function stop(p) {
  if (!children.has(p.child)) return p.exited;
  try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
  const t = setTimeout(() => { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
  const r = await p.exited;
  clearTimeout(t);
  return r;
}

function statOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command may hold spaces and parentheses: fields follow the last ')'
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

// User + system CPU seconds of pid (all its threads) and, with
// descendants, of every process below it (Kamailio's forked workers).
export function cpuSeconds(pid, { descendants = false } = {}) {
  const self = statOf(pid);
  if (!self) return NaN;
  let ticks = self.ticks;
  if (descendants) {
    const parents = new Map();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const st = statOf(d);
      if (st) parents.set(Number(d), st);
    }
    const below = new Set([pid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [p, st] of parents) {
        if (!below.has(p) && below.has(st.ppid)) { below.add(p); ticks += st.ticks; grew = true; }
      }
    }
  }
  return ticks / clkTck;
}

// The SIPp statistics line "Successful call | periodic | cumulative" of a
// -trace_screen dump; NaN when absent.
export function sippCount(screen, what) {
  const m = screen.match(new RegExp(`${what} call\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`));
  return m ? Number(m[1]) : NaN;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
