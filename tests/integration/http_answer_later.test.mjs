// A handler that answers after it returned (a plugin waiting for a commit or
// a peer, a report computed off the loop) keeps its client past
// libwebsockets' own 30 s timeout, which is meant for reading a request, up
// to TSUNAGU_HTTP_ANSWER_TIMEOUT_S (90 s, core/http/http.h). The calltest
// fixture plugin answers GET /calltest/later?ms=N from a timer N ms later.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { callsPluginDir } from './lib/calls.mjs';

let plug;
before(() => { plug = callsPluginDir(); });
after(() => { if (plug) plug.cleanup(); });

test('an answer 35 s after the request reaches the client', async (t) => {
  const srv = await startServer({ config: plug.config() });
  try {
    const t0 = Date.now();
    // meanwhile the server answers others at once
    const later = fetch(`${srv.url}/calltest/later?ms=35000`);
    const h = await fetch(`${srv.url}/healthz`);
    assert.equal(h.status, 200);
    assert.ok(Date.now() - t0 < 30000, 'healthz answered while the other waits');
    const r = await later;
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { waited: 35000 });
    const ms = Date.now() - t0;
    assert.ok(ms >= 35000, `answered after ${ms} ms`);
    t.diagnostic(`answered after ${ms} ms`);
    // the connection is kept for the next request (keep-alive) as usual
    const again = await fetch(`${srv.url}/calltest/later?ms=10`);
    assert.equal(again.status, 200);
  } finally {
    await srv.stop('SIGTERM', { cleanup: true });
  }
});
