/* Validation of JSON request bodies and members: the untrusted side of the
 * API's JSON (fuzzed by tests/fuzz/http/fuzz_json_body.c). */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "http_parse.h"

int tsunagu_api_parse_body(const char *content_type, const char *body, size_t len, json_t **out,
			   const char **why)
{
	json_error_t jerr;
	char *media = tsunagu_http_media_type(content_type);
	json_t *j;
	int ret = -EINVAL;

	*out = NULL;
	if (!media || strcmp(media, "application/json") != 0) {
		*why = "the body must be application/json";
		goto out;
	}
	if (!body || len == 0) {
		*why = "the body must be a JSON object";
		goto out;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		*why = "the body is not valid JSON";
		goto out;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*why = "the body must be a JSON object";
		goto out;
	}
	*out = j;
	ret = 0;
out:
	g_free(media);
	return ret;
}

int tsunagu_api_get_string(json_t *obj, const char *key, size_t max_len, const char **out)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	const char *s;
	size_t len;

	*out = NULL;
	if (!v || json_is_null(v))
		return -ENOENT;
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > max_len || strlen(s) != len)
		return -EINVAL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if ((*c < 0x20 && *c != '\t' && *c != '\n') || *c == 0x7f)
			return -EINVAL;
	*out = s;
	return 0;
}

json_t *tsunagu_api_time(int64_t us)
{
	GDateTime *dt;
	char *s;
	json_t *j;

	if (us == 0)
		return json_null();
	dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	if (!dt)
		return json_null();
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
	j = json_sprintf("%s.%03dZ", s, (int)((us % G_USEC_PER_SEC) / 1000));
	g_free(s);
	g_date_time_unref(dt);
	return j;
}

bool tsunagu_api_param_id(const tsunagu_api_call *call, guint i, int64_t *id)
{
	const char *s = i < call->params->len ? call->params->pdata[i] : NULL;
	char *end = NULL;
	long long v;

	if (!s || !g_ascii_isdigit(s[0]))
		return false;
	v = g_ascii_strtoll(s, &end, 10);
	if (!end || *end || v <= 0)
		return false;
	*id = v;
	return true;
}
