/* Schema migrations of the SQLite backend: numbered 1..N, applied in order at
 * open, each in its own transaction together with its row in schema_version.
 * A migration, once released, never changes: a schema change is a new entry
 * at the end of the list. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"
#include "store_sqlite_checks.h"

/* 6: the full-text index moves out of the store into <store>.search, kept
 * by an indexer thread (store_sqlite_search.c), which builds it from the
 * messages at the first start. Valid on top of migration 4 or 5. */
static const char MIGRATION_6_SEARCH_APART[] = "DROP TABLE IF EXISTS messages_fts;";

/* The rows of waiting_admits for the conversation row c (an alias, or NEW
 * in a trigger) read from `rows` ("" or "conversations c, ") where cond
 * holds: the route as router_route_parse() reads it — NULL or not an
 * object: everyone; {"nobody": true}: nobody; else "all" (true), "prefer"
 * (an integer > 0), and the integers > 0 of the arrays "staff" and "teams". */
#define WAITING_ADMITS_ROWS(c, rows, cond)                                                 \
	" SELECT 'all', 0, " c ".channel = 'phone', " c ".waiting_since, " c ".id"          \
	" FROM " rows "(SELECT 1) WHERE " cond " AND (" c ".route IS NULL"                   \
	"  OR json_type(" c ".route) <> 'object' OR (json_type(" c ".route, '$.all') = 'true'" \
	"  AND " WAITING_ADMITS_SOMEBODY(c) "))"                                             \
	" UNION ALL SELECT 'staff', json_extract(" c ".route, '$.prefer'),"                \
	"  " c ".channel = 'phone', " c ".waiting_since, " c ".id"                          \
	" FROM " rows "(SELECT 1) WHERE " cond " AND json_type(" c ".route) = 'object'"      \
	"  AND " WAITING_ADMITS_SOMEBODY(c) " AND json_type(" c ".route, '$.prefer') = 'integer'" \
	"  AND json_extract(" c ".route, '$.prefer') > 0"                                   \
	WAITING_ADMITS_IDS(c, rows, cond, "staff", "$.staff")                                 \
	WAITING_ADMITS_IDS(c, rows, cond, "team", "$.teams")
#define WAITING_ADMITS_SOMEBODY(c) "json_type(" c ".route, '$.nobody') IS NOT 'true'"
#define WAITING_ADMITS_IDS(c, rows, cond, kind, path)                                     \
	" UNION ALL SELECT '" kind "', j.value, " c ".channel = 'phone', " c ".waiting_since," \
	"  " c ".id FROM " rows "json_each(" c ".route, '" path "') j WHERE " cond           \
	"  AND json_type(" c ".route) = 'object' AND " WAITING_ADMITS_SOMEBODY(c)            \
	"  AND json_type(" c ".route, '" path "') = 'array'"                                 \
	"  AND j.type = 'integer' AND j.value > 0"

/* events_type's condition from migration 10 to 13, pinned: a released
 * migration's text never changes (14 narrows the index). */
#define EVENTS_NOT_MESSAGES "type NOT LIKE 'message.%'"

/* 10: the per-message event costs (issue 3, CPU per frame). Every chat
 * message appends an event, and each index on events is one more B-tree
 * insert and one more page in the batch's WAL. events_conversation
 * (conversation_id, seq) had no reader; events_type now leaves out the
 * message events, which reports never scan (they count from the messages),
 * so a message's event updates no index but the table's own. The report
 * queries carry the index's condition (store_sqlite_reports.c) so SQLite
 * may use it. Idempotent and valid on top of migration 7 whatever the
 * migrations between. */
static const char MIGRATION_10_EVENT_INDEXES[] =
	"DROP INDEX IF EXISTS events_conversation;"
	"DROP INDEX IF EXISTS events_type;"
	"CREATE INDEX events_type ON events(type, at) WHERE " EVENTS_NOT_MESSAGES ";";

/* The events table's columns after seq, the same since migration 1, and
 * migration 1's check on the payload. 11 leaves the check out: json_valid
 * per row was a tenth of a chat message's cost, and the C append path
 * keeps the guarantee instead (tsunagu_events_emit: jansson objects only;
 * the core's text composers are valid by construction, fuzzed). */
#define EVENTS_COLUMNS_AFTER_SEQ                                                          \
	"  at INTEGER NOT NULL,"                                                          \
	"  type TEXT NOT NULL,"                                                           \
	"  conversation_id INTEGER,"                                                      \
	"  actor_staff_id INTEGER,"                                                       \
	"  payload TEXT NOT NULL DEFAULT '{}'"
#define EVENTS_PAYLOAD_CHECK                                                              \
	"    CHECK (json_valid(payload) AND substr(ltrim(payload), 1, 1) = '{'));"

