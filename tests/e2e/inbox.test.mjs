// The operator inbox in a real browser (Chromium via playwright-core),
// against a real tsunagud. Customers come in through the SDK's echo channel
// plugin, so this file does not depend on the web widget (web_chat.test.mjs
// covers the widget end to end). The last tests cover the assignment
// engine's parts: the status menu with sub-types, do-not-disturb, the staff
// page, accepting what the router assigned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/lib/server.mjs';
import { ApiClient } from '../integration/lib/api.mjs';
import { launch, loginInbox, eventually } from './lib/browser.mjs';
import { echoPluginDir, customerSays, echoAvailable } from './lib/echo.mjs';

let srv, plug, admin, browser;

before(async () => {
  assert.ok(echoAvailable(), 'the SDK echo plugin is built (build/sdk/echo.so)');
  plug = echoPluginDir();
  srv = await startServer({ config: plug.config });
  await srv.waitForLog(/plugins: loaded echo/);
  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  if (plug) plug.cleanup();
});

async function newStaff(login, role, capacity) {
  const s = await admin.createStaff(login, role);
  if (capacity !== undefined) {
    const r = await admin.patch(`/api/v1/staff/${s.id}`, { chat_capacity: capacity });
    assert.equal(r.status, 200, `chat_capacity: ${r.text}`);
  }
  return s;
}

// A page in a context of its own (own cookies) logged in as login/password.
async function inboxPage(login, password, { hash = '', locale } = {}) {
  const ctx = await browser.newContext({ locale });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  await page.goto(`${srv.url}/${hash}`);
  await loginInbox(page, login, password);
  return page;
}

