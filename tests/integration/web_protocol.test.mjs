// The web widget's visitor protocol, black box against a real tsunagud with
// the bundled web plugin (docs/widget.md): every rejection, ack only after
// commit, resume without loss or duplicate, several tabs, identity
// verification, internal notes never reaching a visitor, attributes only
// for master keywords, rate limiting, visitor info for the route rules.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeTempDir } from './lib/server.mjs';
import { ApiClient, stopCleanly } from './lib/api.mjs';
import { Visitor, allVisitorFrames } from './lib/visitor.mjs';

const SITE = 'http://shop.example.jp';
const IDENTITY_SECRET = 'site-identity-secret-0123456789';
const FIREFOX_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

let srv, api, tmp;

before(async () => {
  tmp = makeTempDir('tsunagu-web-');
  const rulesDir = join(tmp, 'rules');
  mkdirSync(rulesDir);
  // The rules see what the widget sent: attributes (master keywords only)
  // and visitor info. nobody(): these tests route nothing.
  writeFileSync(join(rulesDir, 'route.lua'), `
route "gold without bogus" {
  when = function(c) return c.contact.attributes.plan == "gold" and c.contact.attributes.bogus == nil end,
  to = nobody(),
}
route "firefox spring campaign" {
  when = function(c) return c.visitor.browser == "Firefox" and c.visitor.os == "Windows"
    and c.visitor.utm.campaign == "spring sale" and c.visitor.utm.source == "news"
    and c.visitor.language == "ja-JP" and c.visitor.page_url ~= nil end,
  to = nobody(),
}
route "sales department" {
  when = function(c) return c.visitor.department == "sales" end,
  to = nobody(),
}
route "support department" {
  when = function(c) return c.visitor.department == "support" end,
  to = nobody(),
}
route "everyone else" { to = nobody() }
`);
  srv = await startServer({
    config: `[rules]\ndir = ${rulesDir}\n\n[plugin.web]\nallowed_origins = ${SITE}, https://other.example.com\n` +
      `identity_secret = ${IDENTITY_SECRET}\nmax_text = 1K\nrate_messages = 5\nrate_window = 2s\n`,
  });
  await srv.waitForLog(/web: channel web on ws \/plugins\/web\/ws/);
  api = new ApiClient(srv.url);
  const r = await api.login(srv.adminLogin, srv.adminPassword);
  assert.equal(r.status, 200);
});

