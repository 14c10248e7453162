// Starts a real tsunagud on a free loopback port with a fresh data directory,
// for black-box tests. Every server started here is stopped by its PID only.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const sourceRoot = process.env.TSUNAGU_SOURCE_ROOT || resolve(here, '../../..');
export const buildRoot = process.env.TSUNAGU_BUILD_ROOT || join(sourceRoot, 'build');
export const tsunagudPath = process.env.TSUNAGUD || join(buildRoot, 'core', 'tsunagud');
export const tsunaguCliPath = process.env.TSUNAGU_CLI || join(buildRoot, 'core', 'tsunagu');

const running = new Set();
function killAll() {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
// A failed assertion skips the test's own stop; a live child would then keep
// the test process alive until meson's timeout. The suites run node with
// --test-force-exit, so the process exits once every test is done and this
// ends every server the file started, by its PID.
process.on('exit', killAll);

export function makeTempDir(prefix = 'tsunagu-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

// options: config (extra INI text appended after [http]), args (extra argv),
// env (extra environment), listen (default 127.0.0.1:0), dataDir (reuse one
// to test a restart), startTimeoutMs.
export async function startServer(options = {}) {
  const dataDir = options.dataDir || makeTempDir();
  const ownsDataDir = !options.dataDir;
  const confPath = join(dataDir, 'tsunagu.conf');
  const listen = options.listen || '127.0.0.1:0';
  const config = `[http]\nlisten = ${listen}\n\n[log]\nlevel = ${options.logLevel || 'info'}\n\n${options.config || ''}\n`;
  writeFileSync(confPath, config);

  const args = ['--config', confPath, '--data-dir', dataDir, ...(options.args || [])];
  const child = spawn(tsunagudPath, args, {
    env: { ...process.env, ...(options.env || {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const waiters = [];
  const onData = (chunk) => {
    output += chunk.toString('utf8');
    for (const w of [...waiters]) w.check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolveExit({ code, signal });
      for (const w of [...waiters]) w.check();
    });
  });
  let exitInfo = null;
  exited.then((e) => { exitInfo = e; });

  const waitForLog = (regex, timeoutMs = 10000) => new Promise((resolveWait, reject) => {
    const w = {
      check() {
        const m = output.match(regex);
        if (m) { done(); resolveWait(m); return; }
        if (exitInfo) { done(); reject(new Error(`tsunagud exited (${JSON.stringify(exitInfo)}) before ${regex}; output:\n${output}`)); }
      },
    };
    const timer = setTimeout(() => { done(); reject(new Error(`timeout waiting for ${regex}; output:\n${output}`)); }, timeoutMs);
    function done() { clearTimeout(timer); const i = waiters.indexOf(w); if (i >= 0) waiters.splice(i, 1); }
    waiters.push(w);
    setImmediate(() => w.check());
  });

  const m = await waitForLog(/http: listening on (\S+):(\d+)/, options.startTimeoutMs || 15000);
  const port = Number(m[2]);
  const host = m[1];
  const pw = output.match(/admin account "(\w+)" created with password: (\S+)/);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

  return {
    pid: child.pid,
    process: child,
    port,
    host,
    url: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}`,
    dataDir,
    configPath: confPath,
    adminLogin: pw ? pw[1] : options.adminLogin,
    adminPassword: pw ? pw[2] : options.adminPassword,
    logs: () => output,
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM', { cleanup = ownsDataDir } = {}) {
      const t0 = Date.now();
      if (!exitInfo) child.kill(signal);
      const info = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r(null), 10000)),
      ]);
      const ms = Date.now() - t0;
      if (!info) {
        child.kill('SIGKILL');
        await exited;
      }
      if (cleanup) rmSync(dataDir, { recursive: true, force: true });
      return info ? { ...info, ms } : { code: null, signal: 'SIGKILL', ms, timedOut: true };
    },
  };
}

// Runs a program to completion; resolves {code, stdout, stderr}.
export function run(cmd, args, opts = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('exit', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}
