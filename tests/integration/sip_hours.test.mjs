// Calls outside business hours through the SIP plugin (TEL-3, TEL-5): the
// rules declare business hours that are closed now (no open day at all),
// so every call is not in operation — refused 480 while no out-of-hours
// guidance exists, then answered with the guidance and hung up; both are
// missed notInOperation and their conversations closed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { makeTempDir } from './lib/server.mjs';
import {
  startSipServer, rtpSocket, callIn, uploadTone, loudRuns, loggedCall, callEvent,
} from './lib/sip.mjs';
import { openSipClient } from './lib/sip_udp.mjs';

const OUT_OF_HOURS_MS = 400;
let srv, admin, trunk, rulesDir;

before(async () => {
  rulesDir = makeTempDir('tsunagu-sip-hours-');
  mkdirSync(join(rulesDir, 'rules'));
  writeFileSync(join(rulesDir, 'rules', 'route.lua'), 'business_hours { timezone = "UTC" }\n'
    + 'route "everyone" { to = all_available() }\n');
  srv = await startSipServer({ config: `[rules]\ndir = ${join(rulesDir, 'rules')}\n` });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  await admin.sessionOf('op-h', 'operator'); // available, but the line is closed
  assert.equal((await admin.request('PUT', '/plugins/sip/admin/trunks', {
    json: [{ name: 'main', allow: ['127.0.0.1'] }],
  })).status, 200);
  trunk = await openSipClient(srv.sipPort);
});

after(async () => {
  trunk?.close();
  if (srv) await stopCleanly(srv, assert);
  if (rulesDir) rmSync(rulesDir, { recursive: true, force: true });
});

const conversation = async (id) => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;

test('out of hours without guidance: 480 at once, missed notInOperation', async () => {
  const media = await rtpSocket();
  const call = await callIn(trunk, srv, { from: '0333330001', rtp: media });
  assert.equal(call.ans.status, 480, call.ans.text);
  const c = await loggedCall(srv, '0333330001');
  assert.equal((await callEvent(admin, 'call.missed', c.id)).data.reason, 'notInOperation');
  assert.equal((await conversation(c.conversation)).state, 'closed');
  media.close();
});

test('out of hours: the out-of-hours guidance in full, then our BYE; missed notInOperation, conversation closed', async () => {
  const id = await uploadTone(admin, 'closed', { freq: 500, ms: OUT_OF_HOURS_MS });
  assert.equal((await admin.request('PUT', '/api/v1/guidance/sets', { json: { sets: { '': { out_of_hours: id } } } })).status, 200);
  const media = await rtpSocket();
  const call = await callIn(trunk, srv, { from: '0333330002', rtp: media });
  assert.equal(call.ans.status, 200, call.ans.text);
  await trunk.waitRequest('BYE', call.ans.headers['call-id']);
  const runs = loudRuns(media.received);
  assert.ok(runs[0].loud && Math.abs(runs[0].count - OUT_OF_HOURS_MS / 20) <= 2, JSON.stringify(runs));
  const c = await loggedCall(srv, '0333330002');
  const missed = await callEvent(admin, 'call.missed', c.id);
  assert.deepEqual([missed.data.reason, missed.data.by], ['notInOperation', 'channel']);
  assert.equal((await conversation(c.conversation)).state, 'closed');
  assert.equal((await admin.get('/api/v1/calls')).json.calls.length, 0, 'never in the waiting calls');
  media.close();
});