/* 11: the rows every chat message writes (issue 3, CPU per frame), two
 * table rebuilds that keep every row and rowid (the search index and the
 * events sockets' ?since= refer to them):
 * - messages: SQLite 3.40 checks `kind IN (five names)` by building a
 *   temporary B-tree of the five names for every INSERT (a tenth of the
 *   loop's time at full chat load); five equalities check the same thing.
 * - events: no AUTOINCREMENT, which read and rewrote sqlite_sequence at every
 *   append. The next sequence is max(seq) + 1, so a number would be reused
 *   only if the newest event were deleted: the store never deletes events
 *   and events_keep_newest refuses it. A database whose newest events were
 *   deleted before this migration keeps its mark as a placeholder event
 *   (type "store.sequence_kept") at the highest sequence handed out.
 * Idempotent (a second run copies the tables again) and valid on top of 10.
 * The copy rewrites both tables once at the upgrade (seconds per million
 * rows). */
static const char MIGRATION_11_MESSAGE_ROWS[] =
	"CREATE TABLE messages_11 ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  channel TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind = 'customer' OR kind = 'operator' OR kind = 'note'"
	"    OR kind = 'system' OR kind = 'draft'),"
	"  author_staff_id INTEGER REFERENCES staff(id),"
	"  body TEXT NOT NULL,"
	"  provider_message_id TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (channel, provider_message_id));"
	"INSERT INTO messages_11 (id, conversation_id, channel, kind, author_staff_id, body,"
	"  provider_message_id, created_at)"
	"  SELECT id, conversation_id, channel, kind, author_staff_id, body, provider_message_id,"
	"  created_at FROM messages ORDER BY id;"
	"DROP TABLE messages;"
	"ALTER TABLE messages_11 RENAME TO messages;"
	"CREATE INDEX messages_conversation ON messages(conversation_id, id);"

	"CREATE TABLE events_11 ("
	"  seq INTEGER PRIMARY KEY,"
	EVENTS_COLUMNS_AFTER_SEQ ");"
	"INSERT INTO events_11 (seq, at, type, conversation_id, actor_staff_id, payload)"
	"  SELECT seq, at, type, conversation_id, actor_staff_id, payload FROM events ORDER BY seq;"
	/* sqlite_sequence exists: migration 1 made events AUTOINCREMENT, and
	 * SQLite never drops that table. */
	"INSERT INTO events_11 (seq, at, type, payload)"
	"  SELECT q.seq, (SELECT coalesce(max(at), 0) FROM events), 'store.sequence_kept', '{}'"
	"  FROM sqlite_sequence q WHERE q.name = 'events'"
	"  AND q.seq > (SELECT coalesce(max(seq), 0) FROM events);"
	"DROP TABLE events;"
	"DELETE FROM sqlite_sequence WHERE name IN ('events', 'events_11');"
	"ALTER TABLE events_11 RENAME TO events;"
	"CREATE INDEX events_type ON events(type, at) WHERE " EVENTS_NOT_MESSAGES ";"
	"CREATE TRIGGER events_keep_newest BEFORE DELETE ON events"
	"  WHEN OLD.seq >= (SELECT max(seq) FROM events) BEGIN"
	"  SELECT RAISE(ABORT, 'the newest event is kept: its sequence would be handed out again');"
	"  END;";

/* 12: after-call work by operator. Reading an operator (staff_get: every
 * offer of a call reads the operator it rings, STAFF_COLUMNS in
 * store_sqlite_staff.c) asks whether they have a call in after-call work,
 * and no index held ended calls by operator: SQLite scanned every call ever
 * made, per read (600 calls of a benchmark made it a sixth of the store's
 * time per call; a year of calls, a stall). The partial index holds only
 * the calls in after-call work, so it stays as small as the number of
 * operators; its condition is STAFF_COLUMNS' word for word (SQLite's test
 * for using a partial index). Idempotent. */
static const char MIGRATION_12_CALLS_ACW[] =
	"CREATE INDEX IF NOT EXISTS calls_acw ON calls(staff_id)"
	"  WHERE state = 'ended' AND answered_at IS NOT NULL AND acw_ended_at IS NULL;";

/* 13: fewer WAL pages per call (issue 5, CPU per call; each index entry a
 * step rewrites is a page of that step's commit). calls_acw (12) held the
 * calls in after-call work, which calls_busy (5) holds too: the operator
 * read (STAFF_COLUMNS) now asks calls_busy with its condition word for
 * word. conversations_team (team_id, state) had no reader (no query filters
 * conversations by team; teams are never deleted). conversations_contact
 * (contact_id, channel, state) served its readers (count per contact, the
 * history's join) by its first two columns only, while its state made
 * every state change of every conversation rewrite an entry: narrowed to
 * (contact_id, channel). Idempotent. */
static const char MIGRATION_13_CALL_INDEXES[] =
	"DROP INDEX IF EXISTS calls_acw;"
	"DROP INDEX IF EXISTS conversations_team;"
	"DROP INDEX IF EXISTS conversations_contact;"
	"CREATE INDEX IF NOT EXISTS conversations_contact_channel ON conversations(contact_id, channel);";

