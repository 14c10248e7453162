/* The relays bench-sip measures, each in a process of its own (see
 * bench_sip.h for the protocol on stdin/stdout):
 *   --role=relay  ours: sip_media legs in pairs, bridged (plugins/sip/media);
 *   --role=gst    the peer: per call two GStreamer pipelines
 *                 udpsrc ! udpsink (one per direction), each with the
 *                 streaming thread GStreamer gives it. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_chat.h" /* bench_stdin_line, bench_raise_nofile */
#include "bench_sip.h"
#include "sip_media.h"

typedef struct {
	GMainLoop *loop;
	GString *in;
	bool relay;          /* ours, else the GStreamer peer */
	sip_media *m;
	GPtrArray *legs;     /* sip_leg *, in pairs */
	GPtrArray *pipes;    /* GstElement * (peer) */
	uint16_t port_min, port_max;
} role;

static void reply_stats(role *r)
{
	sip_leg_stats total = {0};
	for (guint i = 0; r->legs && i < r->legs->len; i++) {
		sip_leg_stats s;
		sip_leg_get_stats(r->legs->pdata[i], &s);
		total.rx_packets += s.rx_packets;
		total.tx_packets += s.tx_packets;
		total.rx_dropped += s.rx_dropped;
		total.rx_lost += s.rx_lost;
	}
	printf("stats rx=%" G_GUINT64_FORMAT " tx=%" G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT
	       " lost=%" G_GUINT64_FORMAT "\n",
	       total.rx_packets, total.tx_packets, total.rx_dropped, total.rx_lost);
	fflush(stdout);
}

/* Ours: a leg per endpoint, remote = the endpoint, legs bridged in pairs. */
static int setup_relay(role *r, int n, const uint16_t *ports, GString *legs)
{
	int rc = sip_media_new(NULL, NULL, "127.0.0.1", r->port_min, r->port_max, &r->m);
	if (rc < 0)
		return rc;
	r->legs = g_ptr_array_new();
	for (int i = 0; i < 2 * n; i++) {
		sip_leg *leg = NULL;
		rc = sip_leg_new(r->m, &leg);
		if (rc < 0)
			return rc;
		g_ptr_array_add(r->legs, leg);
		rc = sip_leg_set_remote(leg, "127.0.0.1", ports[i], SIP_CODEC_PCMU, 0);
		if (rc < 0)
			return rc;
		g_string_append_printf(legs, " %u", sip_leg_local_port(leg));
		if (i % 2 == 1 && (rc = sip_bridge(r->legs->pdata[i - 1], leg)) < 0)
			return rc;
	}
	return 0;
}

/* The peer: endpoint k sends to a udpsrc whose pipeline sends on to the
 * other endpoint of its pair. */
static int setup_gst(role *r, int n, const uint16_t *ports, GString *legs)
{
	r->pipes = g_ptr_array_new();
	for (int i = 0; i < 2 * n; i++) {
		GError *err = NULL;
		GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
					  G_SOCKET_PROTOCOL_UDP, &err);
		GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		GSocketAddress *sa = g_inet_socket_address_new(lo, 0);
		bool ok = s && g_socket_bind(s, sa, FALSE, &err);
		g_object_unref(sa);
		g_object_unref(lo);
		if (!ok) {
			fprintf(stderr, "gst peer: %s\n", err ? err->message : "socket");
			g_clear_error(&err);
			g_clear_object(&s);
			return -EADDRINUSE;
		}
		GSocketAddress *local = g_socket_get_local_address(s, NULL);
		g_string_append_printf(legs, " %u",
				       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
		g_object_unref(local);
		uint16_t to = ports[i % 2 ? i - 1 : i + 1];
		char *desc = g_strdup_printf("udpsrc name=src ! udpsink host=127.0.0.1 port=%u "
					     "sync=false async=false", to);
		GstElement *p = gst_parse_launch(desc, &err);
		g_free(desc);
		if (!p) {
			fprintf(stderr, "gst peer: %s\n", err ? err->message : "pipeline");
			g_clear_error(&err);
			g_object_unref(s);
			return -ENOTSUP;
		}
		GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
		g_object_set(src, "socket", s, NULL);
		gst_object_unref(src);
		g_object_unref(s);
		gst_element_set_state(p, GST_STATE_PLAYING);
		g_ptr_array_add(r->pipes, p);
	}
	return 0;
}

static void handle(role *r, const char *line)
{
	if (strcmp(line, "quit") == 0) {
		g_main_loop_quit(r->loop);
	} else if (strcmp(line, "stats") == 0) {
		reply_stats(r);
	} else if (strncmp(line, "pairs ", 6) == 0) {
		char **tok = g_strsplit(line + 6, " ", -1);
		int n = atoi(tok[0]);
		uint16_t *ports = g_new0(uint16_t, 2 * (gsize)n + 1);
		for (int i = 0; i < 2 * n && tok[i + 1]; i++)
			ports[i] = (uint16_t)atoi(tok[i + 1]);
		GString *legs = g_string_new("legs");
		int rc = r->relay ? setup_relay(r, n, ports, legs) : setup_gst(r, n, ports, legs);
		if (rc < 0)
			printf("failed %s\n", g_strerror(-rc));
		else
			printf("%s\n", legs->str);
		fflush(stdout);
		g_string_free(legs, TRUE);
		g_free(ports);
		g_strfreev(tok);
	}
}

/* Loop thread. user_data: the role. */
static gboolean on_stdin(gint fd, GIOCondition cond, gpointer user_data)
{
	role *r = user_data;
	bool eof = false;
	char *line;
	while ((line = bench_stdin_line(r->in, &eof))) {
		handle(r, line);
		g_free(line);
	}
	if (eof)
		g_main_loop_quit(r->loop);
	return G_SOURCE_CONTINUE;
}

static int run_role(bool relay, int argc, char **argv)
{
	role r = {.relay = relay, .port_min = 40000, .port_max = 49999};
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--port-min") == 0)
			r.port_min = (uint16_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--port-max") == 0)
			r.port_max = (uint16_t)atoi(argv[++i]);
	}
	bench_raise_nofile(1 << 16);
	gst_init(NULL, NULL);
	r.loop = g_main_loop_new(NULL, FALSE);
	r.in = g_string_new(NULL);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	guint w = g_unix_fd_add(0, G_IO_IN | G_IO_HUP, on_stdin, &r);
	g_main_loop_run(r.loop);
	g_source_remove(w);
	for (guint i = 0; r.pipes && i < r.pipes->len; i++) {
		gst_element_set_state(r.pipes->pdata[i], GST_STATE_NULL);
		gst_object_unref(r.pipes->pdata[i]);
	}
	if (r.pipes)
		g_ptr_array_free(r.pipes, TRUE);
	if (r.legs)
		g_ptr_array_free(r.legs, TRUE);
	sip_media_free(r.m); /* frees the legs */
	g_string_free(r.in, TRUE);
	g_main_loop_unref(r.loop);
	return 0;
}

int bench_role_relay(int argc, char **argv)
{
	return run_role(true, argc, argv);
}

int bench_role_gst(int argc, char **argv)
{
	return run_role(false, argc, argv);
}
