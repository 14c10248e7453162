// Issue 3, item 4: web chat end to end in a real browser. A demo site on
// another origin embeds the widget with its one script tag; a visitor
// writes, an operator answers from the inbox in a second browser context.
// Checked: live arrival in "mine" through capacity routing, join (CONV-2),
// the reply reaching the visitor, internal notes (CONV-3) that reach
// neither the widget's DOM nor any frame sent to the visitor, history kept
// across a reload, markup shown as text on both sides, and the IME Enter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/lib/server.mjs';
import { ApiClient } from '../integration/lib/api.mjs';
import { launch, loginInbox, eventually, servePages } from './lib/browser.mjs';

const NOTE = '社内メモ:VIPのお客様、丁寧に';
const XSS = '<img src=x onerror=window.__xss=1>';

let srv, site, admin, browser, operator;
let visitor, inbox;           // pages
const visitorFrames = [];     // every WebSocket frame the visitor's page received
const pageErrors = [];        // uncaught errors of either page

before(async () => {
  site = await servePages({});
  srv = await startServer({ config: `[plugin.web]\nallowed_origins = ${site.origin}\n` });
  // the demo page: one tag, as docs/widget.md tells a site to embed it
  const demo = `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>デモショップ</title></head>
<body><h1>デモショップ</h1><p>商品ページ</p>
<script src="${srv.url}/widget.js" data-channel="default" async></script></body></html>`;
  site.set('/', demo);

  admin = new ApiClient(srv.url);
  assert.equal((await admin.login(srv.adminLogin, srv.adminPassword)).status, 200);
  // the admin takes no chats, so routing has one candidate: the operator
  const adminId = admin.staff.id;
  assert.equal((await admin.patch(`/api/v1/staff/${adminId}`, { chat_capacity: 0 })).status, 200);
  assert.equal((await admin.request('PUT', '/api/v1/me/status', { json: { status: 'offline' } })).status, 200);
  operator = await admin.createStaff('web-op', 'operator');
  const r = await admin.patch(`/api/v1/staff/${operator.id}`, { chat_capacity: 3 });
  assert.equal(r.status, 200, r.text);

  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  if (site) await site.close();
});

async function widgetMessages(page) {
  return page.$$eval('#tsunagu-widget [data-tsunagu="message"]', (els) =>
    els.map((e) => ({ kind: e.dataset.kind, text: e.textContent })));
}

async function openWidget(page) {
  await page.waitForSelector('#tsunagu-widget [data-tsunagu="launcher"]', { timeout: 15000 });
  if (!(await page.isVisible('#tsunagu-widget [data-tsunagu="window"]')))
    await page.click('#tsunagu-widget [data-tsunagu="launcher"]');
  await page.waitForSelector('#tsunagu-widget [data-tsunagu="input"]', { state: 'visible' });
}

async function visitorSays(text) {
  await visitor.fill('#tsunagu-widget [data-tsunagu="input"]', text);
  await visitor.press('#tsunagu-widget [data-tsunagu="input"]', 'Enter');
}

