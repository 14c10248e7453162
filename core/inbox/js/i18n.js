// Every string of the inbox, one table per language. The language comes from
// the browser (ja* -> Japanese, anything else -> English) unless the operator
// picked one with the switch in the header (kept in localStorage).
// Values are plain text: they are always set with textContent.

const strings = {
  ja: {
    language: '言語',
    login_title: 'オペレーターログイン',
    login_id: 'ログインID',
    password: 'パスワード',
    login: 'ログイン',
    logout: 'ログアウト',
    login_failed: 'ログインIDまたはパスワードが違います',
    login_locked: '試行回数が多すぎます。しばらくしてからもう一度お試しください',
    login_error: 'ログインできませんでした',
    my_status: '自分のステータス',
    status_available: 'オンライン',
    status_away: '離席中',
    status_offline: 'オフライン',
    role_operator: 'オペレーター',
    role_supervisor: 'スーパーバイザー',
    role_admin: '管理者',
    view_all: 'すべて',
    view_mine: '接客中',
    view_waiting: '接客待ち',
    view_unreplied: '未返信',
    view_replied: '返信済み',
    view_snoozed: '保留中',
    view_closed: '完了',
    channel: 'チャネル',
    all_channels: 'すべてのチャネル',
    list_empty: 'この一覧に会話はありません',
    list_error: '一覧を読み込めませんでした',
    select_conversation: '左の一覧から会話を選んでください',
    back: '← 一覧',
    assignee: '担当',
    unassigned: '未割り当て',
    copy_link: 'リンクをコピー',
    link_copied: 'リンクをコピーしました',
    assign: '担当者を割り当て',
    assign_title: 'オペレーターを選択',
    assign_load_error: 'オペレーターの一覧を読み込めませんでした',
    assigned_to: '{name} に割り当てました',
    over_capacity: '{name} は接客上限数を超えています',
    capacity: '{open}/{cap} 件',
    snooze: '保留',
    snooze_1h: '1時間',
    snooze_4h: '4時間',
    snooze_tomorrow: '明日の9時まで',
    snooze_none: '期限なし',
    reopen: '再開',
    close: '完了にする',
    state_waiting: '接客待ち',
    state_open: '対応中',
    state_snoozed: '保留中',
    state_close_requested: '終了リクエスト中',
    state_closed: '完了',
    mode_reply: 'お客様に返信',
    mode_note: '社内メモ',
    note_label: '社内メモ',
    join_hint: 'お客様と会話するには、この問い合わせに参加してください。',
    join: '参加する',
    joined: '参加しました',
    send: '送信',
    enter_hint: 'Enterで送信・Shift+Enterで改行',
    placeholder_reply: 'お客様へのメッセージを入力…',
    placeholder_note: '社内メモを入力(お客様には表示されません)…',
    send_error: '送信できませんでした',
    action_error: '操作できませんでした',
    not_found: 'この会話は見つかりません',
    visitor: 'ゲスト',
    you: 'あなた',
    operator_n: 'オペレーター #{id}',
    system: 'システム',
    no_messages: 'まだメッセージはありません',
    live: 'リアルタイム',
    reconnecting: '再接続中…',
    ago_now: 'たった今',
    ago_s: '{n}秒',
    ago_m: '{n}分',
    ago_h: '{h}時間{m}分',
    ago_d: '{n}日',
    waiting_for: '最終メッセージから',
    forbidden: 'この操作の権限がありません',
    conflict: 'この会話は完了しています',
    new_assigned: '新しい会話が割り当てられました',
  },
  en: {
    language: 'Language',
    login_title: 'Operator login',
    login_id: 'Login',
    password: 'Password',
    login: 'Log in',
    logout: 'Log out',
    login_failed: 'Wrong login or password',
    login_locked: 'Too many attempts. Please try again later',
    login_error: 'Could not log in',
    my_status: 'My status',
    status_available: 'Available',
    status_away: 'Away',
    status_offline: 'Offline',
    role_operator: 'Operator',
    role_supervisor: 'Supervisor',
    role_admin: 'Admin',
    view_all: 'All',
    view_mine: 'Mine',
    view_waiting: 'Waiting',
    view_unreplied: 'Unreplied',
    view_replied: 'Replied',
    view_snoozed: 'Snoozed',
    view_closed: 'Closed',
    channel: 'Channel',
    all_channels: 'All channels',
    list_empty: 'No conversations here',
    list_error: 'Could not load the list',
    select_conversation: 'Select a conversation from the list',
    back: '← List',
    assignee: 'Assignee',
    unassigned: 'Unassigned',
    copy_link: 'Copy link',
    link_copied: 'Link copied',
    assign: 'Assign',
    assign_title: 'Choose an operator',
    assign_load_error: 'Could not load the operators',
    assigned_to: 'Assigned to {name}',
    over_capacity: '{name} is over their chat capacity',
    capacity: '{open}/{cap} chats',
    snooze: 'Snooze',
    snooze_1h: '1 hour',
    snooze_4h: '4 hours',
    snooze_tomorrow: 'Until tomorrow 9:00',
    snooze_none: 'Until reopened',
    reopen: 'Reopen',
    close: 'Close',
    state_waiting: 'Waiting',
    state_open: 'Open',
    state_snoozed: 'Snoozed',
    state_close_requested: 'Close requested',
    state_closed: 'Closed',
    mode_reply: 'Reply',
    mode_note: 'Internal note',
    note_label: 'Internal note',
    join_hint: 'Join this conversation to write to the customer.',
    join: 'Join',
    joined: 'Joined',
    send: 'Send',
    enter_hint: 'Enter to send, Shift+Enter for a new line',
    placeholder_reply: 'Write to the customer…',
    placeholder_note: 'Write an internal note (the customer never sees it)…',
    send_error: 'Could not send',
    action_error: 'Could not do that',
    not_found: 'No such conversation',
    visitor: 'Visitor',
    you: 'You',
    operator_n: 'Operator #{id}',
    system: 'System',
    no_messages: 'No messages yet',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    ago_now: 'just now',
    ago_s: '{n}s',
    ago_m: '{n}m',
    ago_h: '{h}h {m}m',
    ago_d: '{n}d',
    waiting_for: 'since the last message',
    forbidden: 'Your role does not allow this',
    conflict: 'This conversation is closed',
    new_assigned: 'A new conversation was assigned to you',
  },
};

export const languages = Object.keys(strings);
let lang = pickLanguage();

function pickLanguage() {
  let saved = null;
  try { saved = localStorage.getItem('tsunagu.lang'); } catch { /* storage off */ }
  if (saved && strings[saved]) return saved;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return nav.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function language() { return lang; }

export function setLanguage(l) {
  if (!strings[l]) return;
  lang = l;
  try { localStorage.setItem('tsunagu.lang', l); } catch { /* storage off */ }
  applyStatic();
}

// t('assigned_to', {name: 'Sato'}): the string with {placeholders} filled.
export function t(key, vars) {
  let s = strings[lang][key];
  if (s === undefined) s = strings.en[key] !== undefined ? strings.en[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
  return s;
}

// Fills every element with data-i18n in the document.
export function applyStatic(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}
