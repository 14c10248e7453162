/* sip: the phone channel (docs/sip.md). Lifecycle, config, and sofia-sip's
 * nua stack run on the core's GLib main context through su_glib, so every
 * nua callback is a loop-thread callback like a timer. Written against the
 * SDK only; needs host ABI 1.1 (settings, staff routes) and, for calls,
 * 1.2 (without it, INVITEs are answered 503).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag_io.h>

#include "sip.h"

static const tsunagu_plugin_conf_key sip_schema[] = {
	{"listen", TSUNAGU_PLUGIN_CONF_STRING, "127.0.0.1:5060",
	 "address:port for SIP over UDP and TCP ([::1]:5060 for IPv6; port 0 = any free port)"},
	{"realm", TSUNAGU_PLUGIN_CONF_STRING, "tsunagu",
	 "digest realm of extensions and trunks (changing it invalidates stored passwords)"},
	{"media_ip", TSUNAGU_PLUGIN_CONF_STRING, "",
	 "address RTP is bound to and announced in SDP; empty = the listen address"},
	{"rtp_port_min", TSUNAGU_PLUGIN_CONF_INT, "20000", "lowest RTP port (even)"},
	{"rtp_port_max", TSUNAGU_PLUGIN_CONF_INT, "29999", "highest RTP port"},
	{"min_expires", TSUNAGU_PLUGIN_CONF_DURATION, "60s",
	 "shortest registration accepted (shorter: 423 Interval Too Brief)"},
	{"max_expires", TSUNAGU_PLUGIN_CONF_DURATION, "1h",
	 "longest registration granted (longer requests are shortened)"},
	{"caller_id", TSUNAGU_PLUGIN_CONF_STRING, "tsunagu",
	 "the From user of call-backs sent through the outbound trunk"},
	{"secret_file", TSUNAGU_PLUGIN_CONF_STRING, "secret.key",
	 "key file (made 0600 when missing) that encrypts outbound trunk passwords; relative to "
	 "the plugin's data directory; empty = no outbound passwords"},
	{"jitter_latency", TSUNAGU_PLUGIN_CONF_DURATION, "60ms",
	 "jitter buffer of transcoded audio (reordered packets put back in order); 0..1s"},
	{NULL, 0, NULL, NULL},
};

/* ---- helpers ------------------------------------------------------------------- */

const char *sip_request_source(sip_state *st, char buf[64])
{
	msg_t *msg = nua_current_request(st->nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	buf[0] = '\0';
	if (!ai || !ai->ai_addr ||
	    getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, buf, 64, NULL, 0, NI_NUMERICHOST))
		g_strlcpy(buf, "?", 64);
	return buf;
}

/* "host:port" or "[v6]:port" into host (no brackets) and port. */
static int parse_listen(const char *s, char host[64], uint16_t *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	guint64 p = 0;
	if (!colon || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &p, NULL))
		return -EINVAL;
	const char *h = s;
	size_t n = (size_t)(colon - s);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= 64)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	GInetAddress *ip = g_inet_address_new_from_string(host);
	if (!ip)
		return -EINVAL;
	g_object_unref(ip);
	*port = (uint16_t)p;
	return 0;
}

/* sofia cannot report an ephemeral port back, and UDP and TCP must share
 * one: for port 0 find one that is free for both (a race with other
 * programs is possible; the bind then fails and start() says so). */
static int pick_port(const char *host, uint16_t *port)
{
	int rc = -EADDRINUSE;
	for (int attempt = 0; attempt < 20 && rc; attempt++) {
		struct sockaddr_storage ss = {0};
		socklen_t len;
		bool v6 = strchr(host, ':') != NULL;
		int u = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		int t = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
		if (v6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			a->sin6_family = AF_INET6;
			inet_pton(AF_INET6, host, &a->sin6_addr);
			len = sizeof *a;
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			a->sin_family = AF_INET;
			inet_pton(AF_INET, host, &a->sin_addr);
			len = sizeof *a;
		}
		if (u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&ss, len) == 0 &&
		    getsockname(u, (struct sockaddr *)&ss, &len) == 0 &&
		    bind(t, (struct sockaddr *)&ss, len) == 0) {
			*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
			rc = 0;
		}
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
	}
	return rc;
}

