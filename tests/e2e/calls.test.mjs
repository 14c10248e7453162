// Phone calls in the inbox (TEL-4, TEL-10) in a real browser, with the
// calltest phone channel: the waiting-calls page lists a call (caller as
// text), "Answer" rings the operator's phone (RING to the channel), and
// once the channel reports it answered the conversation's row shows the
// live call state "talking"; no script error and no CSP violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/lib/server.mjs';
import { ApiClient } from '../integration/lib/api.mjs';
import { callsPluginDir, dialIn, report, channelEvents } from '../integration/lib/calls.mjs';
import { launch, loginInbox, eventually } from './lib/browser.mjs';

let plugins, srv, admin, browser;

before(async () => {
  plugins = callsPluginDir();
  srv = await startServer({ config: plugins.config('[routing]\nring_timeout = 10m\n') });
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  if (plugins) plugins.cleanup();
});

test('answer a waiting call from the list; its row shows the call live', async () => {
  const op = await admin.createStaff('op-tel', 'operator');
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.errors.push(m.text());
  });
  // op-tel goes away first so that the call waits instead of ringing them
  await page.goto(`${srv.url}/#/calls`);
  await loginInbox(page, 'op-tel', op.password);
  await page.waitForSelector('#calls-pane', { state: 'visible' });
  const self = new ApiClient(srv.url);
  assert.equal((await self.login('op-tel', op.password)).status, 200);
  assert.equal((await self.request('PUT', '/api/v1/me/status', { json: { status: 'away' } })).status, 200);

  const c = await dialIn(srv, '<b>0312345678</b>', 'e2e-1');
  const caller = await eventually(async () => {
    const t = await page.$$eval(`#calls-list [data-call="${c.call}"] .call-caller`, (els) => els.map((e) => e.textContent));
    return t.length ? t[0] : null;
  }, 'the waiting call listed');
  assert.equal(caller, '<b>0312345678</b>', 'the caller shown as text');
  assert.equal(await page.$$eval('#calls-list b', (els) => els.length), 0);

  await page.click(`#calls-list [data-call="${c.call}"] [data-action="answer"]`);
  await eventually(async () => (await channelEvents(srv))
    .some((e) => e.kind === 'ring' && e.call === c.call && e.login === 'op-tel'), 'RING to op-tel');
  assert.equal(await report(srv, 'answered', { call: c.call, login: 'op-tel' }), 0);

  await page.goto(`${srv.url}/#/view/all`);
  await eventually(async () => (await page.$$eval(`.conv-row[data-id="${c.conversation}"] .call-state`,
    (els) => els.map((e) => e.dataset.call)))[0] === 'talking', 'the talking badge');
  assert.equal(await report(srv, 'ended', { call: c.call }), 0);
  await eventually(async () => (await page.$$eval(`.conv-row[data-id="${c.conversation}"] .call-state`,
    (els) => els.map((e) => e.dataset.call)))[0] === 'ended', 'the ended badge, live');
  assert.deepEqual(page.errors, []);
  await ctx.close();
});
