// A re-INVITE while our own offer on the dialog awaits its answer (the 200
// of a late offer, before the ACK; issue 5): refused without touching the
// pending offer/answer — sofia-sip answers 500 with Retry-After itself
// (RFC 3261 14.2, the first INVITE's transaction is not over), the plugin
// answers 491 when one reaches it — and the call goes on as if it had not
// come: the ACK's answer is taken, a later re-INVITE keeps that codec and
// the port, the hang-up is normal. The trunk is SIPp
// (tests/integration/sip/trunk_491.xml).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { makeTempDir } from './lib/server.mjs';
import { startSipServer, configureSip, sipp, loggedCall, callEvent, freeUdpPort } from './lib/sip.mjs';

let srv, admin, dir;

before(async () => {
  dir = makeTempDir('tsunagu-sip491-');
  srv = await startSipServer();
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await configureSip(admin, { trunks: [{ name: 'main', allow: ['127.0.0.1'] }] });
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
  rmSync(dir, { recursive: true, force: true });
});

test('a re-INVITE while our late-offer 200 awaits its ACK is refused; the ACK\'s answer still counts', async () => {
  const log = join(dir, 'trunk.log');
  const media = await freeUdpPort();
  const r = await sipp(srv, 'trunk_491.xml', {
    keys: { from: '0333330001' }, args: ['-mp', String(media), '-trace_logs', '-log_file', log],
  });
  assert.equal(r.code, 0, `200, 500 + Retry-After, ACK, re-INVITE 200, BYE 200 as expected:\n${r.stdout.slice(-2500)}${r.stderr.slice(-1000)}`);
  const call = await loggedCall(srv, '0333330001');
  const missed = await callEvent(admin, 'call.missed', call.id);
  assert.equal(missed.data.reason, 'userLeft');
  // the ACK's answer (PCMU) was applied, not the refused re-INVITE's PCMA
  // offer: the later re-INVITE offering PCMA first keeps PCMU, same port
  assert.doesNotMatch(srv.logs(), /ACK: /, 'the answer in the ACK was usable');
  const text = readFileSync(log, 'utf8');
  assert.match(text, /REFUSED Retry-After: \d+/);
  const before = text.match(/BEFORE (\d+)/)[1];
  const after = text.match(/AFTER (\d+) (\d+)/);
  assert.deepEqual([after[1], after[2]], [before, '0']);
});