test('the visitor writes こんにちは; the operator sees it live in "mine", joins and replies', async () => {
  // the operator first, logged in and available, looking at "mine"
  const opCtx = await browser.newContext({ locale: 'ja-JP' });
  inbox = await opCtx.newPage();
  inbox.on('pageerror', (e) => pageErrors.push(`inbox: ${e}`));
  await inbox.goto(`${srv.url}/#/view/mine`);
  await loginInbox(inbox, operator.login, operator.password);
  await inbox.waitForSelector('.view-link[data-view="mine"].active');
  await eventually(async () => (await admin.get('/api/v1/status')).json?.staff
    ?.find((s) => s.id === operator.id)?.status === 'available', 'the operator is available');

  // then the visitor, on the demo site (another origin)
  const vCtx = await browser.newContext({ locale: 'ja-JP' });
  visitor = await vCtx.newPage();
  visitor.on('pageerror', (e) => pageErrors.push(`visitor: ${e}`));
  visitor.on('websocket', (ws) => {
    ws.on('framereceived', (f) => visitorFrames.push(String(f.payload)));
  });
  await visitor.goto(site.url('/'));
  await openWidget(visitor);
  await visitorSays('こんにちは');
  await eventually(async () => (await widgetMessages(visitor))
    .some((m) => m.kind === 'customer' && m.text.includes('こんにちは')), 'the visitor sees their message');

  // live in "mine": the router assigned it to the operator (capacity 3)
  const row = '.conv-row[data-channel="web"]';
  await inbox.waitForSelector(row, { timeout: 15000 });
  const id = await inbox.getAttribute(row, 'data-id');
  const conv = (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
  assert.equal(conv.assignee?.id ?? conv.assignee, operator.id, 'assigned by the router');
  await eventually(async () => (await inbox.textContent(`${row} .row-preview`)).includes('こんにちは'),
    'the row shows the last message');

  await inbox.click(`${row} .row-button`);
  await inbox.waitForSelector('#messages .msg[data-kind="customer"]');
  assert.equal(await inbox.textContent('#messages .msg[data-kind="customer"] .msg-body'), 'こんにちは');
  await inbox.click('#join');
  await inbox.waitForSelector('#reply-text', { state: 'visible' });
  await inbox.fill('#reply-text', 'いらっしゃいませ。ご用件をどうぞ');
  await inbox.press('#reply-text', 'Enter');
  await eventually(async () => (await widgetMessages(visitor))
    .some((m) => m.kind === 'operator' && m.text.includes('いらっしゃいませ。ご用件をどうぞ')),
  'the visitor sees the reply', 10000);
});

test('an internal note shows in the inbox as a note and never reaches the visitor', async () => {
  await inbox.click('.composer-tabs .tab[data-mode="note"]');
  await inbox.fill('#reply-text', NOTE);
  await inbox.press('#reply-text', 'Enter');
  await inbox.waitForSelector('#messages .msg[data-kind="note"]');
  assert.equal(await inbox.textContent('#messages .msg[data-kind="note"] .msg-body'), NOTE);
  assert.equal(await inbox.textContent('#messages .msg[data-kind="note"] .note-label'), '社内メモ');
  const bar = await inbox.$eval('#messages .msg[data-kind="note"] .msg-body',
    (e) => getComputedStyle(e).borderLeftColor);
  assert.equal(bar, 'rgb(242, 194, 0)');

  // a reply after the note: once the visitor has it, the note (committed
  // before) would have arrived too if it were ever sent
  await inbox.click('.composer-tabs .tab[data-mode="reply"]');
  await inbox.fill('#reply-text', 'メモの後の返信');
  await inbox.press('#reply-text', 'Enter');
  await eventually(async () => (await widgetMessages(visitor))
    .some((m) => m.text.includes('メモの後の返信')), 'the visitor sees the later reply');
  const dom = await visitor.content();
  assert.ok(!dom.includes('VIPのお客様'), 'the note is not in the widget DOM');
  assert.ok(visitorFrames.some((f) => f.includes('メモの後の返信')), 'the recorder sees the frames of replies');
  assert.ok(visitorFrames.every((f) => !f.includes('VIPのお客様') && !/"note"/.test(f)),
    'no frame to the visitor carries the note');
});

test('reloading the visitor page keeps the history', async () => {
  await visitor.reload();
  await openWidget(visitor);
  await eventually(async () => {
    const msgs = await widgetMessages(visitor);
    return msgs.some((m) => m.kind === 'customer' && m.text.includes('こんにちは')) &&
      msgs.some((m) => m.kind === 'operator' && m.text.includes('いらっしゃいませ')) &&
      msgs.some((m) => m.text.includes('メモの後の返信'));
  }, 'the history is back after the reload', 10000);
  const msgs = await widgetMessages(visitor);
  assert.equal(msgs.filter((m) => m.text.includes('こんにちは')).length, 1, 'no duplicate');
  assert.ok(!(await visitor.content()).includes('VIPのお客様'));
  assert.ok(visitorFrames.every((f) => !f.includes('VIPのお客様')));
});

test('markup is shown as text in the widget and in the inbox', async () => {
  await visitorSays(XSS);
  await inbox.waitForSelector(`#messages .msg[data-kind="customer"]:last-child`);
  await eventually(async () => (await inbox.$$eval('#messages .msg[data-kind="customer"] .msg-body',
    (els) => els.map((e) => e.textContent))).includes(XSS), 'the inbox shows the markup as text');
  await inbox.fill('#reply-text', `引用: ${XSS}`);
  await inbox.press('#reply-text', 'Enter');
  await eventually(async () => (await widgetMessages(visitor))
    .some((m) => m.kind === 'operator' && m.text.includes(`引用: ${XSS}`)), 'the visitor sees it as text');
  await eventually(async () => (await widgetMessages(visitor))
    .some((m) => m.kind === 'customer' && m.text.includes(XSS)), 'the visitor\'s own message as text');
  // the list row too (preview)
  await inbox.click('.view-link[data-view="mine"]');
  await eventually(async () => (await inbox.textContent('.conv-row[data-channel="web"] .row-preview')).includes('<img'),
    'the list preview shows the markup as text');
  for (const page of [visitor, inbox]) {
    const r = await page.evaluate(() => ({
      xss: window.__xss,
      imgs: document.querySelectorAll('#tsunagu-widget img[src="x"], #app img').length,
    }));
    assert.deepEqual(r, { xss: undefined, imgs: 0 });
  }
});

test('Enter while an IME is composing confirms the conversion and does not send', async () => {
  const press = (sel) => (p) => p.evaluate((s) => {
    const ta = document.querySelector(s);
    const evs = [
      new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', keyCode: 13, isComposing: true, bubbles: true, cancelable: true }),
      new KeyboardEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true, cancelable: true }),
    ];
    for (const e of evs) ta.dispatchEvent(e);
    return evs.map((e) => e.defaultPrevented);
  }, sel);

  // the widget
  const wInput = '#tsunagu-widget [data-tsunagu="input"]';
  const before = (await widgetMessages(visitor)).length;
  await visitor.fill(wInput, 'にほんご');
  assert.deepEqual(await press(wInput)(visitor), [false, false]);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal((await widgetMessages(visitor)).length, before, 'the widget sent nothing');
  assert.equal(await visitor.inputValue(wInput), 'にほんご');

  // the inbox
  const id = await inbox.getAttribute('.conv-row[data-channel="web"]', 'data-id');
  await inbox.click('.conv-row[data-channel="web"] .row-button');
  await inbox.waitForSelector('#reply-text', { state: 'visible' });
  const count = (await admin.get(`/api/v1/conversations/${id}/messages`)).json.messages.length;
  await inbox.fill('#reply-text', 'へんかん');
  assert.deepEqual(await press('#reply-text')(inbox), [false, false]);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal((await admin.get(`/api/v1/conversations/${id}/messages`)).json.messages.length, count,
    'the inbox sent nothing');
  assert.equal(await inbox.inputValue('#reply-text'), 'へんかん');
});