async function messagesOf(id) {
  const r = await admin.get(`/api/v1/conversations/${id}/messages`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}

test('strict CSP: the inbox loads with no inline script or style and no CSP violation', async () => {
  const page = await (await browser.newContext()).newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  const res = await page.goto(`${srv.url}/`);
  assert.match(res.headers()['content-security-policy'], /default-src 'self'/);
  await page.waitForSelector('#login-screen:not([hidden])');
  const inline = await page.evaluate(() => ({
    scripts: [...document.scripts].filter((s) => !s.src).length,
    styles: document.querySelectorAll('style, [style]').length,
  }));
  assert.deepEqual(inline, { scripts: 0, styles: 0 });
  assert.deepEqual(violations, []);
  await page.context().close();
});

test('login: a wrong password is refused with a message; the right one shows the inbox', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${srv.url}/`);
  await page.fill('#login input[name=login]', srv.adminLogin);
  await page.fill('#login input[name=password]', 'wrong-password-123');
  await page.click('#login button[type=submit]');
  await eventually(async () => (await page.textContent('#login-error')).length > 0, 'login error shown');
  assert.equal(await page.isVisible('#app'), false);
  await loginInbox(page, srv.adminLogin, srv.adminPassword);
  assert.ok((await page.textContent('#me-name')).length > 0);
  await page.click('#logout');
  await page.waitForSelector('#login-screen:not([hidden])');
  assert.equal((await page.evaluate(() => fetch('/api/v1/auth/me').then((r) => r.status))), 401);
  await page.context().close();
});

test('a new customer message appears in the list live, with a ticking wait time', async () => {
  const page = await inboxPage(srv.adminLogin, srv.adminPassword, { hash: '#/view/all' });
  await page.waitForSelector('.view-link[data-view="all"].active');
  const id = await customerSays(srv, 'live-visitor', 'ライブ一覧のテスト');
  const row = `.conv-row[data-id="${id}"]`;
  await page.waitForSelector(row, { timeout: 10000 });
  assert.equal(await page.textContent(`${row} .chip`), 'echo');
  const first = await page.textContent(`${row} .elapsed`);
  await eventually(async () => (await page.textContent(`${row} .elapsed`)) !== first,
    'the time since the last customer message ticks', 12000);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('conversation: join before replying, Enter sends, notes look different and stay internal', async () => {
  const id = await customerSays(srv, 'join-visitor', '注文の件で質問です');
  const page = await inboxPage(srv.adminLogin, srv.adminPassword, { hash: '#/view/all' });
  await page.click(`.conv-row[data-id="${id}"] .row-button`);
  await page.waitForSelector('#conv-view:not([hidden])');
  await eventually(() => page.evaluate(() => location.hash), 'hash');
  assert.equal(await page.evaluate(() => location.hash), `#/conversations/${id}`);
  await page.waitForSelector('#messages .msg[data-kind="customer"]');
  assert.equal(await page.textContent('#messages .msg[data-kind="customer"] .msg-body'), '注文の件で質問です');

  // CONV-2: the reply box is replaced by the join bar until one joins
  assert.equal(await page.isVisible('#join-bar'), true);
  assert.equal(await page.isVisible('#reply-text'), false);
  assert.equal(await page.textContent('#join'), '参加する');
  await page.click('#join');
  await page.waitForSelector('#reply-text', { state: 'visible' });
  assert.equal(await page.isVisible('#join-bar'), false);

  // Enter sends; the message is stored as an operator message
  await page.fill('#reply-text', 'お待たせしました');
  await page.press('#reply-text', 'Enter');
  await page.waitForSelector('#messages .msg[data-kind="operator"]');
  assert.equal(await page.inputValue('#reply-text'), '');
  assert.ok((await messagesOf(id)).some((m) => m.kind === 'operator' && m.text === 'お待たせしました'));

  // Shift+Enter is a new line, not a send
  await page.fill('#reply-text', '一行目');
  await page.press('#reply-text', 'Shift+Enter');
  await page.type('#reply-text', '二行目');
  assert.equal(await page.inputValue('#reply-text'), '一行目\n二行目');
  await page.fill('#reply-text', '');

  // CONV-3: note mode sends kind "note", shown with a yellow bar and a label
  await page.click('.composer-tabs .tab[data-mode="note"]');
  assert.equal(await page.getAttribute('#composer', 'data-mode'), 'note');
  await page.fill('#reply-text', '社内だけの情報');
  await page.press('#reply-text', 'Enter');
  await page.waitForSelector('#messages .msg[data-kind="note"]');
  const note = await page.evaluate(() => {
    const m = document.querySelector('#messages .msg[data-kind="note"]');
    const body = m.querySelector('.msg-body');
    const cs = getComputedStyle(body);
    const op = getComputedStyle(document.querySelector('#messages .msg[data-kind="operator"] .msg-body'));
    return {
      label: m.querySelector('.note-label').textContent,
      text: body.textContent,
      bar: cs.borderLeftColor, barWidth: parseFloat(cs.borderLeftWidth),
      bg: cs.backgroundColor, operatorBg: op.backgroundColor,
    };
  });
  assert.equal(note.label, '社内メモ');
  assert.equal(note.text, '社内だけの情報');
  assert.equal(note.bar, 'rgb(242, 194, 0)');
  assert.ok(note.barWidth >= 4, `bar width ${note.barWidth}`);
  assert.notEqual(note.bg, note.operatorBg);
  const stored = (await messagesOf(id)).filter((m) => m.text === '社内だけの情報');
  assert.deepEqual(stored.map((m) => m.kind), ['note']);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('IME: an Enter that confirms a conversion never sends', async () => {
  const id = await customerSays(srv, 'ime-visitor', 'IMEのテスト');
  const page = await inboxPage(srv.adminLogin, srv.adminPassword, { hash: `#/conversations/${id}` });
  await page.waitForSelector('#join', { state: 'visible' });
  await page.click('#join');
  await page.waitForSelector('#reply-text', { state: 'visible' });
  const before = (await messagesOf(id)).length;
  await page.fill('#reply-text', 'へんかんちゅう');
  const prevented = await page.evaluate(() => {
    const ta = document.getElementById('reply-text');
    const a = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', keyCode: 13, isComposing: true, bubbles: true, cancelable: true });
    const b = new KeyboardEvent('keydown', { key: 'Process', keyCode: 229, bubbles: true, cancelable: true });
    const c = new KeyboardEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true, cancelable: true });
    ta.dispatchEvent(a); ta.dispatchEvent(b); ta.dispatchEvent(c);
    return [a.defaultPrevented, b.defaultPrevented, c.defaultPrevented];
  });
  assert.deepEqual(prevented, [false, false, false], 'the IME keeps its Enter');
  await new Promise((r) => setTimeout(r, 700));
  assert.equal((await messagesOf(id)).length, before, 'nothing was sent');
  assert.equal(await page.inputValue('#reply-text'), 'へんかんちゅう');
  // the conversion confirmed, a plain Enter sends
  await page.press('#reply-text', 'Enter');
  await eventually(async () => (await messagesOf(id)).some((m) => m.text === 'へんかんちゅう'), 'sent after the IME');
  await page.context().close();
});

