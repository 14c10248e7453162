/* The plugin ABI must not change by accident: a built plugin reads these
 * structs at fixed offsets. The layout of every SDK struct is written out
 * field by field and compared with the recorded layout of this minor
 * (abi-1.3-lp64.txt); a difference fails with the differing lines. An
 * intended change appends fields (minor) and records a new file, or bumps
 * the major. Every earlier record (abi-1.0 ... abi-1.2) must still hold for
 * every field it names but `reserved` (which growth shrinks): that is what
 * lets a plugin built against 1.0 run in this host.
 * Re-record: TSUNAGU_ABI_RECORD=1 ./test_plugin_abi */
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <tsunagu/plugin.h>

/* The anchors a plugin relies on most, checked at compile time too. */
_Static_assert(offsetof(tsunagu_plugin_desc, abi_major) == 0, "abi_major first");
_Static_assert(offsetof(tsunagu_plugin_desc, abi_minor) == 4, "abi_minor second");
_Static_assert(offsetof(tsunagu_plugin_desc, struct_size) == 8, "struct_size third");
_Static_assert(offsetof(tsunagu_host_api, abi_major) == 0, "host abi_major first");
_Static_assert(offsetof(tsunagu_host_api, struct_size) == 8, "host struct_size third");
#if __SIZEOF_POINTER__ == 8 && defined(__LP64__)
_Static_assert(sizeof(tsunagu_plugin_desc) == 216, "tsunagu_plugin_desc size (LP64)");
_Static_assert(offsetof(tsunagu_plugin_desc, deliver) == 80, "deliver (LP64)");
_Static_assert(offsetof(tsunagu_plugin_desc, call_event) == 88, "1.2 call_event took reserved[0]");
_Static_assert(sizeof(tsunagu_host_api) == 512, "tsunagu_host_api size (LP64)");
_Static_assert(offsetof(tsunagu_host_api, reserved) == 376, "host reserved (LP64, 1.3)");
_Static_assert(offsetof(tsunagu_host_api, data_dir) == 368, "1.3 starts where 1.2 reserved began");
_Static_assert(offsetof(tsunagu_host_api, history) == 256, "1.1 starts where 1.0 reserved began");
_Static_assert(offsetof(tsunagu_host_api, call_incoming) == 312, "1.2 starts where 1.1 reserved began");
_Static_assert(sizeof(tsunagu_plugin_inbound) == 80, "inbound size (LP64)");
_Static_assert(sizeof(tsunagu_plugin_outbound) == 80, "outbound size (LP64)");
_Static_assert(sizeof(tsunagu_host_ws_handlers) == 64, "ws handlers size (LP64)");
_Static_assert(sizeof(tsunagu_plugin_conf_key) == 32, "conf key size (LP64)");
#endif

#define F(type, field)                                                                   \
	g_string_append_printf(out, "%s.%s %zu %zu\n", #type, #field, offsetof(type, field), \
			       sizeof(((type *)0)->field))
#define S(type) g_string_append_printf(out, "%s size %zu\n", #type, sizeof(type))