after(async () => {
  if (srv) await stopCleanly(srv, assert);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let seq = 0;
const uid = (p = 'm') => `${p}${++seq}-${Math.random().toString(36).slice(2, 8)}`;

async function messagesOf(conversation) {
  const r = await api.get(`/api/v1/conversations/${conversation}/messages`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}

async function operatorSays(conversation, text, kind = 'operator') {
  if (kind === 'operator') {
    const j = await api.post(`/api/v1/conversations/${conversation}/join`, {});
    assert.ok(j.status === 200 || j.status === 204, `join: ${j.status} ${j.text}`);
  }
  const r = await api.post(`/api/v1/conversations/${conversation}/messages`, { kind, text });
  assert.ok(r.status === 200 || r.status === 201, `post ${kind}: ${r.status} ${r.text}`);
  return r.json.message ? r.json.message.id : r.json.id;
}

async function newVisitor(fields = {}, options = {}) {
  const v = await Visitor.open(srv, options);
  const h = await v.hello(fields);
  return { v, ...h };
}

function assertError(frame, code) {
  assert.equal(frame.type, 'error', JSON.stringify(frame));
  assert.equal(frame.code, code, JSON.stringify(frame));
  assert.equal(typeof frame.message, 'string');
  assert.ok(frame.message.length > 0);
}

describe('static files', () => {
  test('widget.js and widget.css are served', async () => {
    const js = await fetch(`${srv.url}/widget.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /javascript/);
    const body = await js.text();
    assert.match(body, /data-tsunagu/);
    assert.match(body, /isComposing/);
    assert.doesNotMatch(body, /innerHTML/, 'the widget never sets HTML');
    const css = await fetch(`${srv.url}/plugins/web/widget.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type'), /text\/css/);
    const post = await fetch(`${srv.url}/widget.js`, { method: 'POST' });
    assert.equal(post.status, 405);
  });
});

describe('conversation', () => {
  test('hello mints a token; a message is acked only once it is in the REST API', async () => {
    const { v, welcome, history } = await newVisitor();
    assert.match(welcome.token, /^[0-9a-f]{64}$/);
    assert.equal(welcome.widget.greeting.en.length > 0, true);
    assert.deepEqual(history, []);
    const ack = await v.say('c1', 'こんにちは <img src=x onerror=alert(1)>');
    assert.equal(ack.id, 'c1');
    assert.ok(Number.isInteger(ack.message_id) && ack.message_id > 0);
    assert.ok(ack.conversation);
    // right after the ack, without waiting: committed and visible
    const msgs = await messagesOf(ack.conversation);
    const m = msgs.find((x) => x.id === ack.message_id);
    assert.ok(m, 'acked message is stored');
    assert.equal(m.kind, 'customer');
    assert.equal(m.text, 'こんにちは <img src=x onerror=alert(1)>');
    await v.close();
  });

  test('client ids with quotes and backslashes come back exactly in the ack', async () => {
    const { v } = await newVisitor();
    for (const id of ['plain-1', 'q"uote', 'back\\slash', '"\\"']) {
      const ack = await v.say(id, `text of ${id}`);
      assert.equal(ack.id, id);
      assert.ok(Number.isInteger(ack.message_id) && ack.message_id > 0);
      assert.match(ack.conversation, /^[0-9a-f]{32}$/);
    }
    await v.close();
  });

  test('a retried client id is stored once and acked again', async () => {
    const { v } = await newVisitor();
    const a1 = await v.say('same', 'once only');
    const a2 = await v.say('same', 'once only');
    assert.equal(a2.message_id, a1.message_id);
    const msgs = await messagesOf(a1.conversation);
    assert.equal(msgs.filter((m) => m.text === 'once only').length, 1);
    await v.close();
  });

  test('operator replies are delivered; history survives reconnects', async () => {
    const { v, welcome } = await newVisitor();
    const ack = await v.say('q', 'question');
    const id = await operatorSays(ack.conversation, 'answer from staff');
    const [f] = await v.until((x) => x.type === 'message');
    assert.equal(f.message.kind, 'operator');
    assert.equal(f.message.text, 'answer from staff');
    assert.equal(f.message.id, id);
    assert.equal(f.message.conversation, ack.conversation);
    await v.close();

    const again = await newVisitor({ token: welcome.token });
    assert.equal(again.welcome.token, welcome.token);
    assert.deepEqual(again.history.map((m) => [m.kind, m.text]),
      [['customer', 'question'], ['operator', 'answer from staff']]);
    assert.equal(again.history[0].client_id, 'q', 'the client can match its own message');
    await again.v.close();
  });
});

describe('rejections (each with an error frame, nothing stored)', () => {
  test('bad JSON, non-object, unknown type, binary', async () => {
    const { v, welcome } = await newVisitor();
    v.sendRaw('{"type":"send","id":"x","text":"unterminated');
    assertError(await v.next(), 'bad_json');
    v.sendRaw('[1,2]');
    assertError(await v.next(), 'bad_frame');
    v.send({ type: 'nonsense' });
    assertError(await v.next(), 'bad_frame');
    v.send({ type: 'send', id: 'dup', text: 'a', text2: 'b', id2: 1 });
    await v.until((f) => f.type === 'ack'); // extra members are fine
    v.sendRaw('{"type":"send","id":"d","text":"one","text":"two"}');
    assertError(await v.next(), 'bad_json'); // duplicate keys
    v.sendRaw(Buffer.from('{"type":"ping"}'), { binary: true });
    assertError(await v.next(), 'bad_frame');
    v.send({ type: 'send', id: 'ctl', text: 'bell\u0007' });
    assertError(await v.next(), 'bad_frame');
    v.send({ type: 'send', id: 'ws', text: '   \n ' });
    assertError(await v.next(), 'bad_frame');
    v.send({ type: 'ping' });
    assert.equal((await v.next()).type, 'pong', 'the socket still works');
    await v.close();
    const again = await newVisitor({ token: welcome.token });
    assert.deepEqual(again.history.map((m) => m.text), ['a']);
    await again.v.close();
  });

  test('oversized message', async () => {
    const { v, welcome } = await newVisitor();
    v.send({ type: 'send', id: 'big', text: 'x'.repeat(1025) });
    const e = await v.next();
    assertError(e, 'too_large');
    assert.equal(e.id, 'big');
    v.sendRaw(JSON.stringify({ type: 'send', id: 'huge', text: 'y'.repeat(20000) }));
    assertError(await v.next(), 'too_large');
    const ok = await v.say('fits', 'z'.repeat(1024));
    assert.ok(ok.message_id);
    await v.close();
    const again = await newVisitor({ token: welcome.token });
    assert.deepEqual(again.history.map((m) => m.text.length), [1024]);
    await again.v.close();
  });

  test('wrong origin is refused; allowed and own origins are not', async () => {
    const bad = await Visitor.open(srv, { origin: 'http://evil.example.net' });
    assertError(await bad.next(), 'origin_not_allowed');
    const closed = await bad.closedPromise;
    assert.equal(closed.code, 1008);
    for (const origin of [SITE, 'https://other.example.com', srv.url]) {
      const { v } = await newVisitor({}, { origin });
      await v.say('o', `from ${origin}`);
      await v.close();
    }
  });

  test('wrong channel key', async () => {
    const v = await Visitor.open(srv);
    v.send({ type: 'hello', channel: 'not-the-key' });
    assertError(await v.next(), 'bad_channel');
    assert.equal((await v.closedPromise).code, 1008);
  });

  test('forged, altered and foreign-format tokens', async () => {
    const { v: a, welcome } = await newVisitor();
    await a.close();
    const t = welcome.token;
    const altered = t.slice(0, 63) + (t[63] === '0' ? '1' : '0');
    const flipped = (t[0] === 'a' ? 'b' : 'a') + t.slice(1);
    for (const token of [altered, flipped, '0'.repeat(64), 'abc', t.toUpperCase()]) {
      const v = await Visitor.open(srv);
      v.send({ type: 'hello', channel: 'default', token });
      assertError(await v.next(), 'bad_token');
      v.send({ type: 'send', id: 'x', text: 'sneaky' });
      assertError(await v.next(), 'hello_first');
      await v.close();
    }
  });

  test("a token for someone else's conversation", async () => {
    const { v: alice } = await newVisitor();
    const ack = await alice.say('a1', 'alice secret');
    await alice.close();
    const mallory = await Visitor.open(srv);
    mallory.send({ type: 'hello', channel: 'default', conversation: ack.conversation, last_id: 0 });
    assertError(await mallory.next(), 'conversation_forbidden');
    assert.ok(await mallory.quiet(300));
    assert.ok(!mallory.frames.some((f) => f.includes('alice secret')));
    await mallory.close();
    // and with a real token of another visitor
    const { v: bob, welcome } = await newVisitor();
    await bob.close();
    const b2 = await Visitor.open(srv);
    b2.send({ type: 'hello', channel: 'default', token: welcome.token, conversation: ack.conversation });
    assertError(await b2.next(), 'conversation_forbidden');
    await b2.close();
    // its owner may name it
    const again = await newVisitor({ token: alice.token, conversation: ack.conversation });
    assert.deepEqual(again.history.map((m) => m.text), ['alice secret']);
    await again.v.close();
  });

  test('send before hello, hello twice', async () => {
    const v = await Visitor.open(srv);
    v.send({ type: 'send', id: 'early', text: 'too early' });
    const e = await v.next();
    assertError(e, 'hello_first');
    assert.equal(e.id, 'early');
    await v.hello();
    v.send({ type: 'hello', channel: 'default' });
    assertError(await v.next(), 'bad_frame');
    await v.close();
  });

  test('rate limit per visitor, across tabs, recovering after the window', async () => {
    const { v: tab1, welcome } = await newVisitor();
    const { v: tab2 } = await newVisitor({ token: welcome.token });
    for (let i = 0; i < 3; i++) await tab1.say(`r${i}`, `msg ${i}`);
    for (let i = 3; i < 5; i++) await tab2.say(`r${i}`, `msg ${i}`);
    tab1.send({ type: 'send', id: 'r5', text: 'msg 5' });
    const frames = await tab1.until((f) => f.type === 'error' || f.type === 'ack');
    const e = frames[frames.length - 1];
    assertError(e, 'rate_limited');
    assert.equal(e.id, 'r5');
    assert.ok(e.retry_after_ms > 0 && e.retry_after_ms <= 2000);
    // a reconnect does not reset it
    await tab2.close();
    const { v: tab3 } = await newVisitor({ token: welcome.token });
    tab3.send({ type: 'send', id: 'r6', text: 'msg 6' });
    assertError((await tab3.until((f) => f.type === 'error')).pop(), 'rate_limited');
    // another visitor is not limited by this one
    const { v: other } = await newVisitor();
    await other.say('x', 'unaffected');
    await other.close();
    await new Promise((r) => setTimeout(r, Math.max(e.retry_after_ms, 100) + 50));
    const ok = await tab3.say('r7', 'after the window');
    assert.ok(ok.message_id);
    const msgs = await messagesOf(ok.conversation);
    assert.deepEqual(msgs.filter((m) => m.kind === 'customer').map((m) => m.text),
      ['msg 0', 'msg 1', 'msg 2', 'msg 3', 'msg 4', 'after the window']);
    await tab1.close();
    await tab3.close();
  });
});

describe('tabs and resume', () => {
  test('several tabs: replies reach every tab, a tab sees what another sent', async () => {
    const { v: t1, welcome } = await newVisitor();
    const { v: t2 } = await newVisitor({ token: welcome.token });
    const { v: t3 } = await newVisitor({ token: welcome.token });
    const ack = await t1.say('hi', 'from tab 1');
    for (const t of [t2, t3]) {
      const [m] = await t.until((f) => f.type === 'message');
      assert.equal(m.message.kind, 'customer');
      assert.equal(m.message.text, 'from tab 1');
      assert.equal(m.message.id, ack.message_id);
    }
    const id = await operatorSays(ack.conversation, 'to every tab');
    for (const t of [t1, t2, t3]) {
      const [m] = await t.until((f) => f.type === 'message');
      assert.equal(m.message.id, id);
      assert.equal(m.message.text, 'to every tab');
      assert.ok(await t.quiet(150), 'exactly once');
    }
    for (const t of [t1, t2, t3]) await t.close();
  });

  test('resume after a reconnect gives exactly the missed messages', async () => {
    const { v, welcome } = await newVisitor();
    const ack = await v.say('s', 'start');
    const first = await operatorSays(ack.conversation, 'seen 1');
    const [f1] = await v.until((f) => f.type === 'message');
    assert.equal(f1.message.id, first);
    await v.close();
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push(await operatorSays(ack.conversation, `missed ${i}`));
    const again = await newVisitor({ token: welcome.token, last_id: first });
    assert.deepEqual(again.history.map((m) => m.id), missed);
    assert.deepEqual(again.history.map((m) => m.text), ['missed 0', 'missed 1', 'missed 2']);
    const next = await operatorSays(ack.conversation, 'live again');
    const [f2] = await again.v.until((f) => f.type === 'message');
    assert.equal(f2.message.id, next);
    await again.v.close();
  });

  test('no loss and no duplicate while replies keep arriving across reconnects', async () => {
    const { v, welcome } = await newVisitor();
    const ack = await v.say('s', 'stress');
    await v.close();
    const posted = [];
    let posting = true;
    const poster = (async () => {
      for (let i = 0; posting && i < 60; i++) posted.push(await operatorSays(ack.conversation, `burst ${i}`));
    })();
    const received = [];
    let last = ack.message_id;
    for (let round = 0; round < 6; round++) {
      const c = await newVisitor({ token: welcome.token, last_id: last });
      const got = [...c.history];
      await new Promise((r) => setTimeout(r, 30));
      while (c.v.queue.length) {
        const f = c.v.queue.shift();
        if (f.type === 'message') got.push(f.message);
      }
      for (const m of got) { received.push(m.id); last = Math.max(last, m.id); }
      await c.v.close();
    }
    posting = false;
    await poster;
    const tail = await newVisitor({ token: welcome.token, last_id: last });
    for (const m of tail.history) received.push(m.id);
    await tail.v.close();
    assert.equal(new Set(received).size, received.length, 'no duplicate');
    assert.deepEqual(received, posted, 'every reply exactly once, in order');
  });

  test('a resume longer than one page arrives in several pages', async () => {
    const { v, welcome } = await newVisitor();
    const ack = await v.say('p', 'pages');
    await v.close();
    const j = await api.post(`/api/v1/conversations/${ack.conversation}/join`, {});
    assert.ok(j.status < 300, j.text);
    const ids = [];
    for (let i = 0; i < 505; i += 25) {
      const batch = await Promise.all(Array.from({ length: Math.min(25, 505 - i) },
        (_, k) => api.post(`/api/v1/conversations/${ack.conversation}/messages`, { kind: 'operator', text: `p${i + k}` })));
      for (const r of batch) {
        assert.ok(r.status < 300, r.text);
        ids.push(r.json.message ? r.json.message.id : r.json.id);
      }
    }
    ids.sort((a, b) => a - b);
    const again = await newVisitor({ token: welcome.token, last_id: ack.message_id });
    assert.ok(again.pages >= 2, `pages: ${again.pages}`);
    assert.deepEqual(again.history.map((m) => m.id), ids);
    await again.v.close();
  });
});

describe('identity verification', () => {
  const sign = (id) => createHmac('sha256', IDENTITY_SECRET).update(id).digest('hex');

  test('a verified user sees the same history on another device', async () => {
    const user = { id: `user-${uid()}`, hash: '' };
    user.hash = sign(user.id);
    const { v: laptop, welcome: w1 } = await newVisitor({ user });
    assert.equal(w1.user, user.id);
    const ack = await laptop.say('l1', 'sent from the laptop');
    await operatorSays(ack.conversation, 'reply to the user');
    await laptop.until((f) => f.type === 'message');
    await laptop.close();
    // another device: no token, upper-case hex
    const { v: phone, history } = await newVisitor({ user: { id: user.id, hash: user.hash.toUpperCase() } });
    assert.deepEqual(history.map((m) => m.text), ['sent from the laptop', 'reply to the user']);
    await phone.close();
  });

  test('a bad hash is refused and shows nothing', async () => {
    const id = `user-${uid()}`;
    const { v } = await newVisitor({ user: { id, hash: sign(id) } });
    await v.say('x', 'private to the user');
    await v.close();
    const good = sign(id);
    // the right hash with its last digit changed (never to itself)
    const lastDigitWrong = good.slice(0, 63) + (good.endsWith('0') ? '1' : '0');
    for (const hash of [sign(id + 'x'), lastDigitWrong, 'zz', '']) {
      const bad = await Visitor.open(srv);
      bad.send({ type: 'hello', channel: 'default', user: { id, hash } });
      const e = await bad.next();
      assert.equal(e.type, 'error');
      assert.ok(['identity_invalid', 'bad_frame'].includes(e.code), e.code);
      assert.ok(await bad.quiet(200));
      await bad.close();
      assert.ok(!bad.frames.some((f) => f.includes('private to the user')));
    }
  });

  test('without identity a visitor sees only its own token', async () => {
    const id = `user-${uid()}`;
    const { v } = await newVisitor({ user: { id, hash: sign(id) } });
    await v.say('x', 'user only');
    await v.close();
    const anon = await newVisitor();
    assert.deepEqual(anon.history, []);
    await anon.v.close();
  });
});

describe('internal notes', () => {
  test('a note never reaches any visitor frame, live or in history', async () => {
    const marker = `NOTE-${uid()}-never-for-customers`;
    const { v: tab1, welcome } = await newVisitor();
    const { v: tab2 } = await newVisitor({ token: welcome.token });
    const ack = await tab1.say('n', 'please help');
    await tab2.until((f) => f.type === 'message');
    await operatorSays(ack.conversation, marker, 'note');
    const visible = await operatorSays(ack.conversation, 'a customer-visible reply');
    for (const t of [tab1, tab2]) {
      const frames = await t.until((f) => f.type === 'message' && f.message.id === visible);
      assert.ok(frames.every((f) => f.type === 'message' && f.message.kind === 'operator'));
    }
    // the inbox has it
    const msgs = await messagesOf(ack.conversation);
    assert.ok(msgs.some((m) => m.kind === 'note' && m.text === marker));
    await tab1.close();
    await tab2.close();
    const again = await newVisitor({ token: welcome.token });
    assert.deepEqual(again.history.map((m) => m.kind), ['customer', 'operator']);
    await again.v.close();
    const fromResume = await newVisitor({ token: welcome.token, last_id: ack.message_id });
    assert.deepEqual(fromResume.history.map((m) => m.id), [visible]);
    await fromResume.v.close();
    assert.ok(allVisitorFrames.length > 0);
    assert.ok(!allVisitorFrames.some((f) => f.includes(marker)), 'no visitor frame holds the note');
  });
});

describe('attributes and visitor info', () => {
  test('only master keywords are stored; the route rules see them', async () => {
    const r = await api.post('/api/v1/keywords', { key: 'plan', title: 'Plan' });
    assert.ok(r.status === 201 || r.status === 200 || r.status === 409, `${r.status} ${r.text}`);
    const { v } = await newVisitor();
    v.send({ type: 'attributes', id: 'a1', attributes: { plan: 'gold', bogus: 'should be ignored' } });
    const [ok] = await v.until((f) => f.type === 'attributes_ok');
    assert.equal(ok.id, 'a1');
    assert.deepEqual(ok.stored, ['plan']);
    assert.deepEqual(ok.ignored, ['bogus']);
    await srv.waitForLog(/attribute 'bogus' ignored: not a master keyword/);
    v.send({ type: 'attributes', attributes: 'not an object' });
    assertError(await v.next(), 'bad_frame');
    const ack = await v.say('m', 'gold member here');
    const decided = await routeDecision(ack.conversation);
    assert.equal(decided.data.rule, 'gold without bogus');
    await v.close();
  });

  test('page URL, referrer, browser, OS, language and UTM reach c.visitor', async () => {
    const { v } = await newVisitor({
      page: {
        url: 'https://shop.example.jp/items?id=3&utm_source=news&utm_campaign=spring+sale&utm_medium=mail',
        referrer: 'https://search.example/', language: 'ja-JP',
      },
    }, { headers: { 'user-agent': FIREFOX_WIN } });
    const ack = await v.say('m', 'where is my order');
    const decided = await routeDecision(ack.conversation);
    assert.equal(decided.data.rule, 'firefox spring campaign');
    await v.close();
    const conv = await api.get(`/api/v1/conversations/${ack.conversation}`);
    assert.equal(conv.status, 200);
  });
});

describe('departments (RT-2: the department the visitor chose)', () => {
  test('an admin lists them; the widget gets them; the choice reaches c.visitor.department', async () => {
    const PATH = '/plugins/web/admin/settings';
    const bad = await api.request('PUT', PATH, { json: { departments: [{ name: 'Sales', label_ja: '営業', label_en: 'Sales' }] } });
    assert.equal(bad.status, 400, bad.text);
    const deps = [
      { name: 'sales', label_ja: '営業', label_en: 'Sales' },
      { name: 'support', label_ja: 'サポート', label_en: 'Support' },
    ];
    const r = await api.request('PUT', PATH, { json: { departments: deps } });
    assert.equal(r.status, 200, r.text);
    try {
      // the picker's choice comes with the first message
      const a = await newVisitor();
      assert.deepEqual(a.welcome.widget.departments, deps);
      const ackA = await a.v.say(uid(), '見積もりをお願いします', { department: 'sales' });
      assert.equal((await routeDecision(ackA.conversation)).data.rule, 'sales department');
      await a.v.close();
      // the page's tsunagu("department", ...) comes with hello
      const b = await newVisitor({ department: 'support' });
      const ackB = await b.v.say(uid(), 'ログインできません');
      assert.equal((await routeDecision(ackB.conversation)).data.rule, 'support department');
      await b.v.close();
      // a department the admin did not define is ignored, not an error
      const c = await newVisitor();
      const ackC = await c.v.say(uid(), 'hello', { department: 'billing' });
      assert.equal((await routeDecision(ackC.conversation)).data.rule, 'everyone else');
      // a name that is not a name is a bad frame, and nothing is stored
      c.v.send({ type: 'send', id: 'bad-dep', text: 'x', department: '<b>sales</b>' });
      const err = await c.v.next();
      assertError(err, 'bad_frame');
      assert.equal(err.id, 'bad-dep');
      assert.ok(!(await messagesOf(ackC.conversation)).some((m) => m.text === 'x'));
      await c.v.close();
    } finally {
      const back = await api.request('PUT', PATH, { json: { departments: null } });
      assert.equal(back.status, 200, back.text);
    }
  });
});

async function routeDecision(conversation) {
  for (let after = 0, tries = 0; tries < 50; tries++) {
    const r = await api.get(`/api/v1/events?after=${after}&limit=1000`);
    assert.equal(r.status, 200);
    const ev = r.json.events.find((e) => e.type === 'route.decided' && e.data.conversation === conversation);
    if (ev) return ev;
    if (r.json.events.length === 1000) { after = r.json.next_after; continue; }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no route.decided for ${conversation}`);
}