test('customer text is shown as text, never as HTML (list and conversation)', async () => {
  const evil = '<img src=x onerror=window.__xss=1><b>太字</b>';
  const id = await customerSays(srv, '<script>window.__xss=2</script>', evil);
  const page = await inboxPage(srv.adminLogin, srv.adminPassword, { hash: `#/conversations/${id}` });
  await page.waitForSelector('#messages .msg[data-kind="customer"]');
  assert.equal(await page.textContent('#messages .msg[data-kind="customer"] .msg-body'), evil);
  await page.click('.view-link[data-view="all"]');
  await page.waitForSelector(`.conv-row[data-id="${id}"]`);
  const r = await page.evaluate(() => ({
    xss: window.__xss,
    imgs: document.querySelectorAll('#app img, #app b, #app script').length,
  }));
  assert.deepEqual(r, { xss: undefined, imgs: 0 });
  await page.context().close();
});

test('a conversation link opens the conversation after the login (CONV-6)', async () => {
  const id = await customerSays(srv, 'link-visitor', 'リンクで開く');
  const other = await browser.newContext({ locale: 'en-US' });
  try {
    const page = await other.newPage();
    await page.goto(`${srv.url}/#/conversations/${id}`);
    await page.waitForSelector('#login-screen:not([hidden])');
    await loginInbox(page, srv.adminLogin, srv.adminPassword);
    await page.waitForSelector('#messages .msg[data-kind="customer"]');
    assert.equal(await page.textContent('#messages .msg[data-kind="customer"] .msg-body'), 'リンクで開く');
    assert.equal(await page.evaluate(() => location.hash), `#/conversations/${id}`);
    // English from the browser language, Japanese with the switch
    assert.equal(await page.textContent('#join'), 'Join');
    await page.selectOption('#lang', 'ja');
    assert.equal(await page.textContent('#join'), '参加する');
    assert.equal(await page.textContent('.view-link[data-view="mine"] [data-i18n]'), '接客中');
  } finally {
    await other.close();
  }
});

test('close, reopen and snooze from the conversation view', async () => {
  const id = await customerSays(srv, 'close-visitor', '完了のテスト');
  const page = await inboxPage(srv.adminLogin, srv.adminPassword, { hash: `#/conversations/${id}` });
  await page.waitForSelector('#join', { state: 'visible' });
  await page.click('#join');
  const state = async () => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation.state;
  await page.click('#close');
  await eventually(async () => (await state()) === 'closed', 'closed');
  await page.waitForSelector('#conv-state.state-closed');
  assert.equal(await page.isVisible('#reopen'), true);
  await page.click('#reopen');
  await eventually(async () => (await state()) !== 'closed', 'reopened');
  await page.click('#snooze');
  await page.click('#snooze-menu [data-snooze="1h"]');
  await eventually(async () => (await state()) === 'snoozed', 'snoozed');
  await page.click('.view-link[data-view="snoozed"]');
  await page.waitForSelector(`.conv-row[data-id="${id}"]`);
  await page.context().close();
});

