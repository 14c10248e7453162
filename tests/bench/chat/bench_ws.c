/* Minimal non-blocking WebSocket client for the chat benchmark (see
 * bench_ws.h for why it is not libwebsockets' client). */
#include "bench_ws.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define MAX_MESSAGE (4u << 20) /* a bigger frame is a broken server */

gint64 bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int bench_ws_connect(bench_ws *ws, const struct sockaddr_in *addr, const char *host,
		     const char *path, const char *extra_headers)
{
	int one = 1, ret = 0;
	GString *req;

	memset(ws, 0, sizeof(*ws) - sizeof(ws->error));
	ws->error[0] = '\0';
	ws->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ws->fd < 0) {
		ret = -errno;
		snprintf(ws->error, sizeof(ws->error), "socket: %s", g_strerror(errno));
		ws->state = BENCH_WS_CLOSED;
		goto out;
	}
	/* small frames are the whole point: send them now, not in 40 ms */
	setsockopt(ws->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(ws->fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 &&
	    errno != EINPROGRESS) {
		ret = -errno;
		snprintf(ws->error, sizeof(ws->error), "connect: %s", g_strerror(errno));
		close(ws->fd);
		ws->fd = -1;
		ws->state = BENCH_WS_CLOSED;
		goto out;
	}
	ws->state = BENCH_WS_CONNECTING;
	ws->in = g_byte_array_sized_new(4096);
	ws->out = g_byte_array_sized_new(1024);
	ws->frag = g_byte_array_new();
	req = g_string_new(NULL);
	g_string_printf(req,
			"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			"Sec-WebSocket-Version: 13\r\n%s\r\n",
			path, host, extra_headers ? extra_headers : "");
	g_byte_array_append(ws->out, (const guint8 *)req->str, (guint)req->len);
	g_string_free(req, TRUE);
out:
	return ret;
}

