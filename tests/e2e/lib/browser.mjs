// Debian's Chromium driven by playwright-core, for the browser tests.
// Every browser gets a fresh profile directory, removed at close; nothing
// leaves loopback (no background networking, no component updates).
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../integration/lib/server.mjs';
import { ApiClient } from '../../integration/lib/api.mjs';

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// One Chromium; resolves { browser, newContext(options), close() }.
// playwright gives the browser a fresh temporary profile directory of its
// own (removed at close), and every context is an isolated profile
// (cookies, localStorage): one context = one person.
// newContext options: locale ('ja-JP' default), viewport.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ARGS,
    timeout: 30000,
  });
  return {
    browser,
    newContext: (options = {}) => browser.newContext({
      locale: options.locale || 'ja-JP',
      viewport: options.viewport || { width: 1280, height: 800 },
    }),
    close: () => browser.close(),
  };
}

// A static page server on 127.0.0.1 (another port = another origin than
// tsunagud): routes is {path: html}, read at each request (so a page can be
// added once the server's port is known). Resolves {url(path), origin, port,
// close()}.
export function servePages(routes) {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const path = new URL(req.url, 'http://x').pathname;
      const body = routes[path];
      if (body === undefined) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      const origin = `http://127.0.0.1:${port}`;
      resolve({
        origin, port,
        url: (p = '/') => origin + p,
        set: (p, html) => { routes[p] = html; },
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
      });
    });
  });
}

// The polling helper is shared with the black-box tests.
export { eventually } from '../../integration/lib/poll.mjs';

// Logs a page of the inbox in.
export async function loginInbox(page, login, password) {
  await page.waitForSelector('#login-screen:not([hidden]), #app:not([hidden])');
  await page.fill('#login input[name=login]', login);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
}

// A fresh person (context) on the inbox at url, logged in; page.errors
// collects script errors and console errors (but not the browser's own
// "Failed to load resource" lines: a 4xx the page expects is not one).
// options: locale ('en-US' default), clock (true: page.clock installed
// first, so a test moves the page's time itself). Resolves {ctx, page, res}
// (res: the response of the first load).
export async function inboxPage(b, url, login, password, { locale = 'en-US', clock = false } = {}) {
  const ctx = await b.newContext({ locale });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.errors.push(m.text());
  });
  if (clock) await page.clock.install();
  const res = await page.goto(url);
  await loginInbox(page, login, password);
  return { ctx, page, res };
}

// The usual fixture of a browser test file, as node:test hooks: before()
// starts a tsunagud (startServer options), logs an admin API client in and
// launches Chromium; after() closes both. Returns the holder {srv, admin,
// browser}, filled once before() ran.
export function serverAndBrowser(startOptions = {}) {
  const fx = { srv: null, admin: null, browser: null };
  before(async () => {
    fx.srv = await startServer(startOptions);
    fx.admin = new ApiClient(fx.srv.url);
    assert.equal((await fx.admin.login(fx.srv.adminLogin, fx.srv.adminPassword)).status, 200);
    fx.browser = await launch();
  });
  after(async () => {
    if (fx.browser) await fx.browser.close();
    if (fx.srv) await fx.srv.stop();
  });
  return fx;
}
