// The web widget's admin settings API (role-gated HTTP routes of a plugin,
// host ABI 1.1) and what survives a restart: settings, visitor tokens,
// history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, makeTempDir } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { Visitor } from './lib/visitor.mjs';

const PATH = '/plugins/web/admin/settings';
let srv, admin, dataDir;

before(async () => {
  dataDir = makeTempDir('tsunagu-web-admin-');
  srv = await startServer({ dataDir, config: '[plugin.web]\ngreeting_en = Hello from config\n' });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
  rmSync(dataDir, { recursive: true, force: true });
});

const put = (client, body, options = {}) =>
  client.request('PUT', PATH, { json: body, ...options });

test('the settings API is for logged-in admins only, with CSRF', async () => {
  const anon = new ApiClient(srv.url);
  const r401 = await anon.get(PATH);
  assert.equal(r401.status, 401);
  assert.equal(r401.json.error.code, 'unauthorized');

  await admin.createStaff('op1', 'operator');
  await admin.createStaff('sup1', 'supervisor');
  for (const login of ['op1', 'sup1']) {
    const c = new ApiClient(srv.url);
    assert.equal((await c.login(login, `${login}-password-123`)).status, 200);
    const r = await c.get(PATH);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'forbidden');
  }
  const noCsrf = await put(admin, { greeting_en: 'x' }, { csrf: false });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.json.error.code, 'csrf');
  const crossSite = await put(admin, { greeting_en: 'x' }, { headers: { origin: 'http://evil.example' } });
  assert.equal(crossSite.status, 403);

  const r = await admin.get(PATH);
  assert.equal(r.status, 200);
  assert.equal(r.json.settings.greeting_en, 'Hello from config');
  assert.equal(r.json.settings.channel_key, 'default');
  assert.equal(r.json.settings.identity_secret_set, false);
  assert.ok(!('identity_secret' in r.json.settings));
});

test('invalid changes are refused whole', async () => {
  for (const body of [
    { color_primary: 'red' }, { channel_key: 'has space' }, { allowed_origins: ['ftp://x'] },
    { allowed_origins: 'http://a.example' }, { show_on: [''] }, { unknown_key: 1 },
    { identity_secret: 'short' }, { greeting_ja: 'x'.repeat(501) },
    { color_primary: '#000000', channel_key: '' },
  ]) {
    const r = await put(admin, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.code, 'bad_request');
  }
  const bad = await admin.request('PUT', PATH, { body: '{"a":', contentType: 'application/json' });
  assert.equal(bad.status, 400);
  const r = await admin.get(PATH);
  assert.equal(r.json.settings.color_primary, '#2563eb', 'nothing of a refused change applied');
});

test('a change applies to new visitors at once and survives a restart', async () => {
  const { welcome: before } = await hello(srv, 'default');
  const v = await Visitor.open(srv);
  await v.hello({ token: before.token });
  const ack = await v.say('m', 'before the restart');
  await v.close();

  const r = await put(admin, {
    channel_key: 'shop-2', greeting_en: 'Hi there', greeting_ja: 'ようこそ', color_primary: '#112233',
    hide_on: ['*/checkout*'], allowed_origins: ['https://shop.example.jp'],
    identity_secret: 'a-long-enough-identity-secret',
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.settings.channel_key, 'shop-2');
  assert.equal(r.json.settings.identity_secret_set, true);
  assert.equal(r.json.defaults.channel_key, 'default');

  const old = await Visitor.open(srv);
  old.send({ type: 'hello', channel: 'default' });
  assert.equal((await old.next()).code, 'bad_channel');
  const { welcome } = await hello(srv, 'shop-2');
  assert.equal(welcome.widget.greeting.en, 'Hi there');
  assert.equal(welcome.widget.greeting.ja, 'ようこそ');
  assert.equal(welcome.widget.color_primary, '#112233');
  assert.deepEqual(welcome.widget.hide_on, ['*/checkout*']);
  assert.ok(!JSON.stringify(welcome).includes('a-long-enough-identity-secret'));
  const site = await Visitor.open(srv, { origin: 'https://shop.example.jp' });
  await site.hello({ channel: 'shop-2' });
  await site.close();

  // null: back to the config's value
  const back = await put(admin, { greeting_en: null });
  assert.equal(back.json.settings.greeting_en, 'Hello from config');

  await srv.stop('SIGTERM', { cleanup: false });
  srv = await startServer({ dataDir, config: '[plugin.web]\ngreeting_en = Hello from config\n',
    adminLogin: srv.adminLogin, adminPassword: srv.adminPassword });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  const after = await admin.get(PATH);
  assert.equal(after.json.settings.channel_key, 'shop-2');
  assert.equal(after.json.settings.greeting_ja, 'ようこそ');
  // the token minted before the restart still opens the same history
  const again = await Visitor.open(srv);
  const h = await again.hello({ channel: 'shop-2', token: before.token });
  assert.deepEqual(h.history.map((m) => m.text), ['before the restart']);
  assert.equal(h.history[0].id, ack.message_id);
  await again.close();
});

async function hello(server, channel) {
  const v = await Visitor.open(server);
  const h = await v.hello({ channel });
  await v.close();
  return h;
}