static void describe(GString *out)
{
	g_string_append_printf(out, "abi %u.%u\n", TSUNAGU_PLUGIN_ABI_MAJOR,
			       TSUNAGU_PLUGIN_ABI_MINOR);
	S(tsunagu_plugin_desc);
	F(tsunagu_plugin_desc, abi_major); F(tsunagu_plugin_desc, abi_minor);
	F(tsunagu_plugin_desc, struct_size); F(tsunagu_plugin_desc, capabilities);
	F(tsunagu_plugin_desc, name); F(tsunagu_plugin_desc, version);
	F(tsunagu_plugin_desc, description); F(tsunagu_plugin_desc, config_schema);
	F(tsunagu_plugin_desc, init); F(tsunagu_plugin_desc, start);
	F(tsunagu_plugin_desc, stop); F(tsunagu_plugin_desc, destroy);
	F(tsunagu_plugin_desc, deliver); F(tsunagu_plugin_desc, call_event);
	F(tsunagu_plugin_desc, reserved);

	S(tsunagu_host_api);
	F(tsunagu_host_api, abi_major); F(tsunagu_host_api, abi_minor);
	F(tsunagu_host_api, struct_size); F(tsunagu_host_api, flags);
	F(tsunagu_host_api, log);
	F(tsunagu_host_api, config_string); F(tsunagu_host_api, config_int);
	F(tsunagu_host_api, config_bool); F(tsunagu_host_api, config_duration_ms);
	F(tsunagu_host_api, post); F(tsunagu_host_api, timer_add);
	F(tsunagu_host_api, timer_remove); F(tsunagu_host_api, monotonic_us);
	F(tsunagu_host_api, register_channel); F(tsunagu_host_api, inbound);
	F(tsunagu_host_api, post_system_message);
	F(tsunagu_host_api, http_route); F(tsunagu_host_api, request_method);
	F(tsunagu_host_api, request_path); F(tsunagu_host_api, request_query);
	F(tsunagu_host_api, request_header); F(tsunagu_host_api, request_cookie);
	F(tsunagu_host_api, request_body); F(tsunagu_host_api, request_peer);
	F(tsunagu_host_api, response_header); F(tsunagu_host_api, respond);
	F(tsunagu_host_api, ws_route); F(tsunagu_host_api, ws_send);
	F(tsunagu_host_api, ws_close); F(tsunagu_host_api, ws_set_data);
	F(tsunagu_host_api, ws_get_data);
	F(tsunagu_host_api, alloc); F(tsunagu_host_api, free); F(tsunagu_host_api, strdup);
	F(tsunagu_host_api, history); F(tsunagu_host_api, conversation_customer);
	F(tsunagu_host_api, contact_set_attributes); F(tsunagu_host_api, setting_get);
	F(tsunagu_host_api, setting_set); F(tsunagu_host_api, http_route_staff);
	F(tsunagu_host_api, request_staff);
	F(tsunagu_host_api, call_incoming); F(tsunagu_host_api, call_answered);
	F(tsunagu_host_api, call_rejected); F(tsunagu_host_api, call_ended);
	F(tsunagu_host_api, call_missed); F(tsunagu_host_api, staff_find);
	F(tsunagu_host_api, guidance_path);
	F(tsunagu_host_api, data_dir);
	F(tsunagu_host_api, reserved);

	S(tsunagu_host_ws_handlers);
	F(tsunagu_host_ws_handlers, struct_size); F(tsunagu_host_ws_handlers, flags);
	F(tsunagu_host_ws_handlers, on_open); F(tsunagu_host_ws_handlers, on_message);
	F(tsunagu_host_ws_handlers, on_close); F(tsunagu_host_ws_handlers, reserved);

	S(tsunagu_plugin_conf_key);
	F(tsunagu_plugin_conf_key, key); F(tsunagu_plugin_conf_key, type);
	F(tsunagu_plugin_conf_key, default_value); F(tsunagu_plugin_conf_key, doc);

	S(tsunagu_plugin_inbound);
	F(tsunagu_plugin_inbound, struct_size); F(tsunagu_plugin_inbound, flags);
	F(tsunagu_plugin_inbound, channel); F(tsunagu_plugin_inbound, sender_id);
	F(tsunagu_plugin_inbound, sender_name); F(tsunagu_plugin_inbound, text);
	F(tsunagu_plugin_inbound, provider_message_id); F(tsunagu_plugin_inbound, visitor_json);
	F(tsunagu_plugin_inbound, reserved);

	S(tsunagu_plugin_outbound);
	F(tsunagu_plugin_outbound, struct_size); F(tsunagu_plugin_outbound, kind);
	F(tsunagu_plugin_outbound, channel); F(tsunagu_plugin_outbound, recipient_id);
	F(tsunagu_plugin_outbound, conversation); F(tsunagu_plugin_outbound, message_id);
	F(tsunagu_plugin_outbound, text); F(tsunagu_plugin_outbound, reserved);

	S(tsunagu_plugin_message);
	F(tsunagu_plugin_message, struct_size); F(tsunagu_plugin_message, kind);
	F(tsunagu_plugin_message, conversation); F(tsunagu_plugin_message, message_id);
	F(tsunagu_plugin_message, text); F(tsunagu_plugin_message, created_at_us);
	F(tsunagu_plugin_message, provider_message_id); F(tsunagu_plugin_message, reserved);

	S(tsunagu_plugin_attribute);
	F(tsunagu_plugin_attribute, key); F(tsunagu_plugin_attribute, value);
	F(tsunagu_plugin_attribute, status);

	S(tsunagu_plugin_call_in);
	F(tsunagu_plugin_call_in, struct_size); F(tsunagu_plugin_call_in, flags);
	F(tsunagu_plugin_call_in, channel); F(tsunagu_plugin_call_in, caller_id);
	F(tsunagu_plugin_call_in, caller_name); F(tsunagu_plugin_call_in, line);
	F(tsunagu_plugin_call_in, provider_call_id); F(tsunagu_plugin_call_in, visitor_json);
	F(tsunagu_plugin_call_in, reserved);

	S(tsunagu_plugin_call_event);
	F(tsunagu_plugin_call_event, struct_size); F(tsunagu_plugin_call_event, kind);
	F(tsunagu_plugin_call_event, call_id); F(tsunagu_plugin_call_event, conversation);
	F(tsunagu_plugin_call_event, channel); F(tsunagu_plugin_call_event, staff_id);
	F(tsunagu_plugin_call_event, staff_login); F(tsunagu_plugin_call_event, remote_id);
	F(tsunagu_plugin_call_event, provider_call_id); F(tsunagu_plugin_call_event, reason);
	F(tsunagu_plugin_call_event, reserved);

	g_string_append_printf(out, "enum msg customer=%d operator=%d system=%d\n",
			       TSUNAGU_PLUGIN_MSG_CUSTOMER, TSUNAGU_PLUGIN_MSG_OPERATOR,
			       TSUNAGU_PLUGIN_MSG_SYSTEM);
	g_string_append_printf(out, "enum conf string=%d int=%d bool=%d duration=%d\n",
			       TSUNAGU_PLUGIN_CONF_STRING, TSUNAGU_PLUGIN_CONF_INT,
			       TSUNAGU_PLUGIN_CONF_BOOL, TSUNAGU_PLUGIN_CONF_DURATION);
	g_string_append_printf(out, "enum log error=%d warn=%d info=%d debug=%d\n",
			       TSUNAGU_PLUGIN_LOG_ERROR, TSUNAGU_PLUGIN_LOG_WARN,
			       TSUNAGU_PLUGIN_LOG_INFO, TSUNAGU_PLUGIN_LOG_DEBUG);
	g_string_append_printf(out, "enum role operator=%d supervisor=%d admin=%d\n",
			       TSUNAGU_PLUGIN_ROLE_OPERATOR, TSUNAGU_PLUGIN_ROLE_SUPERVISOR,
			       TSUNAGU_PLUGIN_ROLE_ADMIN);
	g_string_append_printf(out, "caps channel=%u http=%u websocket=%u media=%u calls=%u\n",
			       TSUNAGU_PLUGIN_CAP_CHANNEL, TSUNAGU_PLUGIN_CAP_HTTP,
			       TSUNAGU_PLUGIN_CAP_WEBSOCKET, TSUNAGU_PLUGIN_CAP_MEDIA,
			       TSUNAGU_PLUGIN_CAP_CALLS);
}

