// The inbox's events WebSocket resumes after a server restart: it reconnects
// by itself with since=<last sequence seen>, the session survives, and what
// happens afterwards shows up live, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { startServer, makeTempDir } from '../integration/lib/server.mjs';
import { launch, loginInbox, eventually } from './lib/browser.mjs';
import { echoPluginDir, customerSays, echoAvailable } from './lib/echo.mjs';

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('after a server restart the inbox reconnects with since= and stays live', async () => {
  assert.ok(echoAvailable(), 'the SDK echo plugin is built');
  const plug = echoPluginDir();
  const dataDir = makeTempDir('tsunagu-e2e-resume-');
  const listen = `127.0.0.1:${await freePort()}`;
  const browser = await launch();
  let srv = await startServer({ config: plug.config, listen, dataDir });
  const creds = { adminLogin: srv.adminLogin, adminPassword: srv.adminPassword };
  try {
    await srv.waitForLog(/plugins: loaded echo/);
    const page = await (await browser.newContext()).newPage();
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${srv.url}/#/view/all`);
    await loginInbox(page, creds.adminLogin, creds.adminPassword);
    await page.waitForSelector('#live[data-state="live"]');
    const c1 = await customerSays(srv, 'resume-1', '再起動の前');
    await page.waitForSelector(`.conv-row[data-id="${c1}"]`);

    await srv.stop('SIGTERM', { cleanup: false });
    await page.waitForSelector('#live:not([data-state="live"])');
    srv = await startServer({ config: plug.config, listen, dataDir, ...creds });
    await srv.waitForLog(/plugins: loaded echo/);
    // written the moment the server is back, maybe before the inbox is:
    // the replay after since= brings it either way
    const c2 = await customerSays(srv, 'resume-2', '再起動の後');
    await page.waitForSelector(`.conv-row[data-id="${c2}"]`, { timeout: 20000 });
    await page.waitForSelector('#live[data-state="live"]');
    assert.equal(await page.isVisible('#login-screen'), false, 'the session survived');
    assert.ok(sockets.length >= 2, `reconnected (${sockets.join(', ')})`);
    assert.match(sockets.at(-1), /\/api\/v1\/events\?since=\d+$/);
    assert.doesNotMatch(sockets[0], /since=/);

    // the open conversation gets new messages live, each once
    await page.click(`.conv-row[data-id="${c2}"] .row-button`);
    await page.waitForSelector('#messages .msg[data-kind="customer"]');
    await customerSays(srv, 'resume-2', 'もう一通');
    await eventually(async () => (await page.$$eval('#messages .msg-body', (els) =>
      els.map((e) => e.textContent))).includes('もう一通'), 'the new message shows');
    const texts = await page.$$eval('#messages .msg[data-kind="customer"] .msg-body', (els) => els.map((e) => e.textContent));
    assert.deepEqual(texts, ['再起動の後', 'もう一通']);
    assert.equal(await page.$$eval(`.conv-row[data-id="${c2}"]`, (els) => els.length), 1);
  } finally {
    await browser.close();
    await srv.stop('SIGTERM', { cleanup: false });
    rmSync(dataDir, { recursive: true, force: true });
    plug.cleanup();
  }
});
