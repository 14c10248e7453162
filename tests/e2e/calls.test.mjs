// Phone calls in the inbox (TEL-4, TEL-10) in a real browser, with the
// calltest phone channel: the waiting-calls page lists a call (caller as
// text), "Answer" rings the operator's phone (RING to the channel), and
// once the channel reports it answered the conversation's row shows the
// live call state "talking"; the calls page lists the talking calls under
// the waiting ones with who talks and a live talk timer; an operator hangs
// up their own call from its conversation (and sees no hang-up on another's),
// a supervisor hangs up anyone's from the calls page, and the channel gets
// HANGUP each time; no script error and no CSP violation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../integration/lib/api.mjs';
import { callsPluginDir, dialIn, report, channelEvents } from '../integration/lib/calls.mjs';
import { serverAndBrowser, inboxPage, eventually } from './lib/browser.mjs';

const plugins = callsPluginDir();
const fx = serverAndBrowser({ config: plugins.config('[routing]\nring_timeout = 10m\n') });
after(() => plugins.cleanup()); // after the server stopped (hooks run in order)

const pageAs = (login, password, hash, options) => inboxPage(fx.browser, `${fx.srv.url}/${hash}`, login, password, options);

test('answer a waiting call from the list; its row shows the call live', async () => {
  const op = await fx.admin.createStaff('op-tel', 'operator');
  // op-tel goes away first so that the call waits instead of ringing them
  const { ctx, page } = await pageAs('op-tel', op.password, '#/calls');
  await page.waitForSelector('#calls-pane', { state: 'visible' });
  const self = new ApiClient(fx.srv.url);
  assert.equal((await self.login('op-tel', op.password)).status, 200);
  assert.equal((await self.request('PUT', '/api/v1/me/status', { json: { status: 'away' } })).status, 200);

  const c = await dialIn(fx.srv, '<b>0312345678</b>', 'e2e-1');
  const caller = await eventually(async () => {
    const t = await page.$$eval(`#calls-list [data-call="${c.call}"] .call-caller`, (els) => els.map((e) => e.textContent));
    return t.length ? t[0] : null;
  }, 'the waiting call listed');
  assert.equal(caller, '<b>0312345678</b>', 'the caller shown as text');
  assert.equal(await page.$$eval('#calls-list b', (els) => els.length), 0);

  await page.click(`#calls-list [data-call="${c.call}"] [data-action="answer"]`);
  await eventually(async () => (await channelEvents(fx.srv))
    .some((e) => e.kind === 'ring' && e.call === c.call && e.login === 'op-tel'), 'RING to op-tel');
  assert.equal(await report(fx.srv, 'answered', { call: c.call, login: 'op-tel' }), 0);

  await page.goto(`${fx.srv.url}/#/view/all`);
  await eventually(async () => (await page.$$eval(`.conv-row[data-id="${c.conversation}"] .call-state`,
    (els) => els.map((e) => e.dataset.call)))[0] === 'talking', 'the talking badge');
  assert.equal(await report(fx.srv, 'ended', { call: c.call }), 0);
  await eventually(async () => (await page.$$eval(`.conv-row[data-id="${c.conversation}"] .call-state`,
    (els) => els.map((e) => e.dataset.call)))[0] === 'ended', 'the ended badge, live');
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

const talkingRow = (page, call) => page.$$eval(`#calls-talking [data-call="${call}"]`, (rows) => rows.map((r) => ({
  caller: r.querySelector('.call-caller').textContent,
  staff: r.querySelector('.call-staff').textContent,
  talked: r.querySelector('.call-talked').textContent,
  hangup: !!r.querySelector('[data-action="hangup"]'),
}))[0] || null);
const seconds = (mss) => { const [m, s] = mss.split(':').map(Number); return m * 60 + s; };
const hungUp = (call) => async () => (await channelEvents(fx.srv))
  .find((e) => e.kind === 'hangup' && e.call === call);

test('talking calls under the waiting ones, live; hang up from the conversation and the calls page', async () => {
  const talk = await fx.admin.createStaff('op-talk', 'operator');
  const sup = await fx.admin.createStaff('sup-tel', 'supervisor');
  const { ctx: opCtx, page: op } = await pageAs('op-talk', talk.password, '#/calls');
  await op.waitForSelector('#calls-pane', { state: 'visible' });

  // op-talk is the only one available: the first call is theirs
  const a = await dialIn(fx.srv, '0311110001', 'e2e-talk-a');
  await eventually(async () => (await channelEvents(fx.srv))
    .some((e) => e.kind === 'ring' && e.call === a.call && e.login === 'op-talk'), 'RING to op-talk');
  assert.equal(await report(fx.srv, 'answered', { call: a.call, login: 'op-talk' }), 0);
  // then op-two's, answered; then a third that waits (nobody is free)
  await fx.admin.sessionOf('op-two', 'operator');
  const b = await dialIn(fx.srv, '0311110002', 'e2e-talk-b');
  await eventually(async () => (await channelEvents(fx.srv))
    .some((e) => e.kind === 'ring' && e.call === b.call && e.login === 'op-two'), 'RING to op-two');
  assert.equal(await report(fx.srv, 'answered', { call: b.call, login: 'op-two' }), 0);
  const waiting = await dialIn(fx.srv, '0311110003', 'e2e-talk-c');

  const { ctx: supCtx, page: sv } = await pageAs('sup-tel', sup.password, '#/calls', { clock: true });
  await sv.waitForSelector('#calls-pane', { state: 'visible' });
  const rowB = await eventually(() => talkingRow(sv, b.call), 'the talking call listed');
  assert.deepEqual([rowB.caller, rowB.staff, rowB.hangup], ['0311110002', 'op-two', true]);
  assert.ok(await talkingRow(sv, a.call), 'both talking calls listed');
  // waiting above, talking below, each call in one list only
  const order = await sv.$$eval('#calls-list > li, #calls-talking > li',
    (els) => els.map((e) => `${e.closest('ul').id}:${e.dataset.call}`));
  assert.deepEqual(order, [`calls-list:${waiting.call}`, `calls-talking:${a.call}`, `calls-talking:${b.call}`]);
  // the talk time is live: two minutes later it reads two minutes more, no reload
  const before = seconds((await talkingRow(sv, b.call)).talked);
  assert.ok(before < 120, `${before}`);
  await sv.clock.fastForward('02:00');
  await eventually(async () => seconds((await talkingRow(sv, b.call)).talked) >= before + 120, 'the timer moved');

  // the operator: a hang-up on their own call's conversation, none on another's
  await op.goto(`${fx.srv.url}/#/conversations/${b.conversation}`);
  await op.waitForSelector('#conv-calls .call-record');
  assert.equal(await op.$('#call-hangup'), null);
  await op.goto(`${fx.srv.url}/#/conversations/${a.conversation}`);
  await op.waitForSelector('#call-hangup');
  await op.click('#call-hangup');
  const ha = await eventually(hungUp(a.call), 'HANGUP of the operator\'s call');
  assert.equal(ha.reason, 'hangup'); // HANGUP names the call, not a phone (SDK)
  await op.waitForSelector('#call-hangup', { state: 'detached' });
  await eventually(async () => (await op.$$eval('#conv-calls .call-state', (els) => els.map((e) => e.dataset.call)))[0] === 'ended', 'ended');

  // the supervisor hangs up op-two's from the calls page
  await eventually(async () => !(await talkingRow(sv, a.call)), 'the ended call leaves the list');
  await sv.click(`#calls-talking [data-call="${b.call}"] [data-action="hangup"]`);
  const hb = await eventually(hungUp(b.call), 'HANGUP of op-two\'s call');
  assert.equal(hb.reason, 'hangup');
  await eventually(async () => !(await talkingRow(sv, b.call)), 'the hung-up call leaves the list');
  assert.equal(await report(fx.srv, 'missed', { call: waiting.call, reason: 'userLeft' }), 0);
  assert.deepEqual(op.errors, []);
  assert.deepEqual(sv.errors, []);
  await opCtx.close();
  await supCtx.close();
});