/* sofia-sip's own log lines (its modules print to stdout by default) go to
 * ours at debug level, so [log] level = debug shows them with the topic. */
static void sofia_log(void *stream, char const *fmt, va_list ap)
{
	sip_state *st = stream;
	char *line = g_strdup_vprintf(fmt, ap);
	g_strchomp(line);
	if (line[0])
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG, "sofia: %s", line);
	g_free(line);
}

/* ---- nua events ----------------------------------------------------------------- */

static void on_nua(nua_event_t event, int status, char const *phrase, nua_t *nua,
		   nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
		   sip_t const *sip, tagi_t tags[])
{
	sip_state *st = (sip_state *)magic;
	char src[64];

	switch (event) {
	case nua_r_shutdown:
		if (status >= 200)
			st->nua_shut = true;
		return;
	case nua_i_register:
		sip_registrar_handle(st, nh, sip);
		/* a server transaction of its own: done once answered */
		nua_handle_destroy(nh);
		return;
	case nua_i_invite:
		if (!hmagic) {
			sip_call_invite(st, nh, sip, sip_request_source(st, src));
			return;
		}
		/* a re-INVITE in one of our dialogs */
		sip_call_dialog_request(st, event, nh, hmagic, sip);
		return;
	case nua_i_ack:
		if (hmagic) {
			sip_call_dialog_request(st, event, nh, hmagic, sip);
			return;
		}
		break;
	default:
		break;
	}
	if (hmagic) {
		sip_call_nua_event(st, event, status, phrase, nh, hmagic, sip, tags);
		return;
	}
	/* A handle nobody owns any more (refused, or handed back after a
	 * BYE/CANCEL): free it when its dialog is over. */
	if (event == nua_i_state && nh) {
		int cs = 0;
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs == nua_callstate_terminated)
			nua_handle_destroy(nh);
	}
}

/* ---- lifecycle ------------------------------------------------------------------- */

static int sip_deliver(void *state, const tsunagu_plugin_outbound *msg)
{
	/* Calls carry no text: the core shows the message in the inbox only. */
	return -ENOTSUP;
}

static int sip_call_event_cb(void *state, const tsunagu_plugin_call_event *ev)
{
	sip_state *st = state;
	int rc = sip_call_event(st, ev);
	/* the INVITE/BYE/CANCEL it asked nua for goes out now, not in the
	 * loop's next iteration */
	sip_loop_run(st->loop);
	return rc;
}

static void sip_destroy(void *state);

static int config_range(sip_state *st, const char *key, int64_t min, int64_t max, int64_t *out)
{
	int rc = st->api->config_int(st->host, key, out);
	if (rc == 0 && (*out < min || *out > max)) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "%s must be %lld..%lld", key,
			     (long long)min, (long long)max);
		rc = -EINVAL;
	}
	return rc;
}

