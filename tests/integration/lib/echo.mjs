// Customers for the tests that do not need the widget: the SDK's echo
// channel plugin (build/sdk/echo.so) loaded from a plugin directory of its
// own. A customer message goes in over its WebSocket; the plugin answers
// with a system message "echo: <text>".
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildRoot, makeTempDir } from './server.mjs';

export const echoSo = join(buildRoot, 'sdk', 'echo.so');

export function echoAvailable() { return existsSync(echoSo); }

// A plugin directory with echo.so only; returns {dir, config, cleanup()}.
export function echoPluginDir() {
  const dir = makeTempDir('tsunagu-e2e-plugins-');
  mkdirSync(dir, { recursive: true });
  cpSync(echoSo, join(dir, 'echo.so'));
  return {
    dir,
    config: `[plugins]\ndir = ${dir}\n`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// One customer message through the echo plugin; resolves the public id of
// the conversation once the server has committed it.
export function customerSays(srv, from, text, id = `m${Date.now()}${Math.random()}`) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${srv.wsUrl}/plugins/echo/ws`);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('echo: no ack')); }, 10000);
    ws.once('error', (e) => { clearTimeout(timer); reject(e); });
    ws.once('open', () => ws.send(JSON.stringify({ from, text, id })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString('utf8'));
      if (m.error) { clearTimeout(timer); ws.close(); reject(new Error(`echo: ${m.error}`)); }
      if (m.ack === id) { clearTimeout(timer); ws.close(); resolve(m.conversation); }
    });
  });
}
