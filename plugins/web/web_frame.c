/* Parsing and checking the visitor's frames. Everything a visitor sends is
 * outside input: every length is bounded, every type checked, and a frame
 * that fails is refused whole. */
#include "web_frame.h"
#include "web_settings.h"

#include <errno.h>
#include <string.h>

static bool printable_id(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool web_text_valid(const char *text, size_t len)
{
	if (!text || len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == 0 || c == 0x7f)
			return false;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return false;
	}
	/* jansson only yields valid UTF-8; callers passing other text rely on
	 * the host's check. Whitespace-only text is no message. */
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]))
			return true;
	return false;
}

/* A member that must be a string of at most max bytes when present.
 * Returns false (bad frame) for another type or an over-long one. */
static bool opt_string(json_t *obj, const char *key, size_t max, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return false;
	*out = json_string_value(v);
	return true;
}

/* A department is a name of the widget's departments setting; whether this
 * site has it is checked by the connection (web_settings_department). */
static int parse_department(json_t *o, web_frame *f, const char **why)
{
	json_t *d = json_object_get(o, "department");
	if (!d || json_is_null(d))
		return 0;
	const char *s = json_string_value(d);
	if (!s || !web_department_name_valid(s)) {
		*why = "\"department\" is a department name (a-z 0-9 _ -, at most 32)";
		return -EINVAL;
	}
	f->department = s;
	return 0;
}

static int parse_hello(web_frame *f, const char **why)
{
	json_t *o = f->root, *user, *last;
	if (!opt_string(o, "channel", 64, &f->channel) || !f->channel || !*f->channel) {
		*why = "hello needs \"channel\": the channel key of the tag";
		return -EINVAL;
	}
	if (!opt_string(o, "token", 128, &f->token) ||
	    !opt_string(o, "conversation", 64, &f->conversation)) {
		*why = "\"token\" and \"conversation\" are short strings";
		return -EINVAL;
	}
	user = json_object_get(o, "user");
	if (user && !json_is_null(user)) {
		if (!json_is_object(user) || !opt_string(user, "id", 128, &f->user_id) ||
		    !opt_string(user, "hash", 128, &f->user_hash) || !f->user_id || !f->user_hash ||
		    !printable_id(f->user_id, 128)) {
			*why = "\"user\" is {\"id\": printable text, \"hash\": hex HMAC-SHA256}";
			return -EINVAL;
		}
	}
	last = json_object_get(o, "last_id");
	if (last && !json_is_null(last)) {
		if (!json_is_integer(last) || json_integer_value(last) < 0) {
			*why = "\"last_id\" is the last message id seen (an integer >= 0)";
			return -EINVAL;
		}
		f->last_id = json_integer_value(last);
	}
	if (parse_department(o, f, why))
		return -EINVAL;
	json_t *page = json_object_get(o, "page");
	if (page && !json_is_null(page)) {
		if (!json_is_object(page) || !opt_string(page, "url", WEB_FRAME_URL_MAX, &f->page_url) ||
		    !opt_string(page, "referrer", WEB_FRAME_URL_MAX, &f->referrer) ||
		    !opt_string(page, "language", 35, &f->language)) {
			*why = "\"page\" is {url, referrer, language} (short strings)";
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_send(web_frame *f, size_t max_text, const char **code, const char **why)
{
	if (parse_department(f->root, f, why))
		return -EINVAL;
	json_t *text = json_object_get(f->root, "text");
	if (!opt_string(f->root, "id", WEB_FRAME_ID_MAX, &f->id) || !f->id ||
	    !printable_id(f->id, WEB_FRAME_ID_MAX)) {
		*why = "send needs \"id\": the client's id of the message (printable, <= 64)";
		return -EINVAL;
	}
	if (!json_is_string(text)) {
		*why = "send needs \"text\"";
		return -EINVAL;
	}
	if (json_string_length(text) > max_text) {
		*code = WEB_ERR_TOO_LARGE;
		*why = "the message is longer than this site allows";
		return -EINVAL;
	}
	f->text = json_string_value(text);
	if (strlen(f->text) != json_string_length(text) ||
	    !web_text_valid(f->text, json_string_length(text))) {
		*why = "the text is empty or holds control characters";
		return -EINVAL;
	}
	return 0;
}

static int parse_attributes(web_frame *f, const char **why)
{
	json_t *attrs = json_object_get(f->root, "attributes");
	const char *key;
	json_t *v;
	if (!opt_string(f->root, "id", WEB_FRAME_ID_MAX, &f->id) ||
	    (f->id && !printable_id(f->id, WEB_FRAME_ID_MAX))) {
		*why = "\"id\" is printable text of at most 64 bytes";
		return -EINVAL;
	}
	if (!json_is_object(attrs) || json_object_size(attrs) == 0 ||
	    json_object_size(attrs) > WEB_FRAME_ATTRS_MAX) {
		*why = "attributes needs \"attributes\": an object of 1..32 key: string pairs";
		return -EINVAL;
	}
	json_object_foreach(attrs, key, v) {
		if (!*key || strlen(key) > 64 ||
		    !(json_is_null(v) ||
		      (json_is_string(v) && json_string_length(v) <= WEB_FRAME_ATTR_VALUE_MAX &&
		       strlen(json_string_value(v)) == json_string_length(v)))) {
			*why = "each attribute is a key of <= 64 bytes and a string of <= 1024 bytes or null";
			return -EINVAL;
		}
	}
	f->attributes = attrs;
	return 0;
}

int web_frame_parse(const char *data, size_t len, size_t max_text, web_frame *out,
		    const char **code, const char **why)
{
	json_error_t jerr;
	const char *type;
	int rc = -EINVAL;

	memset(out, 0, sizeof *out);
	*code = WEB_ERR_BAD_FRAME;
	*why = "malformed frame";
	if (len > max_text + WEB_FRAME_OVERHEAD) {
		*code = WEB_ERR_TOO_LARGE;
		*why = "the frame is larger than this site allows";
		goto out;
	}
	out->root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!out->root) {
		*code = WEB_ERR_BAD_JSON;
		*why = "not valid JSON (one UTF-8 object per message)";
		goto out;
	}
	if (!json_is_object(out->root)) {
		*why = "a frame is a JSON object";
		goto out;
	}
	type = json_string_value(json_object_get(out->root, "type"));
	if (!type) {
		*why = "a frame needs \"type\"";
		goto out;
	}
	if (strcmp(type, "hello") == 0) {
		out->type = WEB_FRAME_HELLO;
		rc = parse_hello(out, why);
	} else if (strcmp(type, "send") == 0) {
		out->type = WEB_FRAME_SEND;
		rc = parse_send(out, max_text, code, why);
	} else if (strcmp(type, "attributes") == 0) {
		out->type = WEB_FRAME_ATTRIBUTES;
		rc = parse_attributes(out, why);
	} else if (strcmp(type, "ping") == 0) {
		out->type = WEB_FRAME_PING;
		rc = 0;
	} else {
		*why = "unknown frame type";
	}
out:
	if (rc) {
		const char *id = json_string_value(json_object_get(out->root, "id"));
		char keep[WEB_FRAME_ID_MAX + 1] = "";
		if (id && printable_id(id, WEB_FRAME_ID_MAX))
			memcpy(keep, id, strlen(id) + 1);
		web_frame_clear(out);
		memcpy(out->error_id, keep, sizeof keep);
	}
	return rc;
}

void web_frame_clear(web_frame *f)
{
	if (f->root)
		json_decref(f->root);
	memset(f, 0, sizeof *f);
}