static void put_frame(GByteArray *out, guint8 opcode, const char *data, size_t len)
{
	guint8 hdr[14];
	size_t n = 0;

	hdr[n++] = 0x80 | opcode;
	if (len < 126) {
		hdr[n++] = 0x80 | (guint8)len;
	} else if (len <= 0xffff) {
		hdr[n++] = 0x80 | 126;
		hdr[n++] = (guint8)(len >> 8);
		hdr[n++] = (guint8)len;
	} else {
		hdr[n++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			hdr[n++] = (guint8)((guint64)len >> (8 * i));
	}
	memset(hdr + n, 0, 4); /* the zero masking key: payload goes as is */
	n += 4;
	g_byte_array_append(out, hdr, (guint)n);
	g_byte_array_append(out, (const guint8 *)data, (guint)len);
}

void bench_ws_queue_text(bench_ws *ws, const char *data, size_t len)
{
	if (ws->state == BENCH_WS_CLOSED)
		return;
	put_frame(ws->out, 0x1, data, len);
}

void bench_ws_close(bench_ws *ws, const char *why)
{
	if (ws->fd >= 0)
		close(ws->fd);
	ws->fd = -1;
	if (why && !ws->error[0])
		g_strlcpy(ws->error, why, sizeof(ws->error));
	ws->state = BENCH_WS_CLOSED;
	if (ws->in)
		g_byte_array_unref(ws->in);
	if (ws->out)
		g_byte_array_unref(ws->out);
	if (ws->frag)
		g_byte_array_unref(ws->frag);
	ws->in = ws->out = ws->frag = NULL;
}

int bench_ws_flush(bench_ws *ws)
{
	if (ws->state == BENCH_WS_CLOSED)
		return -EPIPE;
	while (ws->out_off < ws->out->len) {
		ssize_t w = send(ws->fd, ws->out->data + ws->out_off, ws->out->len - ws->out_off,
				 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return errno == EAGAIN ? 1 : bench_ws_flush(ws);
			int e = errno;
			char why[64];
			snprintf(why, sizeof(why), "send: %s", g_strerror(e));
			bench_ws_close(ws, why);
			return -e;
		}
		ws->out_off += (size_t)w;
	}
	g_byte_array_set_size(ws->out, 0);
	ws->out_off = 0;
	return 0;
}

/* The server's answer to the upgrade: 101 or the connection is useless. */
static int parse_handshake(bench_ws *ws)
{
	guint8 *end = memmem(ws->in->data, ws->in->len, "\r\n\r\n", 4);
	size_t hlen;

	if (!end)
		return ws->in->len > 16384 ? -EPROTO : 0;
	hlen = (size_t)(end - ws->in->data) + 4;
	if (ws->in->len < 12 || memcmp(ws->in->data + 9, "101", 3) != 0) {
		char why[64];
		snprintf(why, sizeof(why), "upgrade refused: %.40s", (const char *)ws->in->data);
		for (char *p = why; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		bench_ws_close(ws, why);
		return -ECONNREFUSED;
	}
	g_byte_array_remove_range(ws->in, 0, (guint)hlen);
	ws->state = BENCH_WS_OPEN;
	return 1;
}

/* Parses whole frames from ws->in; returns the bytes consumed or -errno. */
static ssize_t parse_frames(bench_ws *ws, bench_ws_message_fn on_message, void *user)
{
	size_t off = 0;

	while (ws->state == BENCH_WS_OPEN) {
		const guint8 *p = ws->in->data + off;
		size_t avail = ws->in->len - off, hl = 2;
		guint64 len;
		guint8 opcode;
		bool fin, masked;

		if (avail < 2)
			break;
		fin = p[0] & 0x80;
		opcode = p[0] & 0x0f;
		masked = p[1] & 0x80;
		len = p[1] & 0x7f;
		if (len == 126) {
			if (avail < 4)
				break;
			len = ((guint64)p[2] << 8) | p[3];
			hl = 4;
		} else if (len == 127) {
			if (avail < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = (len << 8) | p[2 + i];
			hl = 10;
		}
		if (masked || len > MAX_MESSAGE)
			return -EPROTO; /* a server never masks */
		if (avail < hl + len)
			break;
		char *payload = (char *)p + hl;
		off += hl + (size_t)len;
		switch (opcode) {
		case 0x0: /* continuation */
		case 0x1:
		case 0x2:
			if (!fin || ws->frag->len) {
				g_byte_array_append(ws->frag, (guint8 *)payload, (guint)len);
				if (ws->frag->len > MAX_MESSAGE)
					return -EPROTO;
				if (!fin)
					break;
				g_byte_array_append(ws->frag, (const guint8 *)"", 1);
				on_message(ws, (char *)ws->frag->data, ws->frag->len - 1, user);
				if (ws->frag)
					g_byte_array_set_size(ws->frag, 0);
				break;
			} else {
				/* NUL-terminate in place: the buffer always has a spare
				 * byte after its end (see bench_ws_read) */
				char saved = payload[len];
				payload[len] = '\0';
				on_message(ws, payload, (size_t)len, user);
				if (ws->in)
					payload[len] = saved;
			}
			break;
		case 0x8:
			ws->close_code = len >= 2 ? ((guint8)payload[0] << 8) | (guint8)payload[1] : 1005;
			snprintf(ws->error, sizeof(ws->error), "closed by server (%d %.*s)",
				 ws->close_code, len > 2 ? (int)MIN(len - 2, 60) : 0,
				 len > 2 ? payload + 2 : "");
			return -ECONNRESET;
		case 0x9:
			put_frame(ws->out, 0xA, payload, (size_t)len);
			break;
		default: /* pong */
			break;
		}
		if (ws->state != BENCH_WS_OPEN)
			break;
	}
	return (ssize_t)off;
}

int bench_ws_read(bench_ws *ws, bench_ws_message_fn on_message, void *user)
{
	int ret = 0;

	if (ws->state == BENCH_WS_CLOSED)
		return -EPIPE;
	for (;;) {
		guint old = ws->in->len;
		ssize_t r;

		g_byte_array_set_size(ws->in, old + READ_CHUNK + 1);
		g_byte_array_set_size(ws->in, old + READ_CHUNK);
		r = recv(ws->fd, ws->in->data + old, READ_CHUNK, 0);
		if (r <= 0) {
			g_byte_array_set_size(ws->in, old);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			ret = r == 0 ? -ECONNRESET : -errno;
			if (!ws->error[0])
				snprintf(ws->error, sizeof(ws->error), "%s",
					 r == 0 ? "connection closed by server" : g_strerror(errno));
			goto fail;
		}
		/* keep one spare byte after the data for in-place NUL */
		g_byte_array_set_size(ws->in, old + (guint)r + 1);
		ws->in->data[old + r] = '\0';
		g_byte_array_set_size(ws->in, old + (guint)r);
		if (ws->state == BENCH_WS_CONNECTING) {
			ret = parse_handshake(ws);
			if (ret < 0)
				goto fail;
			if (ret == 0)
				continue;
			ret = 0;
		}
		ssize_t used = parse_frames(ws, on_message, user);
		if (used < 0) {
			ret = (int)used;
			goto fail;
		}
		if (ws->state != BENCH_WS_OPEN)
			return ws->state == BENCH_WS_CLOSED ? -EPIPE : 0;
		if (used)
			g_byte_array_remove_range(ws->in, 0, (guint)used);
		if ((size_t)r < READ_CHUNK)
			break;
	}
	return 0;
fail:
	bench_ws_close(ws, ws->error[0] ? NULL : "protocol error");
	return ret;
}
