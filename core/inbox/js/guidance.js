// The voice guidance page (admins only; #/guidance, TEL-5, docs/guidance.md):
// upload an audio file (the server normalizes it and says why when it
// cannot), the library with duration, size, a preview player and delete,
// and the guidance sets: one row per line ("" is the default set), one
// select per kind. Names and lines are the admins' text: set as text.
import { get, put, del, sendRaw, errorCode, errorMessage, seg } from './api.js';
import { t } from './i18n.js';
import { $, el, toast, formatDuration } from './dom.js';

export const KINDS = ['welcome', 'queue', 'busy', 'out_of_hours'];

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export class GuidancePage {
  constructor() {
    this.items = [];   // the library, by name
    this.lines = [];   // the rows of the set table, '' first
    this.sets = {};    // {line: {kind: id}} as last read or edited
    this.shown = false;
    this.editing = false; // the set table has changes not saved yet
    $('guidance-upload').addEventListener('submit', (e) => { e.preventDefault(); this.upload(); });
    $('guidance-add-line').addEventListener('submit', (e) => { e.preventDefault(); this.addLine(); });
    $('guidance-save-sets').addEventListener('click', () => this.saveSets());
  }

  show() {
    this.shown = true;
    this.refresh();
  }

  hide() { this.shown = false; }

  // Another admin changed something (guidance.* events): read it again,
  // unless this admin is editing the sets.
  onEvent(ev) {
    if (this.shown && (ev.type || '').startsWith('guidance.') && !this.editing) this.refresh();
  }

  async refresh() {
    const [lib, sets] = await Promise.all([get('/api/v1/guidance'), get('/api/v1/guidance/sets')]);
    const ok = lib.status === 200 && lib.json && sets.status === 200 && sets.json;
    $('guidance-load-error').hidden = ok;
    $('guidance-load-error').textContent = ok ? '' : t('guidance_load_error');
    if (!ok) return;
    this.items = lib.json.guidance;
    this.sets = sets.json.sets || {};
    this.lines = ['', ...Object.keys(this.sets).filter((l) => l !== '').sort()];
    this.editing = false;
    this.render();
  }

  render() {
    $('guidance-empty').hidden = this.items.length > 0;
    $('guidance-list').replaceChildren(...this.items.map((g) => this.row(g)));
    $('guidance-sets').replaceChildren(...this.lines.map((l) => this.setRow(l)));
  }

  row(g) {
    const audio = el('audio', { attrs: { controls: '', preload: 'none', src: g.audio_url || `/api/v1/guidance/${seg(g.id)}/audio` } });
    const remove = el('button', { class: 'btn btn-ghost danger', text: t('delete'), attrs: { type: 'button' }, data: { action: 'delete' } });
    remove.addEventListener('click', () => this.remove(g, remove));
    return el('tr', { data: { guidance: String(g.id) } },
      el('td', { class: 'guidance-name', text: g.name }),
      el('td', { class: 'guidance-duration num', text: formatDuration(g.duration_ms) }),
      el('td', { class: 'guidance-size num', text: formatBytes(g.bytes) }),
      el('td', {}, audio),
      el('td', {}, remove));
  }

  setRow(line) {
    const cells = KINDS.map((kind) => {
      const sel = el('select', { attrs: { 'aria-label': `${line || t('guidance_default_line')} ${t(`guidance_kind_${kind}`)}` }, data: { kind } });
      sel.append(el('option', { text: t('guidance_none'), attrs: { value: '' } }));
      for (const g of this.items) sel.append(el('option', { text: g.name, attrs: { value: String(g.id) } }));
      const cur = this.sets[line] && this.sets[line][kind];
      sel.value = cur ? String(cur) : '';
      sel.addEventListener('change', () => {
        this.editing = true;
        if (!this.sets[line]) this.sets[line] = {};
        this.sets[line][kind] = sel.value ? Number(sel.value) : null;
      });
      return el('td', {}, sel);
    });
    const name = el('th', { class: line ? 'guidance-line' : 'guidance-line default', text: line || t('guidance_default_line'), attrs: { scope: 'row' } });
    return el('tr', { data: { line } }, name, ...cells);
  }

  addLine() {
    const input = $('guidance-new-line');
    const line = input.value.trim();
    if (!line) return;
    if (!this.lines.includes(line)) {
      this.lines.push(line);
      this.editing = true;
      $('guidance-sets').append(this.setRow(line));
    }
    input.value = '';
  }

  async saveSets() {
    const sets = {};
    for (const line of this.lines) {
      const cells = this.sets[line] || {};
      sets[line] = {};
      for (const kind of KINDS) sets[line][kind] = cells[kind] || null;
    }
    const r = await put('/api/v1/guidance/sets', { sets });
    if (r.status === 200 && r.json) {
      toast(t('saved'));
      this.editing = false;
      await this.refresh();
    } else {
      toast(`${t('action_error')}: ${errorMessage(r)}`, 'error');
    }
  }

  async upload() {
    const form = $('guidance-upload');
    const file = $('guidance-file').files[0];
    const name = $('guidance-name').value.trim() || (file ? file.name.replace(/\.[^.]*$/, '') : '');
    const status = $('guidance-upload-status');
    status.dataset.kind = '';
    if (!file) return;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    status.textContent = t('guidance_uploading');
    const r = await sendRaw('POST', `/api/v1/guidance?name=${encodeURIComponent(name)}`, file,
      file.type || 'application/octet-stream');
    button.disabled = false;
    if ((r.status === 200 || r.status === 201) && r.json) {
      const g = r.json.guidance;
      status.textContent = t(r.json.replaced ? 'guidance_replaced' : 'guidance_uploaded',
        { name: g.name, duration: formatDuration(g.duration_ms) });
      form.reset();
      await this.refresh();
      return;
    }
    // the server says why (not audio, empty, too long, too large ...)
    const why = errorMessage(r) || t(r.status === 413 ? 'guidance_too_large' : 'action_error');
    status.dataset.kind = 'error';
    status.textContent = `${t('guidance_upload_refused')}: ${why}`;
  }

  async remove(g, button) {
    button.disabled = true;
    const r = await del(`/api/v1/guidance/${seg(g.id)}`);
    button.disabled = false;
    if (r.status === 204) {
      toast(t('guidance_deleted', { name: g.name }));
      await this.refresh();
    } else if (errorCode(r) === 'conflict') {
      toast(t('guidance_in_use', { name: g.name }), 'error');
    } else {
      toast(t('action_error'), 'error');
    }
  }
}
