// The events WebSocket (/api/v1/events). It resumes after the last sequence
// it has seen (since=N), so after a reconnect every event arrives exactly
// once; the first connection starts at "now" (the lists are loaded by REST).
//
//   const feed = new EventFeed({ onEvent(ev), onState('live'|'connecting'|'down') });
//   feed.start(); feed.stop();

export class EventFeed {
  constructor({ onEvent, onState, onSessionCheck }) {
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    // async () => bool: is the session still valid? (a closed socket may
    // mean it ended; then the feed stops and the app shows the login)
    this.onSessionCheck = onSessionCheck || (async () => true);
    this.lastSeq = null;
    this.ws = null;
    this.retry = 0;
    this.stopped = true;
    this.timer = null;
    this.pinger = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close();
    this.ws = null;
    this.lastSeq = null;
  }

  connect() {
    if (this.ws || this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let url = `${proto}//${location.host}/api/v1/events`;
    if (this.lastSeq !== null) url += `?since=${encodeURIComponent(this.lastSeq)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.onState('connecting');
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.type === 'hello') {
        this.retry = 0;
        if (this.lastSeq === null) this.lastSeq = msg.committed_seq;
        this.onState('live', { resumed: msg.since });
        return;
      }
      if (typeof msg.seq !== 'number' || msg.type === 'pong') return;
      if (this.lastSeq !== null && msg.seq <= this.lastSeq) return;
      this.lastSeq = msg.seq;
      try { this.onEvent(msg); } catch (e) { console.error('event handler', e); }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.onState('down');
      const delay = Math.min(15000, 300 * 2 ** this.retry++);
      this.timer = setTimeout(async () => {
        if (this.stopped) return;
        if (await this.onSessionCheck()) this.connect();
      }, delay);
    };
  }
}
