// The JSON messages arriving on a test client's WebSocket, in order:
// next() resolves with the next one (or rejects on timeout or close), until()
// collects them up to the first one a predicate accepts. The events client
// (api.mjs) and the widget visitor (visitor.mjs) both extend it.
export class FrameQueue {
  constructor(what) {
    this.what = what;    // "an event", "a frame": for timeout messages
    this.queue = [];
    this.waiters = [];
    this.closed = null;
  }

  // A message arrived: hand it to the oldest waiter, or keep it.
  push(msg) {
    const w = this.waiters.shift();
    if (w) w.resolve(msg); else this.queue.push(msg);
  }

  // The socket closed: every waiter fails with the code.
  closeQueue(code, reason) {
    this.closed = { code, reason };
    for (const w of this.waiters.splice(0)) w.reject(new Error(`closed ${code} ${reason}`));
  }

  next(timeoutMs = 5000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.reject(new Error(`closed ${this.closed.code}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`timeout waiting for ${this.what}`));
      }, timeoutMs);
      const w = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.waiters.push(w);
    });
  }

  // Resolves with the messages until (and including) the one pred accepts.
  async until(pred, timeoutMs = 5000) {
    const got = [];
    for (;;) {
      const m = await this.next(timeoutMs);
      got.push(m);
      if (pred(m)) return got;
    }
  }
}
