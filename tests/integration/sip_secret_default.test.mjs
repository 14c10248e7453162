// Where the SIP plugin keeps the key of outbound trunk passwords (issue 5,
// docs/sip.md "secret_file"): by default in its own data directory
// (<data_dir>/plugins/sip/secret.key, ABI 1.3 data_dir()), made on the first
// start with a random key the server alone reads, and kept across restarts
// so that stored passwords stay usable; `secret_file = ""` turns outbound
// passwords off and a PUT with one is refused, saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { makeTempDir } from './lib/server.mjs';
import { startSipServer } from './lib/sip.mjs';

const TRUNKS = '/plugins/sip/admin/trunks';
const trunk = (password) => [{
  name: 'carrier', allow: ['127.0.0.1'], address: '127.0.0.1:5060', outbound: true,
  ...(password ? { outbound_username: 'acct-1', outbound_password: password } : {}),
}];

async function adminOf(srv) {
  const admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  return admin;
}

test('the default key lives in the plugin data directory and survives a restart', async () => {
  const dir = makeTempDir('tsunagu-sipkey-');
  const keyPath = join(dir, 'plugins', 'sip', 'secret.key');
  try {
    let srv = await startSipServer({ dataDir: dir });
    let admin = await adminOf(srv);
    const put = await admin.request('PUT', TRUNKS, { json: trunk('s3cret pass') });
    assert.equal(put.status, 200, put.text);
    assert.equal((await admin.get(TRUNKS)).json.trunks[0].outbound_auth, true);
    assert.equal(statSync(join(dir, 'plugins')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'plugins', 'sip')).mode & 0o777, 0o700);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const key = readFileSync(keyPath);
    assert.ok(key.length > 0);
    await stopCleanly(srv, assert);

    // the same key after a restart: nothing logged against it, the stored
    // password still counts
    const { adminLogin, adminPassword } = srv;
    srv = await startSipServer({ dataDir: dir, adminLogin, adminPassword });
    admin = await adminOf(srv);
    assert.deepEqual(readFileSync(keyPath), key);
    assert.equal((await admin.get(TRUNKS)).json.trunks[0].outbound_auth, true);
    assert.doesNotMatch(srv.logs(), /secret_file/);
    await stopCleanly(srv, assert);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secret_file = "" refuses outbound passwords, and makes no key', async () => {
  const dir = makeTempDir('tsunagu-sipnokey-');
  try {
    const srv = await startSipServer({ dataDir: dir, sipConfig: 'secret_file = ""\n' });
    const admin = await adminOf(srv);
    const put = await admin.request('PUT', TRUNKS, { json: trunk('s3cret pass') });
    assert.equal(put.status, 400);
    assert.match(put.json.error.message, /needs a key to encrypt it/);
    // a trunk without an outbound password is fine
    assert.equal((await admin.request('PUT', TRUNKS, { json: trunk(null) })).status, 200);
    assert.throws(() => statSync(join(dir, 'plugins', 'sip', 'secret.key')), { code: 'ENOENT' });
    await stopCleanly(srv, assert);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
