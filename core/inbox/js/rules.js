// The rules page (admins only; #/rules): the route rules with enable /
// disable toggles, move up / down and delete; a file editor with a line
// number gutter where errors are marked beside their lines; Validate, Dry
// run (the draft against the last N conversations), Save and Reload.
// Rule names, rule text and every value from the server are set as text.
//
// The code editor is a plain textarea: the composer's Enter/IME handling
// does not apply. Tab inserts two spaces; Escape then Tab leaves the editor
// (so keyboard users are never trapped).
import { get, post, put, api, errorCode, seg } from './api.js';
import { t } from './i18n.js';
import { $, el, toast } from './dom.js';

const INDENT = '  ';

export class RulesPage {
  constructor() {
    this.file = null;     // the file in the editor
    this.version = null;  // its version when read (the save sends it back)
    this.errors = [];     // [{file, line, message}] of the last check
    this.tabLeaves = false;
    this.busy = false;
    const text = $('rules-text');
    text.addEventListener('input', () => { this.renderGutter(); this.dirty(true); });
    text.addEventListener('scroll', () => { $('rules-gutter').scrollTop = text.scrollTop; });
    text.addEventListener('keydown', (e) => this.onKey(e));
    $('rules-file').addEventListener('change', (e) => this.openFile(e.target.value));
    $('rules-validate').addEventListener('click', () => this.validate());
    $('rules-dry-run').addEventListener('click', () => this.dryRun());
    $('rules-save').addEventListener('click', () => this.save());
    $('rules-reload').addEventListener('click', () => this.reload());
  }

  async open() {
    await this.loadList();
    const r = await get('/api/v1/rules/files');
    const sel = $('rules-file');
    sel.replaceChildren();
    const files = r.status === 200 && r.json ? r.json.files : [];
    for (const f of files) sel.append(el('option', { text: f.name, attrs: { value: f.name } }));
    const want = files.some((f) => f.name === this.file) ? this.file : (files[0] && files[0].name);
    if (want) { sel.value = want; await this.openFile(want); }
  }

  // ---- the list of route rules ------------------------------------------------

  async loadList() {
    const r = await get('/api/v1/rules/routes');
    const box = $('rules-list');
    box.replaceChildren();
    $('rules-list-error').hidden = r.status === 200;
    if (r.status !== 200 || !r.json) { $('rules-list-error').textContent = t('rules_load_error'); return; }
    $('rules-generation').textContent = t('rules_generation', { n: r.json.generation });
    // the files are what an edit changes; when they do not compile, show the live rules
    const rules = r.json.files || r.json.live;
    const perFile = new Map();
    for (const rule of rules) perFile.set(rule.file, (perFile.get(rule.file) || 0) + 1);
    const seen = new Map();
    for (const rule of rules) {
      const pos = (seen.get(rule.file) || 0) + 1;
      seen.set(rule.file, pos);
      box.append(this.ruleItem(rule, pos, perFile.get(rule.file), !r.json.files));
    }
    if (r.json.file_errors && r.json.file_errors.length)
      this.showErrors(r.json.file_errors, t('rules_files_broken'));
  }

  ruleItem(rule, pos, count, readOnly) {
    const toggle = el('input', { attrs: { type: 'checkbox', 'aria-label': t('rules_enabled') } });
    toggle.checked = rule.enabled;
    toggle.disabled = readOnly;
    toggle.addEventListener('change', () => this.edit(toggle.checked ? 'enable' : 'disable', rule.name));
    const up = el('button', { class: 'btn btn-ghost', text: '↑', attrs: { type: 'button', 'aria-label': t('rules_move_up') } });
    const down = el('button', { class: 'btn btn-ghost', text: '↓', attrs: { type: 'button', 'aria-label': t('rules_move_down') } });
    const del = el('button', { class: 'btn btn-ghost danger', text: t('rules_delete'), attrs: { type: 'button' } });
    up.disabled = readOnly || pos === 1;
    down.disabled = readOnly || pos === count;
    del.disabled = readOnly;
    up.addEventListener('click', () => this.edit('move', rule.name, pos - 1));
    down.addEventListener('click', () => this.edit('move', rule.name, pos + 1));
    del.addEventListener('click', () => {
      if (window.confirm(t('rules_delete_confirm', { name: rule.name }))) this.edit('delete', rule.name);
    });
    const where = el('button', { class: 'link', text: `${rule.file}:${rule.line}`, attrs: { type: 'button' } });
    where.addEventListener('click', () => this.jumpTo(rule.file, rule.line));
    return el('li', { class: `rule-item${rule.enabled ? '' : ' rule-disabled'}`, data: { name: rule.name } },
      el('label', { class: 'rule-toggle' }, toggle),
      el('div', { class: 'rule-main' },
        el('div', { class: 'rule-name', text: rule.name }),
        el('div', { class: 'rule-meta' }, where,
          el('span', { class: 'chip', text: targetText(rule.target) }),
          el('span', { class: 'chip', text: rule.method }))),
      el('div', { class: 'rule-actions' }, up, down, del));
  }