/* 14: fewer WAL pages per call (issue 5). events_type (10, 11) held every
 * event but the messages' while the reports read five types: each of the
 * nine event types of a call landed on its own leaf page, a twelfth to a
 * fifth of the pages a call writes. Now it holds the reported types only
 * (TSUNAGU_SQLITE_EVENTS_REPORTED); the report queries repeat the condition
 * and refuse other types, as 10 did for the messages. Rebuilding it reads
 * the events table once at the upgrade. Idempotent. */
static const char MIGRATION_14_REPORTED_EVENTS[] =
	"DROP INDEX IF EXISTS events_type;"
	"CREATE INDEX events_type ON events(type, at) WHERE " TSUNAGU_SQLITE_EVENTS_REPORTED("") ";";

/* 15: conversations per contact, kept by triggers (issue 5). The rules'
 * view of every new conversation shows the contact's past conversations
 * (c.contact.past_conversations), and counting them walked every
 * conversation the contact ever had: a frequent caller's thousands, per
 * call. Now one row read; the triggers keep the count in the writing
 * transaction whatever code path inserts, deletes or moves a conversation.
 * A table of its own, not a column of contacts, so that the migration is
 * idempotent like 7 (applying it twice recounts, changes nothing). */
static const char MIGRATION_15_CONTACT_COUNTS[] =
	"CREATE TABLE IF NOT EXISTS contact_counts ("
	"  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,"
	"  conversations INTEGER NOT NULL);"
	"DELETE FROM contact_counts;"
	"INSERT INTO contact_counts (contact_id, conversations)"
	"  SELECT contact_id, count(*) FROM conversations GROUP BY contact_id;"
	"CREATE TRIGGER IF NOT EXISTS contact_counts_insert AFTER INSERT ON conversations BEGIN"
	"  INSERT INTO contact_counts (contact_id, conversations) VALUES (NEW.contact_id, 1)"
	"  ON CONFLICT (contact_id) DO UPDATE SET conversations = conversations + 1; END;"
	"CREATE TRIGGER IF NOT EXISTS contact_counts_delete AFTER DELETE ON conversations BEGIN"
	"  UPDATE contact_counts SET conversations = conversations - 1"
	"  WHERE contact_id = OLD.contact_id; END;"
	"CREATE TRIGGER IF NOT EXISTS contact_counts_move AFTER UPDATE OF contact_id"
	"  ON conversations WHEN OLD.contact_id IS NOT NEW.contact_id BEGIN"
	"  UPDATE contact_counts SET conversations = conversations - 1"
	"  WHERE contact_id = OLD.contact_id;"
	"  INSERT INTO contact_counts (contact_id, conversations) VALUES (NEW.contact_id, 1)"
	"  ON CONFLICT (contact_id) DO UPDATE SET conversations = conversations + 1; END;";

/* 16: settings as a rowid table (issue 5). WITHOUT ROWID kept each value
 * inside the primary key's b-tree, and a seek compares the key with whole
 * cells: a cell whose value overflows its page (the SIP channel's
 * extensions and trunks, tens of KiB with 300 operators) was copied out in
 * full at every comparison that reached it — most of each call's read of
 * the call queue's limit. Now the unique index holds the keys alone and
 * only the row found is read. Rebuilt keeping every row; idempotent like
 * 11 (applied again it copies again). */
static const char MIGRATION_16_SETTINGS_ROWS[] =
	"CREATE TABLE settings_16 ("
	"  id INTEGER PRIMARY KEY,"
	"  namespace TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (namespace, key));"
	"INSERT INTO settings_16 (namespace, key, value, updated_at)"
	"  SELECT namespace, key, value, updated_at FROM settings ORDER BY namespace, key;"
	"DROP TABLE settings;"
	"ALTER TABLE settings_16 RENAME TO settings;";

/* 17: the writes of a call made cheaper (issue 5, CPU per call):
 * - the CHECK constraints of the tables a call writes lose their IN lists
 *   of three or more constants, edited in the stored schema text
 *   (store_sqlite_checks.c: why, and why not a rebuild);
 * - staff_idle (status, idle_since, id) goes: staff_idle_handled (7) is
 *   the same order with two more columns, and the longest-idle pick walks
 *   that one now (store_sqlite_status.c). Each assignment and each end of
 *   after-call work moves the operator's idle_since, which rewrote an
 *   entry of both, a page of the commit each.
 * Idempotent (IF EXISTS; replace() finds nothing the second time); run by
 * tsunagu_sqlite_edit_schema_text(). */
static const char MIGRATION_17_CALL_WRITES[] =
	"DROP INDEX IF EXISTS staff_idle;"
	TSUNAGU_SQLITE_CHECKS_WITHOUT_IN;