static void test_layout_recorded(void)
{
	if (sizeof(void *) != 8) {
		g_test_skip("the recorded layout is for LP64");
		return;
	}
	const char *src = g_getenv("TSUNAGU_SOURCE_ROOT");
	g_assert_nonnull(src);
	char *path = g_build_filename(src, "tests", "unit", "plugins", "abi-1.3-lp64.txt", NULL);
	GString *now = g_string_new(NULL);
	describe(now);
	if (g_getenv("TSUNAGU_ABI_RECORD")) {
		g_assert_true(g_file_set_contents(path, now->str, -1, NULL));
		g_test_message("recorded %s", path);
	}
	char *recorded = NULL;
	g_assert_true(g_file_get_contents(path, &recorded, NULL, NULL));
	char **want = g_strsplit(recorded, "\n", -1);
	char **got = g_strsplit(now->str, "\n", -1);
	unsigned diffs = 0;
	for (unsigned i = 0; want[i] || got[i]; i++) {
		const char *w = want[i] ? want[i] : "(missing)";
		const char *g = got[i] ? got[i] : "(missing)";
		if (strcmp(w, g) != 0) {
			g_test_message("ABI differs: recorded \"%s\", now \"%s\"", w, g);
			diffs++;
		}
		if (!want[i] || !got[i])
			break;
	}
	g_assert_cmpuint(diffs, ==, 0);
	g_strfreev(want);
	g_strfreev(got);
	g_free(recorded);
	g_string_free(now, TRUE);
	g_free(path);
}

/* Every line of an earlier record — struct sizes, field offsets and sizes,
 * enum values — holds in this ABI, except the reserved arrays (growth takes
 * from them) and the version line. */