  async edit(action, name, position) {
    if (this.busy) return;
    this.busy = true;
    const body = { name };
    if (position !== undefined) body.position = position;
    const r = await post(`/api/v1/rules/routes/${action}`, body);
    this.busy = false;
    if (r.status === 200) {
      toast(t('rules_changed'));
      await this.loadList();
      if (r.json && r.json.file === this.file) await this.openFile(this.file);
      return;
    }
    this.showRefusal(r);
    await this.loadList();
  }

  // ---- the editor ------------------------------------------------------------------

  async openFile(name) {
    const r = await get(`/api/v1/rules/files/${seg(name)}`);
    if (r.status !== 200 || !r.json) { toast(t('rules_load_error'), 'error'); return; }
    this.file = name;
    this.version = r.json.version;
    $('rules-file').value = name;
    $('rules-text').value = r.json.text;
    this.errors = [];
    this.renderGutter();
    this.dirty(false);
  }

  jumpTo(file, line) {
    const go = () => {
      const text = $('rules-text');
      const lines = text.value.split('\n');
      let at = 0;
      for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
      text.focus();
      text.setSelectionRange(at, at);
    };
    if (file === this.file) go(); else this.openFile(file).then(go);
  }

  draft() {
    return { [this.file]: $('rules-text').value };
  }

  dirty(on) {
    $('rules-dirty').hidden = !on;
  }

  onKey(e) {
    if (e.key === 'Escape') { this.tabLeaves = true; return; }
    if (e.key !== 'Tab' || e.ctrlKey || e.altKey || e.metaKey) { this.tabLeaves = false; return; }
    if (this.tabLeaves) { this.tabLeaves = false; return; } // the browser moves focus
    e.preventDefault();
    const text = e.target;
    const { selectionStart: s, selectionEnd: end, value } = text;
    if (e.shiftKey) {
      const lineStart = value.lastIndexOf('\n', s - 1) + 1;
      if (value.startsWith(INDENT, lineStart)) {
        text.setRangeText('', lineStart, lineStart + INDENT.length, 'preserve');
      }
    } else {
      text.setRangeText(INDENT, s, end, 'end');
    }
    this.renderGutter();
    this.dirty(true);
  }

  // Line numbers, with the lines that have an error marked and titled.
  renderGutter() {
    const gutter = $('rules-gutter');
    const n = $('rules-text').value.split('\n').length;
    const byLine = new Map();
    for (const e of this.errors) {
      if (e.file !== this.file) continue;
      byLine.set(e.line, (byLine.has(e.line) ? byLine.get(e.line) + '\n' : '') + e.message);
    }
    gutter.replaceChildren();
    for (let i = 1; i <= n; i++) {
      const msg = byLine.get(i);
      gutter.append(el('li', { class: msg ? 'gutter-line error' : 'gutter-line', text: String(i),
        data: { line: i }, title: msg || undefined }));
    }
    gutter.scrollTop = $('rules-text').scrollTop;
  }

  showErrors(errors, heading) {
    this.errors = errors || [];
    const box = $('rules-errors');
    box.replaceChildren();
    if (heading && this.errors.length) box.append(el('li', { class: 'errors-heading', text: heading }));
    for (const e of this.errors) {
      const where = el('button', { class: 'link', text: e.line ? `${e.file}:${e.line}` : e.file, attrs: { type: 'button' } });
      where.addEventListener('click', () => { if (e.file) this.jumpTo(e.file, e.line); });
      box.append(el('li', { class: 'rule-error' }, where, el('span', { text: ` ${e.message}` })));
    }
    this.renderGutter();
  }