static int sip_init(tsunagu_host *host, const tsunagu_host_api *api, void **state)
{
	int64_t min_ms = 0, max_ms = 0;
	int rc = -ENOTSUP;

	if (!TSUNAGU_HOST_HAS(api, request_staff)) {
		api->log(host, TSUNAGU_PLUGIN_LOG_ERROR, "needs host ABI 1.1");
		return rc;
	}
	sip_state *st = g_new0(sip_state, 1);
	st->host = host;
	st->api = api;
	st->have_calls = TSUNAGU_HOST_HAS(api, call_incoming);
	st->accounts = sip_accounts_new();
	st->bindings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_ptr_array_unref);
	st->calls = g_ptr_array_new();
	rc = -EINVAL;
	const char *listen = api->config_string(host, "listen");
	if (parse_listen(listen, st->listen_host, &st->listen_port)) {
		api->log(host, TSUNAGU_PLUGIN_LOG_ERROR,
			 "listen must be IP:PORT or [IPv6]:PORT, not \"%s\"", listen ? listen : "");
		goto fail;
	}
	const char *media_ip = api->config_string(host, "media_ip");
	st->media_ip = g_strdup(media_ip && media_ip[0] ? media_ip : st->listen_host);
	const char *realm = api->config_string(host, "realm");
	if (!realm || !realm[0] || strlen(realm) > 63 || strchr(realm, '"')) {
		api->log(host, TSUNAGU_PLUGIN_LOG_ERROR, "realm must be 1..63 bytes without '\"'");
		goto fail;
	}
	sip_digest_init(&st->digest, realm);
	st->caller_id = g_strdup(api->config_string(host, "caller_id"));
	if ((rc = config_range(st, "rtp_port_min", 1024, 65534, &st->port_min)) ||
	    (rc = config_range(st, "rtp_port_max", 1025, 65535, &st->port_max)) ||
	    (rc = api->config_duration_ms(host, "min_expires", &min_ms)) ||
	    (rc = api->config_duration_ms(host, "max_expires", &max_ms)))
		goto fail;
	st->min_expires_s = min_ms / 1000;
	st->max_expires_s = max_ms / 1000;
	if (st->port_max - st->port_min < 1 || st->min_expires_s < 1 ||
	    st->max_expires_s < st->min_expires_s) {
		api->log(host, TSUNAGU_PLUGIN_LOG_ERROR,
			 "need rtp_port_min < rtp_port_max and 1s <= min_expires <= max_expires");
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = api->register_channel(host, SIP_CHANNEL)) || (rc = sip_admin_register(st)))
		goto fail;
	if (!st->have_calls)
		api->log(host, TSUNAGU_PLUGIN_LOG_WARN,
			 "the host has no call engine (ABI 1.2): calls will be refused with 503");
	*state = st;
	return 0;
fail:
	sip_destroy(st);
	return rc;
}

static bool expire_bindings(void *ud)
{
	sip_registrar_expire(ud);
	return true;
}

static int sip_start(void *state)
{
	sip_state *st = state;
	int rc = -EIO;
	char url[128];

	if (st->listen_port == 0 && (rc = pick_port(st->listen_host, &st->listen_port))) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "no free SIP port on %s",
			     st->listen_host);
		return rc;
	}
	su_log_redirect(NULL, sofia_log, st);
	su_init();
	su_home_init(st->home);
	/* The su_root's GSource on the default context: the core's loop. */
	st->root = su_glib_root_create(st);
	if (!st->root)
		return -ENOMEM;
	/* GLib takes a source's descriptors out of the poll set while it
	 * dispatches and puts them back after, and every put back writes the
	 * context's wakeup eventfd: one write and one empty loop iteration
	 * per SIP message. Allowed to recurse, the source keeps them; nothing
	 * iterates the loop from inside a nua callback (shutdown_nua iterates
	 * from stop(), outside it). */
	g_source_set_can_recurse(su_glib_root_gsource(st->root), TRUE);
	bool wakeup_skipped = false;
	if ((rc = sip_loop_attach(st->root, &st->loop, &wakeup_skipped)))
		return rc;
	if (!wakeup_skipped)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG,
			     "sofia-sip's port table is not the one known: its wakeups stay");
	g_source_attach(su_glib_root_gsource(st->root), NULL);
	/* nua runs its stack as a clone task; threaded (sofia's default) that
	 * is a second thread with its own epoll loop, every message and event
	 * crossing between the two through a mutex and a wakeup. Shared, the
	 * stack runs on our root's port, the core's loop: measured, the stack
	 * thread was a quarter of tsunagud's CPU per call (tests/bench/README.md,
	 * "sip calls"). */
	su_root_threading(st->root, 0);
	bool v6 = strchr(st->listen_host, ':') != NULL;
	g_snprintf(url, sizeof url, v6 ? "sip:[%s]:%u" : "sip:%s:%u", st->listen_host,
		   (unsigned)st->listen_port);
	st->nua = nua_create(st->root, on_nua, st, NUTAG_URL(url),
			     /* REGISTER is ours (the registrar); SDP is ours too */
			     NUTAG_APPL_METHOD("REGISTER"), NUTAG_ALLOW("REGISTER"),
			     NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1),
			     NUTAG_ENABLEMESSAGE(0), NUTAG_USER_AGENT("tsunagu"), TAG_END());
	if (!st->nua) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "cannot listen on %s (UDP and TCP)",
			     url);
		return -EADDRINUSE;
	}
	if ((rc = sip_media_new(st->host, st->api, st->media_ip, (uint16_t)st->port_min,
				(uint16_t)st->port_max, &st->media))) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "media on %s: %s", st->media_ip,
			     g_strerror(-rc));
		return rc;
	}
	sip_admin_load(st);
	st->expiry_timer = st->api->timer_add(st->host, 1000, expire_bindings, st);
	st->started = true;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
		     v6 ? "listening on udp [%s]:%u and tcp [%s]:%u, media on %s"
			: "listening on udp %s:%u and tcp %s:%u, media on %s",
		     st->listen_host,
		     (unsigned)st->listen_port, st->listen_host, (unsigned)st->listen_port,
		     st->media_ip);
	return 0;
}

