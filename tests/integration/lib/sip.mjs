// The SIP plugin in black-box tests: a tsunagud with [plugin.sip] on a free
// loopback port, and SIPp runs (scenarios in tests/integration/sip/).
import { join } from 'node:path';
import dgram from 'node:dgram';
import { startServer, run, sourceRoot } from './server.mjs';

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