test('own status: the selector in the header sets available / away', async () => {
  const op = await newStaff('status-op', 'operator', 0);
  const page = await inboxPage(op.login, op.password);
  await page.waitForSelector('#my-status', { state: 'visible' });
  assert.equal(await page.inputValue('#my-status'), 'available', 'login makes one available (OP-2)');
  await page.selectOption('#my-status', 'away');
  await eventually(async () => (await page.evaluate(() =>
    fetch('/api/v1/me/status').then((r) => r.json()))).status === 'away', 'status away stored');
  await page.selectOption('#my-status', 'available');
  await eventually(async () => (await page.evaluate(() =>
    fetch('/api/v1/me/status').then((r) => r.json()))).status === 'available', 'available again');
  await page.context().close();
});

test('a supervisor assigns by hand with the picker; the operator sees it in "mine" live', async () => {
  // a clean slate: nothing left waiting from earlier tests for the router
  // to hand to the operator as soon as they log in
  const open = (await admin.get('/api/v1/conversations?view=all&limit=500')).json.conversations
    .filter((c) => c.state !== 'closed');
  for (const c of open) assert.equal((await admin.post(`/api/v1/conversations/${c.id}/close`, {})).status, 200);
  const sup = await newStaff('e2e-sup', 'supervisor');
  const op = await newStaff('e2e-op', 'operator', 1);
  const opPage = await inboxPage(op.login, op.password, { hash: '#/view/mine' });
  try {
    // the operator steps away: nothing new goes to them automatically
    await opPage.selectOption('#my-status', 'away');
    await eventually(async () => (await opPage.evaluate(() =>
      fetch('/api/v1/me/status').then((r) => r.json()))).status === 'away', 'away');
    const id = await customerSays(srv, 'assign-visitor', '担当者を割り当ててください');
    const page = await inboxPage(sup.login, sup.password, { hash: `#/conversations/${id}` });
    await page.waitForSelector('#assign', { state: 'visible' });
    await page.click('#assign');
    const item = `#assign-menu .picker-item[data-staff="${op.id}"]`;
    await page.waitForSelector(item);
    assert.equal(await page.getAttribute(item, 'data-status'), 'away');
    assert.match(await page.textContent(`${item} .picker-cap`), /^0\/1/);
    await page.click(item);
    await eventually(async () => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation
      .assignee?.id === op.id || (await admin.get(`/api/v1/conversations/${id}`)).json.conversation.assignee === op.id,
    'assigned to the operator');
    await eventually(async () => (await page.textContent('#conv-assignee')) === 'e2e-op', 'assignee shown');
    await opPage.waitForSelector(`.conv-row[data-id="${id}"]`, { timeout: 10000 });

    // beyond capacity: a supervisor's decision, allowed with a warning
    const id2 = await customerSays(srv, 'assign-visitor-2', 'もう一件');
    await page.goto(`${srv.url}/#/conversations/${id2}`);
    await page.waitForSelector('#assign', { state: 'visible' });
    await page.click('#assign');
    await page.waitForSelector(item);
    assert.match(await page.textContent(`${item} .picker-cap`), /^1\/1/);
    assert.equal(await page.getAttribute(item, 'class'), 'picker-item full');
    await page.click(item);
    await eventually(async () => /上限/.test(await page.textContent('#toast')), 'over-capacity warning');
    await opPage.waitForSelector(`.conv-row[data-id="${id2}"]`, { timeout: 10000 });
    // an operator has no assign button
    await opPage.click(`.conv-row[data-id="${id}"] .row-button`);
    await opPage.waitForSelector('#conv-view:not([hidden])');
    assert.equal(await opPage.isVisible('#assign'), false);
    await page.context().close();
  } finally {
    await opPage.context().close();
  }
});

// ---- the assignment engine: status menu with sub-types, do-not-disturb,
// the staff page, accepting what the router assigned -----------------------

const myStatus = (page) => page.evaluate(() => fetch('/api/v1/me/status').then((r) => r.json()));

