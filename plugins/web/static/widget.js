/* tsunagu web chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-channel="KEY" async></script>
 * Page API: tsunagu("email", "a@b.jp"); tsunagu("user", {id, hash});
 * tsunagu("department", "sales"); tsunagu("open"); tsunagu("close"). Protocol and settings: docs/widget.md.
 * Plain ES2017, no build step. Every text a customer or operator wrote is
 * set with textContent, never as HTML. */
(function () {
  'use strict';
  if (window.__tsunaguWidget) return;
  window.__tsunaguWidget = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  if (!script) return;
  var base = new URL(script.src, location.href);
  var channel = script.getAttribute('data-channel') || 'default';
  var wsUrl = (base.protocol === 'https:' ? 'wss://' : 'ws://') + base.host + '/plugins/web/ws';
  var storeKey = 'tsunagu:' + base.host + ':' + channel + ':';

  var T = {
    ja: {
      title: 'チャット', open: 'チャットを開く', close: '閉じる', placeholder: 'メッセージを入力（Shift+Enterで改行）',
      send: '送信', reconnecting: '再接続しています…', rate: '送信が多すぎます。少し待ってから送ります。',
      tooLarge: 'メッセージが長すぎます。', failed: '送信できませんでした。', unavailable: 'ただいまチャットを利用できません。',
      department: 'お問い合わせ内容', chooseDepartment: 'お問い合わせ内容を選んでください。'
    },
    en: {
      title: 'Chat', open: 'Open chat', close: 'Close', placeholder: 'Type a message (Shift+Enter for a new line)',
      send: 'Send', reconnecting: 'Reconnecting…', rate: 'Too many messages. Sending again shortly.',
      tooLarge: 'This message is too long.', failed: 'Could not send.', unavailable: 'Chat is not available right now.',
      department: 'Topic', chooseDepartment: 'Please choose a topic first.'
    }
  };
  var lang = ((document.documentElement.getAttribute('lang') || navigator.language || 'en')
    .toLowerCase().indexOf('ja') === 0) ? 'ja' : 'en';
  var t = T[lang];

  function load(k) { try { return localStorage.getItem(storeKey + k); } catch (e) { return null; } }
  function save(k, v) {
    try { if (v === null || v === undefined) localStorage.removeItem(storeKey + k); else localStorage.setItem(storeKey + k, String(v)); } catch (e) { /* private mode */ }
  }

  var token = load('token');
  var department = load('department');   // chosen on the page or in the picker
  var lastId = 0;
  var user = null;
  var attrs = {};          // page attributes not yet acknowledged
  var pending = [];        // {id, text, el} sent or to send, not acked
  var seen = {};           // message id -> element
  var ws = null, ready = false, fatal = false, retryMs = 1000, retryTimer = null;
  var ui = null, settings = null, unread = 0, open = false, identityChanged = false;

  /* ---- page API -------------------------------------------------------- */
  var queued = (window.tsunagu && window.tsunagu.q) || [];
  window.tsunagu = function (key, value) {
    if (key === 'user') {
      user = value && value.id ? { id: String(value.id), hash: String(value.hash || '') } : null;
      identityChanged = true;
      if (ws) { try { ws.close(); } catch (e) { /* reconnects with the user */ } }
      return;
    }
    if (key === 'department') {
      department = value ? String(value) : null;
      save('department', department);
      showPicker();
      return;
    }
    if (key === 'open') { setOpen(true); return; }
    if (key === 'close') { setOpen(false); return; }
    if (typeof key !== 'string' || !key) return;
    attrs[key] = value === null || value === undefined ? null : String(value);
    flushAttrs();
  };
  for (var i = 0; i < queued.length; i++) window.tsunagu.apply(null, queued[i]);

  /* ---- visibility by URL pattern ---------------------------------------- */
  function globMatch(pattern, url) {
    var re = '^' + pattern.split('*').map(function (p) {
      return p.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }).join('.*') + '$';
    try { return new RegExp(re).test(url); } catch (e) { return false; }
  }
  function shouldShow(s) {
    var url = location.href;
    var hide = (s.hide_on || []).some(function (p) { return globMatch(p, url); });
    var show = !(s.show_on || []).length || s.show_on.some(function (p) { return globMatch(p, url); });
    return show && !hide;
  }

  /* ---- UI ------------------------------------------------------------------ */
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function buildUi() {
    if (ui) return;
    var css = el('link', { rel: 'stylesheet', href: base.origin + '/plugins/web/widget.css' });
    document.head.appendChild(css);
    var root = el('div', { id: 'tsunagu-widget', lang: lang });
    var launcher = el('button', { type: 'button', 'data-tsunagu': 'launcher', 'aria-label': t.open, class: 'tsunagu-launcher' });
    launcher.appendChild(el('span', { class: 'tsunagu-icon', 'aria-hidden': 'true' }, '\u{1F4AC}'));
    var badge = el('span', { 'data-tsunagu': 'badge', class: 'tsunagu-badge', hidden: '' }, '0');
    launcher.appendChild(badge);
    var win = el('div', { 'data-tsunagu': 'window', class: 'tsunagu-window', role: 'dialog', 'aria-label': t.title, hidden: '' });
    var head = el('div', { class: 'tsunagu-head' });
    head.appendChild(el('span', { class: 'tsunagu-title' }, t.title));
    var closeBtn = el('button', { type: 'button', class: 'tsunagu-close', 'aria-label': t.close }, '\u00D7');
    head.appendChild(closeBtn);
    var list = el('div', { 'data-tsunagu': 'messages', class: 'tsunagu-messages', 'aria-live': 'polite' });
    var greeting = el('div', { class: 'tsunagu-greeting' }, (settings.greeting && settings.greeting[lang]) || '');
    list.appendChild(greeting);
    var status = el('div', { class: 'tsunagu-status', hidden: '' });
    var form = el('form', { class: 'tsunagu-form' });
    var input = el('textarea', { 'data-tsunagu': 'input', rows: '2', placeholder: t.placeholder, 'aria-label': t.placeholder });
    var send = el('button', { type: 'submit', 'data-tsunagu': 'send', class: 'tsunagu-send' }, t.send);
    form.appendChild(input);
    form.appendChild(send);
    /* The departments an admin defined: a visitor starting a chat picks
     * one (RULES.md c.visitor.department); the page may preset it. */
    var picker = null;
    var deps = Array.isArray(settings.departments) ? settings.departments : [];
    if (deps.length) {
      picker = el('select', { 'data-tsunagu': 'department', class: 'tsunagu-department', 'aria-label': t.department });
      picker.appendChild(el('option', { value: '' }, t.department));
      deps.forEach(function (d) {
        var o = el('option', { value: String(d.name) }, String(lang === 'ja' ? d.label_ja : d.label_en));
        picker.appendChild(o);
      });
      picker.addEventListener('change', function () {
        department = picker.value || null;
        save('department', department);
        if (department) setStatus('');
      });
    }
    win.appendChild(head);
    win.appendChild(list);
    win.appendChild(status);
    if (picker) win.appendChild(picker);
    win.appendChild(form);
    root.appendChild(win);
    root.appendChild(launcher);
    root.style.setProperty('--tsunagu-primary', settings.color_primary || '#2563eb');
    root.style.setProperty('--tsunagu-on-primary', settings.color_text || '#ffffff');
    document.body.appendChild(root);

    var composing = false;
    input.addEventListener('compositionstart', function () { composing = true; });
    input.addEventListener('compositionend', function () { composing = false; });
    input.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter' || e.shiftKey) return;
      /* Enter while an IME is composing confirms the conversion: never send. */
      if (e.isComposing || e.keyCode === 229 || composing) return;
      e.preventDefault();
      submit();
    });
    form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
    launcher.addEventListener('click', function () { setOpen(!open); });
    closeBtn.addEventListener('click', function () { setOpen(false); });
    ui = { root: root, launcher: launcher, badge: badge, win: win, list: list, input: input, status: status, picker: picker };
    showPicker();
    if (load('open') === '1') setOpen(true);
  }

  function setOpen(v) {
    open = !!v;
    save('open', open ? '1' : null);
    if (!ui) return;
    if (open) { ui.win.removeAttribute('hidden'); unread = 0; showBadge(); ui.input.focus(); scrollDown(); }
    else ui.win.setAttribute('hidden', '');
    ui.launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  /* The picker is for a visitor who has not written yet and has no
   * department from the page. */
  function started() { return lastId > 0 || pending.length > 0; }
  function showPicker() {
    if (!ui || !ui.picker) return;
    if (department) ui.picker.value = department;
    if (started() || (department && ui.picker.value === department)) ui.picker.setAttribute('hidden', '');
    else ui.picker.removeAttribute('hidden');
  }

  function showBadge() {
    if (!ui) return;
    ui.badge.textContent = unread > 99 ? '99+' : String(unread);
    if (unread > 0) ui.badge.removeAttribute('hidden'); else ui.badge.setAttribute('hidden', '');
  }

  function setStatus(text) {
    if (!ui) return;
    ui.status.textContent = text || '';
    if (text) ui.status.removeAttribute('hidden'); else ui.status.setAttribute('hidden', '');
  }

  function scrollDown() { if (ui) ui.list.scrollTop = ui.list.scrollHeight; }

  function messageEl(kind, text) {
    var m = el('div', { 'data-tsunagu': 'message', 'data-kind': kind, class: 'tsunagu-msg tsunagu-' + kind });
    m.appendChild(el('div', { class: 'tsunagu-text' }, text));
    return m;
  }

  function timeLabel(m, at) {
    var d = at ? new Date(at) : new Date();
    if (isNaN(d.getTime())) return;
    var s = el('time', { datetime: d.toISOString(), class: 'tsunagu-time' },
      d.toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-US', { hour: '2-digit', minute: '2-digit' }));
    m.appendChild(s);
  }

  /* A message from the server (history, delivery, another tab). */
  function show(msg, live) {
    if (!msg || typeof msg.id !== 'number' || seen[msg.id]) return;
    lastId = Math.max(lastId, msg.id);
    var mine = msg.client_id && pending.filter(function (p) { return p.id === msg.client_id; })[0];
    if (mine) { confirm(mine, msg.id, msg.at); return; }
    if (!ui) return;
    var m = messageEl(msg.kind === 'customer' || msg.kind === 'operator' ? msg.kind : 'system', String(msg.text));
    m.setAttribute('data-id', String(msg.id));
    timeLabel(m, msg.at);
    seen[msg.id] = m;
    var firstPending = pending.length ? pending[0].el : null;
    ui.list.insertBefore(m, firstPending && firstPending.parentNode === ui.list ? firstPending : null);
    if (live && msg.kind !== 'customer' && !open) { unread++; showBadge(); }
    scrollDown();
  }

  function confirm(p, id, at) {
    pending = pending.filter(function (q) { return q !== p; });
    lastId = Math.max(lastId, id);
    if (p.el) {
      p.el.removeAttribute('data-pending');
      p.el.removeAttribute('data-failed');
      p.el.setAttribute('data-id', String(id));
      if (!p.el.querySelector('time')) timeLabel(p.el, at);
      seen[id] = p.el;
    }
  }

  /* ---- sending ------------------------------------------------------------- */
  var seq = 0;
  function submit() {
    if (!ui) return;
    var text = ui.input.value;
    if (!text.trim()) return;
    if (ui.picker && !ui.picker.hasAttribute('hidden') && !ui.picker.value) {
      setStatus(t.chooseDepartment);
      ui.picker.focus();
      return;
    }
    ui.input.value = '';
    var p = { id: 'c' + Date.now().toString(36) + '-' + (++seq) + '-' + Math.random().toString(36).slice(2, 8), text: text };
    if (!started() && department) p.department = department;
    p.el = messageEl('customer', text);
    p.el.setAttribute('data-pending', '');
    ui.list.appendChild(p.el);
    pending.push(p);
    showPicker();
    scrollDown();
    if (ready) transmit(p);
  }

  function transmit(p) {
    if (!ws || !ready) return;
    var f = { type: 'send', id: p.id, text: p.text };
    if (p.department) f.department = p.department;
    ws.send(JSON.stringify(f));
  }

  function flushAttrs() {
    var keys = Object.keys(attrs);
    if (!ready || !ws || !keys.length) return;
    var batch = {};
    keys.slice(0, 32).forEach(function (k) { batch[k] = attrs[k]; delete attrs[k]; });
    ws.send(JSON.stringify({ type: 'attributes', attributes: batch }));
  }

  /* ---- the socket ------------------------------------------------------------ */
  function hello() {
    if (identityChanged) {   /* another customer's history: start afresh */
      identityChanged = false;
      lastId = 0;
      seen = {};
      if (ui) Array.prototype.slice.call(ui.list.querySelectorAll('[data-tsunagu="message"]:not([data-pending])'))
        .forEach(function (m) { m.parentNode.removeChild(m); });
    }
    var frame = {
      type: 'hello', channel: channel, last_id: lastId,
      page: { url: location.href.slice(0, 2048), referrer: (document.referrer || '').slice(0, 2048), language: (navigator.language || '').slice(0, 35) }
    };
    if (token) frame.token = token;
    if (user) frame.user = user;
    if (department) frame.department = department;
    ws.send(JSON.stringify(frame));
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        token = f.token; save('token', token);
        settings = f.widget || {};
        if (!ui && !shouldShow(settings)) { fatal = true; ws.close(); return; }
        buildUi();
        setStatus('');
        retryMs = 1000;
        break;
      case 'history':
        (f.messages || []).forEach(function (m) { show(m, false); });
        showPicker();
        if (!f.more) {
          ready = true;
          pending.forEach(transmit);   /* same ids: a stored one is acked, not stored twice */
          flushAttrs();
        }
        break;
      case 'ack': {
        var p = pending.filter(function (q) { return q.id === f.id; })[0];
        if (p) confirm(p, f.message_id);
        break;
      }
      case 'message':
        show(f.message, true);
        break;
      case 'error':
        onError(f);
        break;
    }
  }

  function failPending(id, text) {
    var p = pending.filter(function (q) { return q.id === id; })[0];
    if (!p) return;
    pending = pending.filter(function (q) { return q !== p; });
    if (p.el) p.el.setAttribute('data-failed', '');
    setStatus(text);
  }

  function onError(f) {
    switch (f.code) {
      case 'bad_token': token = null; save('token', null); reconnectSoon(0); break;
      case 'identity_invalid': user = null; reconnectSoon(0); break;
      case 'origin_not_allowed': case 'bad_channel':
        fatal = true;
        if (window.console) console.warn('tsunagu widget: ' + f.code + ': ' + f.message);
        if (ui) ui.root.setAttribute('hidden', '');
        break;
      case 'rate_limited':
        setStatus(t.rate);
        if (f.id) setTimeout(function () {
          var p = pending.filter(function (q) { return q.id === f.id; })[0];
          if (p) { setStatus(''); transmit(p); }
        }, Math.min(f.retry_after_ms || 1000, 60000));
        break;
      case 'too_large': failPending(f.id, t.tooLarge); break;
      case 'bad_frame': failPending(f.id, t.failed); break;
      case 'not_stored': case 'unavailable': setStatus(t.unavailable); break;
      default: if (window.console) console.warn('tsunagu widget: ' + f.code);
    }
  }

  function reconnectSoon(ms) {
    if (retryTimer || fatal) return;
    if (ws) { try { ws.close(); } catch (e) { /* already closing */ } }
    retryTimer = setTimeout(function () { retryTimer = null; connect(); }, ms);
  }

  function connect() {
    if (fatal) return;
    ready = false;
    var sock = new WebSocket(wsUrl);
    ws = sock;
    sock.onopen = function () { if (ws === sock) hello(); };
    sock.onmessage = function (e) {
      if (ws !== sock) return;
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f && typeof f.type === 'string') onFrame(f);
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null; ready = false;
      if (fatal) return;
      if (ui) setStatus(t.reconnecting);
      var wait = retryMs + Math.floor(Math.random() * 500);
      retryMs = Math.min(retryMs * 2, 30000);
      if (!retryTimer) retryTimer = setTimeout(function () { retryTimer = null; connect(); }, wait);
    };
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', connect);
  else connect();
})();
