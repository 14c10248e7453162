// The rules page of the inbox in a real browser: only admins see it; an
// admin introduces an error and sees its line marked, fixes it, dry-runs the
// draft against a real conversation (echo channel) and sees the matched rule
// and the operator it would pick, then disables a rule and sees the file
// change on disk and in the editor. Rule names are shown as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeTempDir } from '../integration/lib/server.mjs';
import { ApiClient } from '../integration/lib/api.mjs';
import { launch, loginInbox, eventually } from './lib/browser.mjs';
import { echoPluginDir, customerSays, echoAvailable } from './lib/echo.mjs';

let srv, plug, admin, browser, rulesDir, tmp;

const ROUTE = `route "<b>never</b>" {
  when = function(c) return false end,
  to = nobody(),
}

route "echo to op1" {
  when = function(c) return c.channel == "echo" end,
  to = operators { "op1" },
}

route "everyone" {
  to = all_available(),
}
`;

before(async () => {
  assert.ok(echoAvailable(), 'the SDK echo plugin is built (build/sdk/echo.so)');
  plug = echoPluginDir();
  tmp = makeTempDir('tsunagu-e2e-rules-');
  rulesDir = join(tmp, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'route.lua'), ROUTE);
  srv = await startServer({ config: `${plug.config}\n[rules]\ndir = ${rulesDir}\n` });
  await srv.waitForLog(/plugins: loaded echo/);
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  if (plug) plug.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function pageAs(login, password) {
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${srv.url}/`);
  await loginInbox(page, login, password);
  return page;
}

const gutterErrors = (page) => page.$$eval('#rules-gutter .gutter-line.error', (els) => els.map((e) => Number(e.dataset.line)));

test('operators see no rules page', async () => {
  const op = await admin.createStaff('op1', 'operator');
  const page = await pageAs('op1', op.password); // logging in makes op1 available
  assert.equal(await page.isVisible('#rules-link'), false);
  await page.evaluate(() => { location.hash = '#/rules'; });
  await page.waitForTimeout(300);
  assert.equal(await page.isVisible('#rules-page'), false);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('admin: error marked on its line, fixed, dry run, disable a rule', async () => {
  const conv = await customerSays(srv, 'carol', 'hello');
  const page = await pageAs(srv.adminLogin, srv.adminPassword);
  assert.equal(await page.isVisible('#rules-link'), true);
  await page.click('#rules-link');
  await page.waitForSelector('#rules-page:not([hidden])');
  await eventually(async () => (await page.$$('#rules-list .rule-item')).length === 3, 'three rules listed');
  // a rule name is text, never HTML
  assert.equal(await page.textContent('#rules-list .rule-item:first-child .rule-name'), '<b>never</b>');
  assert.equal(await page.$('#rules-list b'), null);
  await eventually(async () => (await page.inputValue('#rules-text')) === ROUTE, 'the file in the editor');

  // an error on line 8
  const broken = ROUTE.replace('to = operators { "op1" },', 'to = operators { "op1" },\n  method = "fastest",');
  await page.fill('#rules-text', broken);
  await page.click('#rules-validate');
  await eventually(async () => (await gutterErrors(page)).includes(6), 'line 6 (the declaration) marked');
  assert.match(await page.textContent('#rules-errors'), /route\.lua:6.*unknown method 'fastest'/);
  assert.match(await page.getAttribute('#rules-gutter .gutter-line.error', 'title'), /fastest/);
  // nothing was written
  assert.equal(readFileSync(join(rulesDir, 'route.lua'), 'utf8'), ROUTE);

  // fixed
  await page.fill('#rules-text', broken.replace('"fastest"', '"fewest_handled"'));
  await page.click('#rules-validate');
  await eventually(async () => (await page.getAttribute('#rules-status', 'data-kind')) === 'ok', 'valid');
  assert.deepEqual(await gutterErrors(page), []);

  // Tab indents inside the editor (the composer's Enter rules do not apply)
  await page.focus('#rules-text');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.ok((await page.inputValue('#rules-text')).endsWith('}\n  \n'));

  // dry run of the draft: the conversation, the matched rule, the pick
  await page.click('#rules-dry-run');
  const row = `#rules-dry-body tr[data-conversation="${conv}"]`;
  await page.waitForSelector(row);
  assert.match(await page.textContent(`${row} .dry-rule`), /echo to op1 \(route\.lua:6\)/);
  assert.match(await page.textContent(`${row} .dry-pick`), /op1/);
  assert.match(await page.textContent(`${row} td:nth-child(4)`), /fewest_handled/);
  // a dry run changes nothing on disk
  assert.equal(readFileSync(join(rulesDir, 'route.lua'), 'utf8'), ROUTE);

  // disable "everyone": the file changes, and so does the editor
  await page.reload();
  await page.waitForSelector('#rules-page:not([hidden])');
  await eventually(async () => (await page.inputValue('#rules-text')) === ROUTE, 'the file again');
  const item = '#rules-list .rule-item[data-name="everyone"]';
  await page.click(`${item} input[type=checkbox]`);
  await eventually(() => readFileSync(join(rulesDir, 'route.lua'), 'utf8')
    .includes('route "everyone" {\n  enabled = false,\n'), 'enabled = false in the file');
  await eventually(async () => (await page.inputValue('#rules-text')).includes('enabled = false'), 'the editor shows it');
  await page.waitForSelector(`${item}.rule-disabled`);
  const ev = await admin.get('/api/v1/events?after=0&limit=1000');
  assert.ok(ev.json.events.some((e) => e.type === 'rules.changed' && e.data.action === 'disable' &&
    e.data.rule === 'everyone'));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