static const char *const migrations[] = {
	/* 1: the foundation schema. Enum-like columns hold the names of
	 * store.h's enums (tsunagu_*_name) so the database reads well in SQL
	 * and reports. Times are microseconds since the epoch (UTC). */
	"CREATE TABLE staff ("
	"  id INTEGER PRIMARY KEY,"
	"  login TEXT NOT NULL UNIQUE,"
	"  display_name TEXT NOT NULL,"
	"  email TEXT,"
	"  role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),"
	"  password_hash TEXT NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
	"  created_at INTEGER NOT NULL);"

	"CREATE TABLE sessions ("
	"  token_hash TEXT PRIMARY KEY,"
	"  staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,"
	"  csrf_token TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX sessions_staff ON sessions(staff_id);"
	"CREATE INDEX sessions_expires ON sessions(expires_at);"

	"CREATE TABLE teams ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE team_members ("
	"  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
	"  staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (team_id, staff_id)) WITHOUT ROWID;"
	"CREATE INDEX team_members_staff ON team_members(staff_id);"

	"CREATE TABLE master_keywords ("
	"  key TEXT PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE,"
	"  name TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE contact_attributes ("
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  keyword TEXT NOT NULL REFERENCES master_keywords(key) ON DELETE CASCADE,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (contact_id, keyword)) WITHOUT ROWID;"
	"CREATE INDEX contact_attributes_value ON contact_attributes(keyword, value);"
	"CREATE TABLE contact_identities ("
	"  channel TEXT NOT NULL,"
	"  external_id TEXT NOT NULL,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (channel, external_id)) WITHOUT ROWID;"
	"CREATE INDEX contact_identities_contact ON contact_identities(contact_id);"
	"CREATE TABLE contact_tags ("
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL,"
	"  PRIMARY KEY (contact_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX contact_tags_tag ON contact_tags(tag);"

	"CREATE TABLE conversations ("
	"  id INTEGER PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE,"
	"  channel TEXT NOT NULL,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('waiting', 'open', 'snoozed', 'close_requested', 'closed')),"
	"  assignee_id INTEGER REFERENCES staff(id),"
	"  team_id INTEGER REFERENCES teams(id),"
	"  category TEXT,"
	"  memo TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  last_customer_message_at INTEGER,"
	"  last_operator_message_at INTEGER,"
	"  closed_at INTEGER);"
	"CREATE INDEX conversations_state ON conversations(state, updated_at);"
	"CREATE INDEX conversations_assignee ON conversations(assignee_id, state, updated_at);"
	"CREATE INDEX conversations_updated ON conversations(updated_at);"
	"CREATE INDEX conversations_contact ON conversations(contact_id, channel, state);"
	"CREATE INDEX conversations_team ON conversations(team_id, state);"

	"CREATE TABLE participants ("
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('participant', 'follower')),"
	"  joined_at INTEGER NOT NULL,"
	"  PRIMARY KEY (conversation_id, staff_id)) WITHOUT ROWID;"
	"CREATE INDEX participants_staff ON participants(staff_id);"
	"CREATE TABLE conversation_tags ("
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL,"
	"  PRIMARY KEY (conversation_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX conversation_tags_tag ON conversation_tags(tag);"

	/* channel is copied from the conversation so that the provider's
	 * message id can be unique per channel. */
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  channel TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN"
	"    ('customer', 'operator', 'note', 'system', 'draft')),"
	"  author_staff_id INTEGER REFERENCES staff(id),"
	"  body TEXT NOT NULL,"
	"  provider_message_id TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (channel, provider_message_id));"
	"CREATE INDEX messages_conversation ON messages(conversation_id, id);"
	/* External content: the text lives once, in messages; each batch's
	 * messages are indexed right before its COMMIT. detail=none keeps no
	 * positions: substring search is LIKE on this table, which narrows by
	 * trigrams and then checks the text; ingest is ~40% faster than with
	 * positions (bench-ingest) and the index smaller. */
	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	"  body, content='messages', content_rowid='id', tokenize='trigram', detail=none);"
	/* Merge index segments 8 at a time instead of 4: each batch adds one
	 * segment, and fewer, larger merges ingest ~20% faster (bench-ingest). */
	"INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 8);"

	/* AUTOINCREMENT: a sequence is never reused, even after the newest
	 * events are deleted or the process restarts. */
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	EVENTS_COLUMNS_AFTER_SEQ
	EVENTS_PAYLOAD_CHECK
	"CREATE INDEX events_conversation ON events(conversation_id, seq)"
	"  WHERE conversation_id IS NOT NULL;"
	"CREATE INDEX events_type ON events(type, at);"

	"CREATE TABLE rule_timers ("
	"  key TEXT PRIMARY KEY,"
	"  due_at INTEGER NOT NULL,"
	"  payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload))) WITHOUT ROWID;"
	"CREATE INDEX rule_timers_due ON rule_timers(due_at);",

	/* 2: settings that admins change at run time (a channel's widget
	 * settings, ...), and what a channel knows of the visitor behind a
	 * conversation (page, browser, UTM: what route rules read). */
	"CREATE TABLE settings ("
	"  namespace TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (namespace, key)) WITHOUT ROWID;"
	"ALTER TABLE conversations ADD COLUMN visitor TEXT"
	"  CHECK (visitor IS NULL OR (json_valid(visitor) AND substr(ltrim(visitor), 1, 1) = '{'));",

	/* 3: operator status and chat capacity (OP-2, OP-5), and the waiting
	 * list. open_chats caches how many assigned conversations are neither
	 * closed nor snoozed; triggers keep it inside the writing transaction,
	 * whatever code path assigns, closes or snoozes, so the router's
	 * capacity check also sees the writes of the open batch.
	 * last_assigned_at / handled_day / handled_today feed "longest idle"
	 * and "fewest handled today" (the local date of the server). route is
	 * the router's resolved decision, kept so that a waiting conversation
	 * can be assigned when capacity frees. */
	"ALTER TABLE staff ADD COLUMN status TEXT NOT NULL DEFAULT 'offline'"
	"  CHECK (status IN ('available', 'away', 'offline'));"
	"ALTER TABLE staff ADD COLUMN status_since INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE staff ADD COLUMN chat_capacity INTEGER NOT NULL DEFAULT 3"
	"  CHECK (chat_capacity BETWEEN 0 AND 100);"
	"ALTER TABLE staff ADD COLUMN open_chats INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE staff ADD COLUMN last_assigned_at INTEGER;"
	"ALTER TABLE staff ADD COLUMN handled_day TEXT;"
	"ALTER TABLE staff ADD COLUMN handled_today INTEGER NOT NULL DEFAULT 0;"
	/* idle_since = max(last_assigned_at, status_since): the longest-idle
	 * order, indexed so that a pick walks it instead of sorting. */
	"ALTER TABLE staff ADD COLUMN idle_since INTEGER NOT NULL DEFAULT 0;"
	"UPDATE staff SET status_since = created_at, idle_since = created_at,"
	"  open_chats = (SELECT count(*)"
	"  FROM conversations c WHERE c.assignee_id = staff.id"
	"  AND c.state NOT IN ('closed', 'snoozed'));"
	"CREATE INDEX staff_idle ON staff(status, idle_since, id);"

	"ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;"
	"ALTER TABLE conversations ADD COLUMN route TEXT"
	"  CHECK (route IS NULL OR json_valid(route));"
	"UPDATE conversations SET waiting_since = updated_at WHERE state = 'waiting';"
	"CREATE INDEX conversations_waiting ON conversations(waiting_since, id)"
	"  WHERE state = 'waiting';"
	"CREATE INDEX conversations_last_customer ON conversations(last_customer_message_at);"

	"CREATE TRIGGER conversations_open_insert AFTER INSERT ON conversations"
	"  WHEN NEW.assignee_id IS NOT NULL AND NEW.state NOT IN ('closed', 'snoozed')"
	"  BEGIN UPDATE staff SET open_chats = open_chats + 1 WHERE id = NEW.assignee_id; END;"
	"CREATE TRIGGER conversations_open_update AFTER UPDATE OF assignee_id, state"
	"  ON conversations BEGIN"
	"  UPDATE staff SET open_chats = open_chats - 1"
	"    WHERE id = OLD.assignee_id AND OLD.state NOT IN ('closed', 'snoozed');"
	"  UPDATE staff SET open_chats = open_chats + 1"
	"    WHERE id = NEW.assignee_id AND NEW.state NOT IN ('closed', 'snoozed');"
	"  END;"
	"CREATE TRIGGER conversations_open_delete AFTER DELETE ON conversations"
	"  WHEN OLD.assignee_id IS NOT NULL AND OLD.state NOT IN ('closed', 'snoozed')"
	"  BEGIN UPDATE staff SET open_chats = open_chats - 1 WHERE id = OLD.assignee_id; END;"
	"CREATE TRIGGER conversations_handled AFTER UPDATE OF assignee_id ON conversations"
	"  WHEN NEW.assignee_id IS NOT NULL AND NEW.assignee_id IS NOT OLD.assignee_id"
	"  BEGIN UPDATE staff SET last_assigned_at = NEW.updated_at,"
	"    idle_since = max(idle_since, NEW.updated_at),"
	"    handled_today = CASE WHEN handled_day ="
	"      date(NEW.updated_at / 1000000, 'unixepoch', 'localtime')"
	"      THEN handled_today + 1 ELSE 1 END,"
	"    handled_day = date(NEW.updated_at / 1000000, 'unixepoch', 'localtime')"
	"    WHERE id = NEW.assignee_id; END;",

	/* 4: the active conversation of a contact on a channel is looked up for
	 * every inbound message; ordered by rowid, this partial index answers
	 * "newest not closed" without sorting in a temporary b-tree. */
	"CREATE INDEX conversations_contact_active ON conversations(contact_id, channel)"
	"  WHERE state <> 'closed';"
	/* Delivery of every operator reply looks up the newest identity of the
	 * contact on the channel; routing to the last operator, the newest
	 * assigned conversation of the contact. Both sorted until now. */
	"DROP INDEX contact_identities_contact;"
	"CREATE INDEX contact_identities_contact ON contact_identities"
	"  (contact_id, channel, created_at DESC, external_id DESC);"
	"CREATE INDEX conversations_contact_assigned ON conversations(contact_id)"
	"  WHERE assignee_id IS NOT NULL;",

	/* 5: the assignment engine (OP-2..OP-5, RT-1..RT-6). Status sub-types
	 * that admins define per kind; a NULL staff.status_subtype is the kind's
	 * default (so deleting a sub-type moves its holders there by itself).
	 * Phone conversations count in open_phone, every other channel in
	 * open_chats: a full chat count never blocks a call. Calls are filled by
	 * the phone channel through the router; offers are the router's pending
	 * offers ('pending', with a deadline that survives a restart) and the
	 * operators already tried for a conversation ('missed', 'declined'). */
	"CREATE TABLE status_subtypes ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('available', 'away', 'offline')),"
	"  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
	"  position INTEGER NOT NULL DEFAULT 0,"
	"  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (kind, name));"
	"CREATE UNIQUE INDEX status_subtypes_default ON status_subtypes(kind)"
	"  WHERE is_default = 1;"
	"INSERT INTO status_subtypes (kind, name, position, is_default, created_at) VALUES"
	"  ('available', 'available', 0, 1, 0), ('away', 'away', 0, 1, 0),"
	"  ('offline', 'offline', 0, 1, 0);"
	"ALTER TABLE staff ADD COLUMN status_subtype INTEGER"
	"  REFERENCES status_subtypes(id) ON DELETE SET NULL;"
	"ALTER TABLE staff ADD COLUMN dnd INTEGER NOT NULL DEFAULT 0 CHECK (dnd IN (0, 1));"
	"ALTER TABLE staff ADD COLUMN inquiry_types TEXT NOT NULL DEFAULT 'both'"
	"  CHECK (inquiry_types IN ('chat', 'phone', 'both'));"
	"ALTER TABLE staff ADD COLUMN call_capacity INTEGER NOT NULL DEFAULT 1"
	"  CHECK (call_capacity BETWEEN 0 AND 100);"
	"ALTER TABLE staff ADD COLUMN chats_during_call INTEGER NOT NULL DEFAULT 0"
	"  CHECK (chats_during_call IN (0, 1));"
	"ALTER TABLE staff ADD COLUMN missed_offers INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE staff ADD COLUMN open_phone INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX staff_status_subtype ON staff(status_subtype);"

	"DROP TRIGGER conversations_open_insert;"
	"DROP TRIGGER conversations_open_update;"
	"DROP TRIGGER conversations_open_delete;"
	"CREATE TRIGGER conversations_open_insert AFTER INSERT ON conversations"
	"  WHEN NEW.assignee_id IS NOT NULL AND NEW.state NOT IN ('closed', 'snoozed')"
	"  BEGIN UPDATE staff SET open_chats = open_chats + (NEW.channel <> 'phone'),"
	"    open_phone = open_phone + (NEW.channel = 'phone') WHERE id = NEW.assignee_id; END;"
	"CREATE TRIGGER conversations_open_update AFTER UPDATE OF assignee_id, state"
	"  ON conversations BEGIN"
	"  UPDATE staff SET open_chats = open_chats - (OLD.channel <> 'phone'),"
	"    open_phone = open_phone - (OLD.channel = 'phone')"
	"    WHERE id = OLD.assignee_id AND OLD.state NOT IN ('closed', 'snoozed');"
	"  UPDATE staff SET open_chats = open_chats + (NEW.channel <> 'phone'),"
	"    open_phone = open_phone + (NEW.channel = 'phone')"
	"    WHERE id = NEW.assignee_id AND NEW.state NOT IN ('closed', 'snoozed');"
	"  END;"
	"CREATE TRIGGER conversations_open_delete AFTER DELETE ON conversations"
	"  WHEN OLD.assignee_id IS NOT NULL AND OLD.state NOT IN ('closed', 'snoozed')"
	"  BEGIN UPDATE staff SET open_chats = open_chats - (OLD.channel <> 'phone'),"
	"    open_phone = open_phone - (OLD.channel = 'phone') WHERE id = OLD.assignee_id; END;"
	"UPDATE staff SET"
	"  open_chats = (SELECT count(*) FROM conversations c WHERE c.assignee_id = staff.id"
	"    AND c.state NOT IN ('closed', 'snoozed') AND c.channel <> 'phone'),"
	"  open_phone = (SELECT count(*) FROM conversations c WHERE c.assignee_id = staff.id"
	"    AND c.state NOT IN ('closed', 'snoozed') AND c.channel = 'phone');"

	"CREATE TABLE calls ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,"
	"  direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'ringing', 'talking', 'ended')),"
	"  missed_reason TEXT CHECK (missed_reason IS NULL OR missed_reason IN"
	"    ('notInOperation', 'noOperator', 'ringTimeout', 'userLeft')),"
	"  queued_at INTEGER NOT NULL,"
	"  ringing_at INTEGER,"
	"  answered_at INTEGER,"
	"  ended_at INTEGER,"
	"  acw_ended_at INTEGER);"
	"CREATE INDEX calls_conversation ON calls(conversation_id, id);"
	/* An operator is busy for calls while a call of theirs rings or talks,
	 * and after an answered call until its conversation is closed or
	 * snoozed (after-call work): the partial index answers that per staff. */
	"CREATE INDEX calls_busy ON calls(staff_id) WHERE state IN ('ringing', 'talking')"
	"  OR (state = 'ended' AND answered_at IS NOT NULL AND acw_ended_at IS NULL);"
	/* Longest idle for calls (seed 003): idle from the moment after-call
	 * work ended, when the operator could take a call again. */
	"CREATE TRIGGER calls_acw_ended AFTER UPDATE OF acw_ended_at ON calls"
	"  WHEN NEW.acw_ended_at IS NOT NULL AND OLD.acw_ended_at IS NULL"
	"  AND NEW.staff_id IS NOT NULL"
	"  BEGIN UPDATE staff SET idle_since = max(idle_since, NEW.acw_ended_at)"
	"    WHERE id = NEW.staff_id; END;"

	"CREATE TABLE offers ("
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('chat', 'call')),"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'missed', 'declined')),"
	"  deadline INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (conversation_id, staff_id)) WITHOUT ROWID;"
	"CREATE INDEX offers_due ON offers(deadline) WHERE state = 'pending';"
	"CREATE INDEX offers_staff ON offers(staff_id, kind) WHERE state = 'pending';",

	MIGRATION_6_SEARCH_APART,

	/* 7: the router's decision latency (issue 4, item 7b). Self-contained:
	 * valid on top of schema 5 whatever migration precedes it, and idempotent
	 * (IF NOT EXISTS, INSERT OR IGNORE): applying it twice changes nothing.
	 * waiting_admits lists, per waiting conversation, who its route admits
	 * (store_sqlite_admits.c): ('all', 0) for NULL, non-object or "all"
	 * routes, ('staff', id) for each of "staff" and "prefer", ('team', id)
	 * for each of "teams" — exactly what router_route_parse() reads, so the
	 * router finds the oldest conversation an operator may take by a few
	 * index seeks instead of reading every route. Triggers keep it in the
	 * writing transaction whatever code path writes a conversation.
	 * "Fewest handled today" walks instead of sorting everyone available:
	 * staff_idle_handled for those with none today (longest idle order; the
	 * day and count in the index let SQLite skip the others without
	 * reading their rows), then staff_fewest for those with some. */
	"CREATE TABLE IF NOT EXISTS waiting_admits ("
	"  kind TEXT NOT NULL CHECK (kind IN ('all', 'staff', 'team')),"
	"  ref INTEGER NOT NULL,"
	"  phone INTEGER NOT NULL CHECK (phone IN (0, 1)),"
	"  waiting_since INTEGER NOT NULL,"
	"  conversation_id INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, ref, phone, waiting_since, conversation_id)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS waiting_admits_conversation ON waiting_admits(conversation_id);"
	"CREATE TRIGGER IF NOT EXISTS waiting_admits_insert AFTER INSERT ON conversations"
	"  WHEN NEW.state = 'waiting' AND NEW.waiting_since IS NOT NULL BEGIN"
	"  INSERT OR IGNORE INTO waiting_admits"
	WAITING_ADMITS_ROWS("NEW", "", "1") ";"
	"  END;"
	"CREATE TRIGGER IF NOT EXISTS waiting_admits_update AFTER UPDATE OF state, route, waiting_since, channel"
	"  ON conversations BEGIN"
	"  DELETE FROM waiting_admits WHERE conversation_id = OLD.id;"
	"  INSERT OR IGNORE INTO waiting_admits"
	WAITING_ADMITS_ROWS("NEW", "", "NEW.state = 'waiting' AND NEW.waiting_since IS NOT NULL") ";"
	"  END;"
	"CREATE TRIGGER IF NOT EXISTS waiting_admits_delete AFTER DELETE ON conversations BEGIN"
	"  DELETE FROM waiting_admits WHERE conversation_id = OLD.id; END;"
	"INSERT OR IGNORE INTO waiting_admits"
	WAITING_ADMITS_ROWS("c", "conversations c, ", "c.state = 'waiting' AND c.waiting_since IS NOT NULL") ";"
	"CREATE INDEX IF NOT EXISTS staff_idle_handled ON staff"
	"  (status, idle_since, id, handled_day, handled_today);"
	"CREATE INDEX IF NOT EXISTS staff_fewest ON staff(status, handled_day, handled_today, idle_since, id);",

	/* 8: calls from phone channels (issue 5, ABI 1.2). Self-contained and
	 * idempotent like 7 (IF NOT EXISTS): applying it twice changes nothing.
	 * call_origins holds, per call that has any: provider_call_id (e.g. the
	 * SIP Call-ID; unique, so a repeated call_incoming() is one call), line
	 * (the number or trunk called: the guidance set), disposition (what
	 * the engine decided when the call came in: 'queued', or the missed
	 * reason the channel is about to report — such a call never rings)
	 * and linked_conversation_id (the missed call's conversation a
	 * call-back answers, TEL-1). calls_waiting counts the call queue for
	 * the admin's limit; calls_queued_at serves the calls report. */
	"CREATE TABLE IF NOT EXISTS call_origins ("
	"  call_id INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,"
	"  provider_call_id TEXT,"
	"  line TEXT,"
	"  disposition TEXT CHECK (disposition IS NULL OR disposition IN"
	"    ('queued', 'notInOperation', 'noOperator')),"
	"  linked_conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,"
	/* rounds of ringing every eligible operator that ended unanswered
	 * (routing.ring_rounds) */
	"  ring_rounds INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX IF NOT EXISTS call_origins_provider ON call_origins(provider_call_id)"
	"  WHERE provider_call_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS calls_waiting ON calls(queued_at, id)"
	"  WHERE state IN ('queued', 'ringing');"
	"CREATE INDEX IF NOT EXISTS calls_queued_at ON calls(queued_at);",

	/* 9: the voice guidance library (TEL-5, store_guidance.h). Self-contained
	 * and idempotent, like 7. The files are <data>/guidance/<id>-<sha256>.wav;
	 * sha256 is of the normalized samples. A set cell keeps its guidance
	 * from being deleted (RESTRICT: the API answers 409 first). */
	"CREATE TABLE IF NOT EXISTS guidance ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),"
	"  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
	"  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
	"  created_at INTEGER NOT NULL,"
	"  created_by INTEGER REFERENCES staff(id) ON DELETE SET NULL);"
	"CREATE TABLE IF NOT EXISTS guidance_sets ("
	"  line TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('welcome', 'queue', 'busy', 'out_of_hours')),"
	"  guidance_id INTEGER NOT NULL REFERENCES guidance(id) ON DELETE RESTRICT,"
	"  PRIMARY KEY (line, kind)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS guidance_sets_guidance ON guidance_sets(guidance_id);",

	MIGRATION_10_EVENT_INDEXES,
	MIGRATION_11_MESSAGE_ROWS,
	MIGRATION_12_CALLS_ACW,
	MIGRATION_13_CALL_INDEXES,
	MIGRATION_14_REPORTED_EVENTS,
	MIGRATION_15_CONTACT_COUNTS,
	MIGRATION_16_SETTINGS_ROWS,
	MIGRATION_17_CALL_WRITES,
};