static void check_compatible(const char *record)
{
	if (sizeof(void *) != 8) {
		g_test_skip("the recorded layout is for LP64");
		return;
	}
	const char *src = g_getenv("TSUNAGU_SOURCE_ROOT");
	g_assert_nonnull(src);
	char *path = g_build_filename(src, "tests", "unit", "plugins", record, NULL);
	char *old = NULL;
	g_assert_true(g_file_get_contents(path, &old, NULL, NULL));
	GString *now = g_string_new(NULL);
	describe(now);
	char **lines = g_strsplit(old, "\n", -1);
	unsigned checked = 0, missing = 0;
	for (unsigned i = 0; lines[i]; i++) {
		const char *l = lines[i];
		if (!*l || g_str_has_prefix(l, "abi ") || strstr(l, ".reserved "))
			continue;
		/* a whole line, not a prefix of a longer one */
		char *needle = g_strconcat("\n", l, "\n", NULL);
		char *hay = g_strconcat("\n", now->str, NULL);
		if (!strstr(hay, needle)) {
			g_test_message("%s line no longer holds: \"%s\"", record, l);
			missing++;
		}
		checked++;
		g_free(needle);
		g_free(hay);
	}
	g_assert_cmpuint(checked, >, 60);
	g_assert_cmpuint(missing, ==, 0);
	g_strfreev(lines);
	g_string_free(now, TRUE);
	g_free(old);
	g_free(path);
}

/* Growth rule: every struct keeps its reserved slots last, so appending a
 * field in a minor version takes a slot without moving anything. */
static void test_reserved_last(void)
{
	g_assert_cmpuint(offsetof(tsunagu_plugin_desc, reserved) + sizeof(((tsunagu_plugin_desc *)0)->reserved),
			 ==, sizeof(tsunagu_plugin_desc));
	g_assert_cmpuint(offsetof(tsunagu_host_api, reserved) + sizeof(((tsunagu_host_api *)0)->reserved),
			 ==, sizeof(tsunagu_host_api));
	g_assert_cmpuint(offsetof(tsunagu_host_ws_handlers, reserved) +
				 sizeof(((tsunagu_host_ws_handlers *)0)->reserved),
			 ==, sizeof(tsunagu_host_ws_handlers));
	g_assert_cmpuint(offsetof(tsunagu_plugin_inbound, reserved) +
				 sizeof(((tsunagu_plugin_inbound *)0)->reserved),
			 ==, sizeof(tsunagu_plugin_inbound));
	g_assert_cmpuint(offsetof(tsunagu_plugin_outbound, reserved) +
				 sizeof(((tsunagu_plugin_outbound *)0)->reserved),
			 ==, sizeof(tsunagu_plugin_outbound));
	g_assert_cmpuint(G_N_ELEMENTS(((tsunagu_plugin_desc *)0)->reserved), ==, 15);
	g_assert_cmpuint(G_N_ELEMENTS(((tsunagu_host_api *)0)->reserved), ==, 17);
	g_assert_cmpuint(offsetof(tsunagu_plugin_call_in, reserved) +
				 sizeof(((tsunagu_plugin_call_in *)0)->reserved),
			 ==, sizeof(tsunagu_plugin_call_in));
	g_assert_cmpuint(offsetof(tsunagu_plugin_call_event, reserved) +
				 sizeof(((tsunagu_plugin_call_event *)0)->reserved),
			 ==, sizeof(tsunagu_plugin_call_event));
	g_assert_cmpuint(offsetof(tsunagu_plugin_message, reserved) +
				 sizeof(((tsunagu_plugin_message *)0)->reserved),
			 ==, sizeof(tsunagu_plugin_message));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugins/abi/layout-recorded", test_layout_recorded);
	g_test_add_func("/plugins/abi/reserved-last", test_reserved_last);
	g_test_add_data_func("/plugins/abi/compatible-with-1.0", "abi-1.0-lp64.txt",
			     (GTestDataFunc)check_compatible);
	g_test_add_data_func("/plugins/abi/compatible-with-1.1", "abi-1.1-lp64.txt",
			     (GTestDataFunc)check_compatible);
	g_test_add_data_func("/plugins/abi/compatible-with-1.2", "abi-1.2-lp64.txt",
			     (GTestDataFunc)check_compatible);
	return g_test_run();
}
