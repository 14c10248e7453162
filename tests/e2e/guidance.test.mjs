// The voice guidance page (#/guidance, TEL-5) in a real browser: an admin
// uploads a WAV made here, sees its duration listed and can play its
// preview under the inbox's CSP; assigns it as the welcome of the default
// set and of a line added in the table, reloads and finds it still
// assigned; a file that is not audio shows the server's reason and stores
// nothing; a guidance in use cannot be deleted (the "in use" message).
// Operators do not see the page. No script error, no CSP violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sineWav } from '../integration/lib/wav.mjs';
import { serverAndBrowser, inboxPage, eventually } from './lib/browser.mjs';

const fx = serverAndBrowser();

const pageAs = (login, password, hash) => inboxPage(fx.browser, `${fx.srv.url}/${hash}`, login, password);

const rowOf = (page, name) => page.$$eval('#guidance-list tr', (rows, n) => rows
  .filter((r) => r.querySelector('.guidance-name').textContent === n)
  .map((r) => ({
    id: r.dataset.guidance,
    duration: r.querySelector('.guidance-duration').textContent,
    size: r.querySelector('.guidance-size').textContent,
  }))[0] || null, name);

const setCell = (page, line, kind) => page.$eval(
  `#guidance-sets tr[data-line="${line}"] select[data-kind="${kind}"]`, (s) => s.value);

test('upload, preview, assign as welcome of the default set; it stays after a reload', async () => {
  const { ctx, page, res } = await pageAs(fx.srv.adminLogin, fx.srv.adminPassword, '#/guidance');
  assert.match(res.headers()['content-security-policy'], /media-src 'self'/);
  await page.waitForSelector('#guidance-pane', { state: 'visible' });
  assert.equal(await page.isVisible('#guidance-link'), true);

  await page.fill('#guidance-name', '<i>welcome</i>');
  await page.setInputFiles('#guidance-file', { name: 'welcome.wav', mimeType: 'audio/wav', buffer: sineWav(2) });
  await page.click('#guidance-upload button[type="submit"]');
  const row = await eventually(() => rowOf(page, '<i>welcome</i>'), 'the uploaded guidance listed');
  assert.equal(row.duration, '0:02');
  const stored = (await fx.admin.get('/api/v1/guidance')).json.guidance;
  assert.deepEqual(stored.map((g) => [String(g.id), g.name]), [[row.id, '<i>welcome</i>']]);
  // 2 s mono 48 kHz 16-bit: 192,000 bytes of samples and the header
  assert.match(row.size, /^18\d\.\d KB$/);
  assert.equal(await page.$$eval('#guidance-list i', (els) => els.length), 0, 'the name shown as text');

  // the preview plays the normalized file (the CSP lets the inbox load it)
  const seconds = await page.$eval(`#guidance-list tr[data-guidance="${row.id}"] audio`, (a) => new Promise((resolve) => {
    a.addEventListener('loadedmetadata', () => resolve(a.duration), { once: true });
    a.addEventListener('error', () => resolve(-1), { once: true });
    a.preload = 'auto';
    a.load();
  }));
  assert.ok(Math.abs(seconds - 2) < 0.05, `preview duration ${seconds}`);

  // welcome of the default set, and busy of a line added in the table
  assert.equal(await setCell(page, '', 'welcome'), '');
  await page.selectOption('#guidance-sets tr[data-line=""] select[data-kind="welcome"]', row.id);
  await page.fill('#guidance-new-line', '0312345678');
  await page.click('#guidance-add-line button[type="submit"]');
  await page.selectOption('#guidance-sets tr[data-line="0312345678"] select[data-kind="busy"]', row.id);
  await page.click('#guidance-save-sets');
  const id = Number(row.id);
  await eventually(async () => {
    const s = (await fx.admin.get('/api/v1/guidance/sets')).json.sets;
    return s[''] && s[''].welcome === id && s['0312345678'] && s['0312345678'].busy === id;
  }, 'the sets stored');
  assert.deepEqual((await fx.admin.get('/api/v1/guidance/sets')).json.sets,
    { '': { welcome: id }, '0312345678': { busy: id } });

  await page.reload();
  await page.waitForSelector('#guidance-sets tr[data-line="0312345678"]');
  assert.equal(await setCell(page, '', 'welcome'), row.id);
  assert.equal(await setCell(page, '', 'queue'), '');
  assert.equal(await setCell(page, '0312345678', 'busy'), row.id);
  assert.equal(await page.$eval('#guidance-sets tr[data-line=""] th', (e) => e.textContent), 'default');

  // in use: not deleted, the page says why
  await page.click(`#guidance-list tr[data-guidance="${row.id}"] [data-action="delete"]`);
  const toast = await eventually(async () => {
    const t = await page.$eval('#toast', (e) => (e.hidden ? '' : e.textContent));
    return t.includes('used by a guidance set') ? t : null;
  }, 'the in-use message');
  assert.match(toast, /<i>welcome<\/i>/);
  assert.equal((await fx.admin.get('/api/v1/guidance')).json.guidance.length, 1);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('a file that is not audio shows the server\'s reason and stores nothing', async () => {
  const garbage = Buffer.from('this is not audio at all\n'.repeat(40));
  // what the server answers for it (the page must show that, not a guess)
  const direct = await fx.admin.request('POST', '/api/v1/guidance?name=probe',
    { body: garbage, contentType: 'application/octet-stream' });
  assert.equal(direct.status, 415);
  const reason = direct.json.error.message;
  assert.ok(reason.length > 0);

  const { ctx, page } = await pageAs(fx.srv.adminLogin, fx.srv.adminPassword, '#/guidance');
  await page.waitForSelector('#guidance-pane', { state: 'visible' });
  const before = (await fx.admin.get('/api/v1/guidance')).json.guidance.length;
  await page.fill('#guidance-name', 'broken');
  await page.setInputFiles('#guidance-file', { name: 'broken.wav', mimeType: 'audio/wav', buffer: garbage });
  await page.click('#guidance-upload button[type="submit"]');
  const shown = await eventually(async () => page.$eval('#guidance-upload-status',
    (e) => (e.dataset.kind === 'error' ? e.textContent : null)), 'the refusal shown');
  assert.ok(shown.includes(reason), `"${shown}" shows "${reason}"`);
  assert.equal((await fx.admin.get('/api/v1/guidance')).json.guidance.length, before);
  assert.equal(await rowOf(page, 'broken'), null);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('operators have no guidance page', async () => {
  const op = await fx.admin.createStaff('op-guid', 'operator');
  const { ctx, page } = await pageAs('op-guid', op.password, '#/guidance');
  assert.equal(await page.isVisible('#guidance-link'), false);
  assert.equal(await page.isVisible('#guidance-pane'), false);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});