/* Runs the loop until nua has said goodbye to every dialog, or the
 * deadline. stop() is itself a loop callback: nested iteration of the
 * default context is what lets the BYEs and CANCELs go out and their
 * answers come in. */
static void shutdown_nua(sip_state *st, int64_t deadline_us)
{
	if (!st->nua || st->nua_shut)
		return;
	nua_shutdown(st->nua);
	while (!st->nua_shut && st->api->monotonic_us(st->host) < deadline_us)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
}

static void sip_stop(void *state, int64_t deadline_us)
{
	sip_state *st = state;
	st->started = false;
	st->stopping = true;
	sip_calls_hangup_all(st);
	shutdown_nua(st, deadline_us);
}

static void sip_destroy(void *state)
{
	sip_state *st = state;
	if (!st)
		return;
	st->stopping = true;
	if (st->nua) {
		sip_calls_hangup_all(st);
		shutdown_nua(st, st->api->monotonic_us(st->host) + 2 * G_USEC_PER_SEC);
		nua_destroy(st->nua);
	}
	sip_calls_free_all(st);
	g_ptr_array_unref(st->calls);
	if (st->media)
		sip_media_free(st->media);
	if (st->root) {
		sip_loop_free(st->loop);
		su_root_destroy(st->root);
		su_home_deinit(st->home);
		su_deinit();
		su_log_redirect(NULL, NULL, NULL);
	}
	g_hash_table_destroy(st->bindings);
	sip_digest_clear(&st->digest);
	sip_secret_key_forget(st->secret_key);
	sip_accounts_free(st->accounts);
	json_decref(st->trunks_stored);
	json_decref(st->extensions_stored);
	g_free(st->media_ip);
	g_free(st->caller_id);
	g_free(st);
}

static const tsunagu_plugin_desc sip_desc = {
	.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR,
	.abi_minor = TSUNAGU_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(tsunagu_plugin_desc),
	.capabilities = TSUNAGU_PLUGIN_CAP_CHANNEL | TSUNAGU_PLUGIN_CAP_HTTP |
			TSUNAGU_PLUGIN_CAP_CALLS,
	.name = "sip",
	.version = "1.0.0",
	.description = "phone channel: SIP trunks and operators' phones, media anchored here",
	.config_schema = sip_schema,
	.init = sip_init,
	.start = sip_start,
	.stop = sip_stop,
	.destroy = sip_destroy,
	.deliver = sip_deliver,
	.call_event = sip_call_event_cb,
};

TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t host_abi_major,
								      uint32_t host_abi_minor)
{
	/* Needs the 1.1 host functions; calls need 1.2 (checked in init). */
	if (host_abi_major != TSUNAGU_PLUGIN_ABI_MAJOR || host_abi_minor < 1)
		return NULL;
	return &sip_desc;
}
