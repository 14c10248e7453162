/* The client side of the widget's visitor protocol (docs/widget.md), as
 * little of it as the load needs: hello, send, and telling the welcome, ack
 * and error frames apart; and the mirror server's "protocol" (plain frames,
 * echoed) for the peer run. Frames are matched by substring, not parsed:
 * at 20,000+ messages/s the load must not eat the CPU the server needs. */
#include "bench_chat.h"

#include <string.h>

/* Where the plugin accepts visitor sockets (plugins/web/web.h), and the
 * channel key of the tag (the default channel's). */
#define WIDGET_WS_PATH "/plugins/web/ws"
#define WIDGET_CHANNEL "default"

char *bench_vp_path(bench_mode mode, int i, int groups)
{
	if (mode == BENCH_MODE_MIRROR)
		return g_strdup_printf("/?mirror=g%d", i % MAX(groups, 1));
	return g_strdup(WIDGET_WS_PATH);
}

char *bench_vp_headers(bench_mode mode, int port)
{
	if (mode == BENCH_MODE_MIRROR)
		return g_strdup("Sec-WebSocket-Protocol: lws-mirror-protocol\r\n");
	/* a browser on the server's own page: the origin the plugin allows
	 * without configuration */
	return g_strdup_printf("Origin: http://127.0.0.1:%d\r\n", port);
}

char *bench_vp_hello(bench_mode mode, int i)
{
	(void)i;
	if (mode == BENCH_MODE_MIRROR)
		return NULL;
	/* no token: the server mints one, as for a first-time visitor */
	return g_strdup("{\"type\":\"hello\",\"channel\":\"" WIDGET_CHANNEL
			"\",\"page\":{\"url\":\"http://127.0.0.1/bench\",\"language\":\"ja\"}}");
}

char *bench_vp_message(bench_mode mode, int i, int n, const char *text)
{
	(void)i;
	if (mode == BENCH_MODE_MIRROR)
		return g_strdup(text);
	return g_strdup_printf("{\"type\":\"send\",\"id\":\"m%d\",\"text\":\"%s\"}", n, text);
}

bench_vp_kind bench_vp_classify(bench_mode mode, int i, const char *data, size_t len)
{
	if (mode == BENCH_MODE_MIRROR) {
		int v, n;
		gint64 t;
		/* the echo of our own frame is the mirror's "ack" */
		if (bench_mark_parse(data, len, &v, &n, &t) && v == i)
			return BENCH_VP_ACK;
		return BENCH_VP_OTHER;
	}
	if (bench_has(data, len, "\"type\":\"ack\""))
		return BENCH_VP_ACK;
	/* hello is answered by "welcome", then the visitor's history; sends
	 * are accepted once the (last) history frame is out */
	if (bench_has(data, len, "\"type\":\"history\"") &&
	    !bench_has(data, len, "\"more\":true"))
		return BENCH_VP_READY;
	if (bench_has(data, len, "\"type\":\"error\""))
		return BENCH_VP_ERROR;
	return BENCH_VP_OTHER;
}
