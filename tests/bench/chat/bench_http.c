/* Blocking HTTP/1.1 client for the benchmark driver (see bench_http.h). */
#include "bench_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_ws.h"

void bench_http_reply_clear(bench_http_reply *reply)
{
	g_free(reply->body);
	g_free(reply->session);
	if (reply->json)
		json_decref(reply->json);
	memset(reply, 0, sizeof(*reply));
}

static int wait_fd(int fd, short events, gint64 deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int left = (int)((deadline - bench_now_us()) / 1000);

	if (left <= 0)
		return -ETIMEDOUT;
	int n = poll(&pfd, 1, left);
	return n < 0 ? -errno : n == 0 ? -ETIMEDOUT : 0;
}

static void parse_reply(const char *raw, size_t len, bench_http_reply *reply)
{
	const char *hend = g_strstr_len(raw, (gssize)len, "\r\n\r\n");
	char **lines, *head;

	if (!hend || sscanf(raw, "HTTP/1.%*d %d", &reply->status) != 1) {
		reply->status = 0;
		return;
	}
	reply->body = g_strndup(hend + 4, len - (size_t)(hend + 4 - raw));
	head = g_strndup(raw, (gsize)(hend - raw));
	lines = g_strsplit(head, "\r\n", -1);
	g_free(head);
	for (char **l = lines; *l; l++) {
		const char *v;
		if (g_ascii_strncasecmp(*l, "Set-Cookie:", 11) != 0)
			continue;
		v = strstr(*l, "tsunagu_session=");
		if (v) {
			v += strlen("tsunagu_session=");
			g_free(reply->session);
			reply->session = g_strndup(v, strcspn(v, ";"));
		}
	}
	g_strfreev(lines);
	reply->json = json_loads(reply->body, 0, NULL);
}

int bench_http(int port, const char *method, const char *path, const char *json_body,
	       const char *session, const char *csrf, int timeout_ms, bench_http_reply *reply)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	gint64 deadline = bench_now_us() + (gint64)timeout_ms * 1000;
	GString *req = g_string_new(NULL), *resp = g_string_new(NULL);
	size_t off = 0;
	int fd, ret = 0;

	memset(reply, 0, sizeof(*reply));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
		ret = -errno;
		goto out;
	}
	g_string_printf(req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
			"Connection: close\r\nAccept: application/json\r\n",
			method, path, port, port);
	if (session)
		g_string_append_printf(req, "Cookie: tsunagu_session=%s\r\n", session);
	if (csrf)
		g_string_append_printf(req, "X-CSRF-Token: %s\r\n", csrf);
	if (json_body)
		g_string_append_printf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
				       strlen(json_body));
	else if (strcmp(method, "GET") != 0)
		g_string_append(req, "Content-Length: 0\r\n");
	g_string_append(req, "\r\n");
	if (json_body)
		g_string_append(req, json_body);
	while (off < req->len) {
		if ((ret = wait_fd(fd, POLLOUT, deadline)) < 0)
			goto out;
		ssize_t w = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		if (w > 0)
			off += (size_t)w;
	}
	for (;;) {
		char buf[16384];
		if ((ret = wait_fd(fd, POLLIN, deadline)) < 0)
			goto out;
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		g_string_append_len(resp, buf, r);
	}
	parse_reply(resp->str, resp->len, reply);
	if (!reply->status)
		ret = -EPROTO;
out:
	if (fd >= 0)
		close(fd);
	g_string_free(req, TRUE);
	g_string_free(resp, TRUE);
	return ret;
}
