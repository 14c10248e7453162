// A phone channel for the call engine's black-box tests: the calltest
// fixture plugin (build/tests/plugins/calltest.so, tests/plugins/calltest)
// loaded from a plugin directory of its own. It reports calls as a SIP
// channel would (call_incoming, call_answered ...) on HTTP requests of the
// test, and records every call_event() the engine sends it (RING,
// STOP_RING, HANGUP, DIAL, MISSED).
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRoot, makeTempDir } from './server.mjs';
import { eventually } from './poll.mjs';

export const calltestSo = join(buildRoot, 'tests', 'plugins', 'calltest.so');

export function calltestAvailable() { return existsSync(calltestSo); }

// A plugin directory with calltest.so only, and a rules directory with
// route.lua (routeLua, default: everyone, longest idle) beside it; returns
// {dir, config(extra), cleanup()}. extra is appended to the config.
export function callsPluginDir(routeLua) {
  const dir = makeTempDir('tsunagu-calls-plugins-');
  mkdirSync(dir, { recursive: true });
  cpSync(calltestSo, join(dir, 'calltest.so'));
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  writeFileSync(join(rules, 'route.lua'), routeLua
    || 'route "everyone" { to = all_available(), method = "longest_idle" }\n');
  return {
    dir,
    config: (extra = '') => `[plugins]\ndir = ${dir}\n\n[rules]\ndir = ${rules}\n\n${extra}\n`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function call(srv, method, what, params = {}) {
  const qs = new URLSearchParams(params).toString();
  const res = await fetch(`${srv.url}/calltest/${what}${qs ? `?${qs}` : ''}`, { method });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`calltest ${what}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// A caller dials in: {status, conversation, call, disposition} after the commit.
export const DISPOSITION = { QUEUED: 1, NOT_IN_OPERATION: 2, QUEUE_FULL: 3 };
export function dialIn(srv, caller, id, extra = {}) {
  return call(srv, 'POST', 'incoming', { caller, id, ...extra });
}
// What the phones did: answered/rejected {call, login}, ended {call},
// missed {call, reason}; resolves the host function's return code.
export async function report(srv, what, params) {
  return (await call(srv, 'POST', what, params)).rc;
}
// From now on RING/DIAL for login is refused by the channel (-EBUSY).
export async function refuse(srv, login) { return call(srv, 'POST', 'refuse', { login }); }
// api->guidance_path(line, kind) as the channel would ask it: {rc, path}.
// kind: welcome | queue | busy | out_of_hours; line omitted: the default set.
export function guidancePath(srv, kind, line) {
  return call(srv, 'GET', 'guidance', line === undefined ? { kind } : { kind, line });
}
// Every call_event() received so far, in order.
export async function channelEvents(srv) { return (await call(srv, 'GET', 'events')).events; }
// Waits until the channel received an event matching pred; returns it.
export function channelSaw(srv, pred, what) {
  return eventually(async () => (await channelEvents(srv)).find(pred), what, 20000);
}