/* Migrations that edit the stored schema text instead of running DDL. */
#define MIGRATION_EDITS_SCHEMA_TEXT(number) ((number) == 17)

int tsunagu_sqlite_migrations_latest(void)
{
	return (int)G_N_ELEMENTS(migrations);
}

int tsunagu_sqlite_exec(tsunagu_sqlite *sq, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(sq->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		tlog_error("%s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
	}
	return 0;
}

/* The applied version, read inside the caller's transaction. */
static int read_version(tsunagu_sqlite *sq, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sq->db, "SELECT coalesce(max(version), 0) FROM schema_version",
				    -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "reading schema_version");
	sqlite3_finalize(st);
	return r;
}

static int record_version(tsunagu_sqlite *sq, int version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sq->db,
				    "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
				    -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, version);
		sqlite3_bind_int64(st, 2, tsunagu_sqlite_now_us());
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "recording migration");
	sqlite3_finalize(st);
	return r;
}

int tsunagu_sqlite_migrate(tsunagu_sqlite *sq, int *version_out)
{
	int latest = tsunagu_sqlite_migrations_latest();
	int version = 0;
	int r;

	r = tsunagu_sqlite_exec(sq, "CREATE TABLE IF NOT EXISTS schema_version ("
				"  version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
				"creating schema_version");
	if (r < 0)
		return r;
	for (;;) {
		/* The version is read under the write lock, so two processes
		 * opening one new file never apply a migration twice. */
		r = tsunagu_sqlite_exec(sq, "BEGIN IMMEDIATE", "starting a migration");
		if (r < 0)
			return r;
		r = read_version(sq, &version);
		if (r < 0)
			goto fail;
		if (version > latest) {
			tlog_error("%s has schema version %d, newer than this program (%d); "
				   "refusing to open it", sq->path, version, latest);
			r = -EPROTO;
			goto fail;
		}
		if (version == latest)
			break;
		if (MIGRATION_EDITS_SCHEMA_TEXT(version + 1))
			r = tsunagu_sqlite_edit_schema_text(sq, migrations[version]);
		else
			r = tsunagu_sqlite_exec(sq, migrations[version], "applying a migration");
		if (r < 0) {
			tlog_error("migration %d failed; the database stays at version %d",
				   version + 1, version);
			goto fail;
		}
		r = record_version(sq, version + 1);
		if (r < 0)
			goto fail;
		r = tsunagu_sqlite_exec(sq, "COMMIT", "committing a migration");
		if (r < 0)
			goto fail;
		tlog_info("applied migration %d", version + 1);
	}
	r = tsunagu_sqlite_exec(sq, "COMMIT", "ending the migration check");
	if (r < 0)
		goto fail;
	*version_out = version;
	return 0;
fail:
	if (!sqlite3_get_autocommit(sq->db))
		tsunagu_sqlite_exec(sq, "ROLLBACK", "rolling back a migration");
	return r;
}
