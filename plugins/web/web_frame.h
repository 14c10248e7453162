/* The visitor protocol's client frames (docs/widget.md): one JSON object per
 * WebSocket text message, parsed and checked here before anything acts on
 * it. No host calls: unit-tested and fuzzed on its own.
 * Thread: any (no shared state).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_FRAME_ID_MAX 64
#define WEB_FRAME_URL_MAX 2048
#define WEB_FRAME_ATTRS_MAX 32
#define WEB_FRAME_ATTR_VALUE_MAX 1024
#define WEB_FRAME_DEPARTMENT_MAX 32
/* Room a frame may take beyond its text (hello's page URLs, JSON escapes). */
#define WEB_FRAME_OVERHEAD 8192

typedef enum {
	WEB_FRAME_HELLO = 1,
	WEB_FRAME_SEND,
	WEB_FRAME_ATTRIBUTES,
	WEB_FRAME_PING,
} web_frame_type;

/* A parsed frame. Strings are borrowed from root (NULL when absent). */
typedef struct {
	web_frame_type type;
	json_t *root;
	const char *id;           /* send (required), attributes (optional) */
	/* hello */
	const char *channel;      /* required */
	const char *token;
	const char *user_id;      /* user {id, hash}: both or neither */
	const char *user_hash;
	const char *conversation;
	int64_t last_id;          /* 0 when absent */
	const char *page_url;
	const char *referrer;
	const char *language;
	/* hello (from the page API) and send (from the widget's picker): the
	 * department the visitor chose, a name of the widget's departments
	 * setting ([a-z0-9_-], <= WEB_FRAME_DEPARTMENT_MAX); NULL when absent */
	const char *department;
	/* send */
	const char *text;
	/* attributes: a JSON object of string (or null) values, borrowed */
	json_t *attributes;
	/* After a refused frame: its "id" when it had a usable one, so the
	 * error names the message it refuses; else "". */
	char error_id[WEB_FRAME_ID_MAX + 1];
} web_frame;

/* Error codes of the protocol (the "code" of an error frame). */
#define WEB_ERR_BAD_JSON "bad_json"
#define WEB_ERR_BAD_FRAME "bad_frame"
#define WEB_ERR_TOO_LARGE "too_large"

/* Parses one message of len bytes (not NUL-terminated). max_text: the
 * longest text a send may carry, in bytes. Returns 0 with *out filled (free
 * with web_frame_clear), or -EINVAL with *code one of WEB_ERR_* and *why a
 * static sentence for the client; *out is then cleared but for error_id. */
int web_frame_parse(const char *data, size_t len, size_t max_text, web_frame *out,
		    const char **code, const char **why);
void web_frame_clear(web_frame *f);

/* Whether text is acceptable chat text: valid UTF-8, not empty, no control
 * characters other than tab and newline (CR allowed before LF). */
bool web_text_valid(const char *text, size_t len);