test('status menu with sub-types, and do-not-disturb', async () => {
  const training = await admin.post('/api/v1/status/subtypes', { kind: 'away', name: '研修' });
  assert.equal(training.status, 201, training.text);
  const op = await admin.createStaff('menu-op', 'operator');
  const page = await inboxPage(op.login, op.password, { locale: 'ja-JP' });
  await page.waitForSelector('#my-status', { state: 'visible' });
  const groups = await page.$$eval('#my-status optgroup', (gs) => gs.map((g) =>
    [g.label, [...g.querySelectorAll('option')].map((o) => o.textContent)]));
  assert.deepEqual(groups, [['オンライン', ['オンライン']], ['離席中', ['離席中', '研修']],
    ['オフライン', ['オフライン']]]);
  await page.selectOption('#my-status', `away:${training.json.subtype.id}`);
  await eventually(async () => (await myStatus(page)).subtype === '研修', 'away (研修) stored');
  assert.equal((await myStatus(page)).status, 'away');
  // a supervisor's change shows live in the menu
  const r = await admin.request('PUT', `/api/v1/staff/${op.id}/status`, { json: { status: 'available' } });
  assert.equal(r.status, 200, r.text);
  await eventually(async () => (await page.inputValue('#my-status')) === 'available', 'menu follows');

  assert.equal(await page.getAttribute('#dnd', 'aria-pressed'), 'false');
  await page.click('#dnd');
  await eventually(async () => (await page.getAttribute('#dnd', 'aria-pressed')) === 'true', 'dnd on');
  assert.equal((await myStatus(page)).dnd, true);
  assert.equal((await myStatus(page)).status, 'available', 'do-not-disturb leaves the status alone');
  assert.equal(await page.isVisible('#admin-link'), false, 'operators have no staff page');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the staff page: a supervisor sets inquiry types and both capacities', async () => {
  const sup = await admin.createStaff('page-sup', 'supervisor');
  const op = await admin.createStaff('page-op', 'operator');
  const page = await inboxPage(sup.login, sup.password, { locale: 'ja-JP' });
  await page.click('#admin-link');
  const row = page.locator('#admin-staff tr', { hasText: 'page-op' });
  await row.waitFor();
  await row.locator('select').selectOption('phone');
  await row.locator('[data-field="chat"]').fill('5');
  await row.locator('[data-field="call"]').fill('2');
  await row.locator('input[type="checkbox"]').check();
  await row.locator('button').click();
  await eventually(async () => {
    const s = (await admin.get(`/api/v1/staff/${op.id}`)).json.staff;
    return s.inquiry_types === 'phone' && s.chat_capacity === 5 && s.call_capacity === 2 &&
      s.chats_during_call === true;
  }, 'settings stored');
  // sub-types are for admins: a supervisor does not see that list
  assert.equal(await page.isVisible('#admin-subtypes-section'), false);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a conversation the router assigns is accepted from the join bar', async () => {
  // nobody else available: the operators of the earlier tests go offline
  const all = (await admin.get('/api/v1/status')).json.staff;
  for (const s of all.filter((x) => x.status === 'available'))
    assert.equal((await admin.request('PUT', `/api/v1/staff/${s.id}/status`,
      { json: { status: 'offline' } })).status, 200);
  const op = await admin.createStaff('accept-op', 'operator');
  const page = await inboxPage(op.login, op.password, { hash: '#/view/mine', locale: 'ja-JP' });
  await page.waitForSelector('#my-status', { state: 'visible' });
  const id = await customerSays(srv, 'accept-visitor', 'お願いします');
  await page.waitForSelector(`.conv-row[data-id="${id}"]`);
  await page.click(`.conv-row[data-id="${id}"] .row-button`);
  await page.waitForSelector('#join-bar:not([hidden])');
  assert.equal(await page.textContent('#join'), '受け付ける');
  await page.click('#join');
  await page.waitForSelector('#reply-text', { state: 'visible' });
  const joined = await admin.get(`/api/v1/conversations/${id}`);
  assert.equal(joined.json.conversation.joined, false, 'the admin did not join');
  const ev = (await admin.get('/api/v1/events?after=0&limit=1000')).json.events
    .filter((e) => e.type === 'conversation.joined' && e.data.conversation === id);
  assert.equal(ev.length, 1);
  assert.equal(ev[0].actor, op.id);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
