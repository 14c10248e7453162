// A widget visitor for tests: the visitor WebSocket of the web plugin
// (docs/widget.md) with a frame queue, and a log of every frame any visitor
// received (to prove that something — an internal note — never reached one).
//
//   const v = await Visitor.open(srv, { origin: 'http://shop.example.jp' });
//   const { welcome, history } = await v.hello({ channel: 'default' });
//   const ack = await v.say('c1', 'hello');      // {type:'ack', id, message_id, conversation}
//   const f = await v.next();                     // the next frame
import WebSocket from 'ws';
import { FrameQueue } from './frame_queue.mjs';

export const allVisitorFrames = [];

export class Visitor extends FrameQueue {
  // options: origin (header; default: none, as a non-browser client),
  // headers (extra), path (default /plugins/web/ws).
  static open(srv, options = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(srv.wsUrl + (options.path || '/plugins/web/ws'), {
        origin: options.origin,
        headers: options.headers || {},
      });
      const v = new Visitor(ws);
      ws.once('open', () => resolve(v));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  constructor(ws) {
    super('a frame');
    this.ws = ws;
    this.frames = [];   // raw texts received on this socket
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeQueue(code, reason.toString());
        resolve(this.closed);
      });
    });
    ws.on('message', (data) => {
      const text = data.toString('utf8');
      this.frames.push(text);
      allVisitorFrames.push(text);
      this.push(JSON.parse(text));
    });
  }

  // Resolves true when no frame arrives within ms (and leaves the queue alone).
  async quiet(ms = 300) {
    if (this.queue.length) return false;
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.length === 0;
  }

  send(obj) { this.ws.send(JSON.stringify(obj)); }
  sendRaw(data, options) { this.ws.send(data, options); }

  // hello, then the welcome and every history page. Resolves
  // {welcome, history: [messages], pages}; rejects with the error frame.
  async hello(fields = {}) {
    this.send({ type: 'hello', channel: 'default', ...fields });
    const first = await this.next();
    if (first.type !== 'welcome') throw Object.assign(new Error(`hello refused: ${first.code}`), { frame: first });
    const history = [];
    let pages = 0;
    for (;;) {
      const f = await this.next();
      if (f.type !== 'history') throw new Error(`expected history, got ${JSON.stringify(f)}`);
      pages++;
      history.push(...f.messages);
      if (!f.more) break;
    }
    this.token = first.token;
    return { welcome: first, history, pages };
  }

  // Sends a message and resolves with its ack (rejects on an error frame).
  // extra: more members of the send frame (e.g. department)
  async say(id, text, extra = {}) {
    this.send({ type: 'send', id, text, ...extra });
    const frames = await this.until((f) => (f.type === 'ack' || f.type === 'error') && f.id === id);
    const last = frames[frames.length - 1];
    this.queue.unshift(...frames.slice(0, -1));
    if (last.type !== 'ack') throw Object.assign(new Error(`send refused: ${last.code}`), { frame: last });
    return last;
  }

  close() {
    if (this.closed) return Promise.resolve(this.closed);
    this.ws.close();
    return this.closedPromise;
  }
}