  showRefusal(r) {
    const details = r.json && r.json.error && Array.isArray(r.json.error.details) ? r.json.error.details : [];
    const msg = r.json && r.json.error ? r.json.error.message : t('action_error');
    toast(msg, 'error');
    this.showErrors(details.map((d) => (typeof d === 'string' ? { file: '', line: 0, message: d } : d)), msg);
  }

  setStatus(text, kind = 'info') {
    const s = $('rules-status');
    s.textContent = text;
    s.dataset.kind = kind;
  }

  async validate() {
    if (!this.file) return;
    const r = await post('/api/v1/rules/validate', { files: this.draft() });
    if (r.status !== 200 || !r.json) { this.showRefusal(r); return; }
    this.showErrors(r.json.errors);
    this.setStatus(r.json.ok ? t('rules_valid', { n: r.json.routes.length }) : t('rules_invalid', { n: r.json.errors.length }),
      r.json.ok ? 'ok' : 'error');
  }

  async dryRun() {
    if (!this.file) return;
    const n = Math.min(500, Math.max(1, Number($('rules-dry-n').value) || 20));
    const r = await post('/api/v1/rules/dry-run', { files: this.draft(), limit: n });
    const table = $('rules-dry');
    if (r.status !== 200 || !r.json) {
      table.hidden = true;
      this.showRefusal(r);
      this.setStatus(t('rules_invalid', { n: this.errors.length }), 'error');
      return;
    }
    this.showErrors([]);
    const body = $('rules-dry-body');
    body.replaceChildren();
    for (const row of r.json.rows) body.append(dryRow(row));
    table.hidden = false;
    this.setStatus(t('rules_dry_done', { n: r.json.rows.length }), 'ok');
  }

  async save() {
    if (!this.file) return;
    const r = await put(`/api/v1/rules/files/${seg(this.file)}`,
      { text: $('rules-text').value, version: this.version });
    if (r.status === 200 && r.json) {
      this.version = r.json.version;
      this.dirty(false);
      this.showErrors(r.json.warnings && r.json.warnings.length ? r.json.warnings : [], t('rules_warnings'));
      this.setStatus(t('rules_saved'), 'ok');
      await this.loadList();
      return;
    }
    if (r.status === 409) { this.setStatus(t('rules_conflict'), 'error'); toast(t('rules_conflict'), 'error'); return; }
    this.showRefusal(r);
    this.setStatus(t('rules_not_saved'), 'error');
  }

  async reload() {
    const r = await api('POST', '/api/v1/rules/reload', {});
    if (r.status === 200) {
      this.setStatus(t('rules_reloaded', { n: r.json.generation }), 'ok');
      await this.loadList();
      return;
    }
    this.showRefusal(r);
    this.setStatus(errorCode(r) ? t('rules_reload_refused') : t('action_error'), 'error');
  }
}

function targetText(target) {
  if (!target) return t('rules_target_computed');
  switch (target.kind) {
    case 'team': return `team ${target.name}`;
    case 'operators': return [...(target.operators || []), ...(target.teams || []).map((x) => `team ${x}`)].join(', ');
    case 'last_operator': return `last_operator → ${targetText(target.fallback)}`;
    case 'crm_owner': return `crm_owner(${target.attribute}) → ${targetText(target.fallback)}`;
    default: return target.kind;
  }
}

function dryRow(row) {
  const link = el('a', { text: row.contact || row.conversation, attrs: { href: `#/conversations/${encodeURIComponent(row.conversation)}` } });
  const rule = row.default ? t('rules_default') : `${row.rule} (${row.file}:${row.line})`;
  const pick = row.would_pick
    ? `${row.would_pick.display_name} (${row.would_pick.login})`
    : t(`rules_reason_${row.reason}`);
  const errors = el('ul', { class: 'dry-errors' });
  for (const e of row.errors) errors.append(el('li', { text: `${e.file}:${e.line}: ${e.message}` }));
  return el('tr', { data: { conversation: row.conversation } },
    el('td', {}, link),
    el('td', { text: row.channel }),
    el('td', { class: 'dry-rule', text: rule }),
    el('td', { text: `${targetText(row.target)} / ${row.method}` }),
    el('td', { class: row.would_pick ? 'dry-pick' : 'dry-pick none', text: pick }),
    el('td', {}, errors));
}