test('a visitor picks a department before the first message (RT-2)', async () => {
  const deps = [
    { name: 'sales', label_ja: '営業', label_en: 'Sales' },
    { name: 'support', label_ja: 'サポート', label_en: 'Support' },
  ];
  const r = await admin.request('PUT', '/plugins/web/admin/settings', { json: { departments: deps } });
  assert.equal(r.status, 200, r.text);
  const ctx = await browser.newContext();   // a new visitor: nothing stored yet
  const page = await ctx.newPage();
  const sent = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  try {
    await page.goto(site.origin + '/');
    await openWidget(page);
    const picker = '#tsunagu-widget [data-tsunagu="department"]';
    await page.waitForSelector(picker, { state: 'visible' });
    assert.deepEqual(await page.$$eval(`${picker} option`, (os) => os.map((o) => [o.value, o.textContent])),
      [['', 'お問い合わせ内容'], ['sales', '営業'], ['support', 'サポート']]);
    // no choice yet: the message stays in the input and the widget asks
    await page.fill('#tsunagu-widget [data-tsunagu="input"]', '注文について');
    await page.press('#tsunagu-widget [data-tsunagu="input"]', 'Enter');
    await eventually(async () => (await page.textContent('#tsunagu-widget .tsunagu-status'))
      .includes('お問い合わせ内容を選んでください'), 'the widget asks for a department');
    assert.equal(await page.inputValue('#tsunagu-widget [data-tsunagu="input"]'), '注文について');
    assert.ok(!sent.some((f) => f.includes('"type":"send"')), 'nothing sent');
    // chosen: the first message carries it and the picker goes away
    await page.selectOption(picker, 'support');
    await page.press('#tsunagu-widget [data-tsunagu="input"]', 'Enter');
    await eventually(async () => (await widgetMessages(page))
      .some((m) => m.kind === 'customer' && m.text.includes('注文について')), 'the message shows');
    const first = JSON.parse(sent.find((f) => f.includes('"type":"send"')));
    assert.equal(first.department, 'support');
    await page.waitForSelector(picker, { state: 'hidden' });
  } finally {
    await ctx.close();
    const back = await admin.request('PUT', '/plugins/web/admin/settings', { json: { departments: null } });
    assert.equal(back.status, 200, back.text);
  }
});

test('no uncaught error in either page', () => {
  assert.deepEqual(pageErrors, []);
});
