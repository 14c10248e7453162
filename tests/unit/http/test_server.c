/* The HTTP server in-process, on a real loopback socket: binding, routing,
 * synchronous and asynchronous answers (also to a client that left), body
 * limit, error shape, security headers, static files, health, drain.
 * The loop runs on the main thread; each test's client runs on a thread
 * with plain blocking sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "http.h"

typedef struct {
	tsunagu_core core;
	tsunagu_http *http;
	int port;
	unsigned async_answered;
	char *static_dir;
} fixture;

static fixture F;

/* ---- a tiny blocking HTTP/1.1 client ------------------------------------ */

typedef struct {
	int status;
	GString *head; /* status line and headers, lower-cased */
	GString *body;
} response;

static void response_free(response *r)
{
	g_string_free(r->head, TRUE);
	g_string_free(r->body, TRUE);
	g_free(r);
}

static int connect_loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -errno;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static response *request(const char *method, const char *path, const char *headers,
			 const char *body, size_t body_len)
{
	int fd = connect_loopback(F.port);
	GString *req = g_string_new(NULL);
	response *r = g_new0(response, 1);
	char buf[8192];
	ssize_t n;

	g_assert_cmpint(fd, >=, 0);
	g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n",
			       method, path, F.port);
	if (headers)
		g_string_append(req, headers);
	if (body)
		g_string_append_printf(req, "Content-Length: %zu\r\n", body_len);
	g_string_append(req, "\r\n");
	if (body)
		g_string_append_len(req, body, (gssize)body_len);
	/* the server may answer (413) and close before reading everything */
	(void)!send(fd, req->str, req->len, MSG_NOSIGNAL);
	g_string_free(req, TRUE);

	GString *all = g_string_new(NULL);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		g_string_append_len(all, buf, n);
		char *end = strstr(all->str, "\r\n\r\n");
		if (end) {
			char *lower = g_ascii_strdown(all->str, end - all->str);
			char *cl = strstr(lower, "content-length:");
			size_t want = cl ? (size_t)g_ascii_strtoull(cl + 15, NULL, 10) : 0;
			size_t have = all->len - (size_t)(end + 4 - all->str);
			g_free(lower);
			if (have >= want)
				break;
		}
	}
	close(fd);
	char *end = strstr(all->str, "\r\n\r\n");
	g_assert_nonnull(end);
	r->head = g_string_new_len(all->str, end - all->str);
	g_string_ascii_down(r->head);
	r->body = g_string_new(end + 4);
	r->status = atoi(all->str + 9);
	g_string_free(all, TRUE);
	return r;
}

static response *get(const char *path)
{
	return request("GET", path, NULL, NULL, 0);
}

static bool has_header(const response *r, const char *line)
{
	return strstr(r->head->str, line) != NULL;
}

static void assert_error_shape(const response *r, int status, const char *code)
{
	json_error_t e;
	json_t *j = json_loads(r->body->str, 0, &e);
	g_assert_cmpint(r->status, ==, status);
	g_assert_nonnull(j);
	g_assert_true(has_header(r, "content-type: application/json"));
	json_t *err = json_object_get(j, "error");
	g_assert_true(json_is_object(err));
	g_assert_cmpuint(json_object_size(j), ==, 1);
	g_assert_cmpstr(json_string_value(json_object_get(err, "code")), ==, code);
	g_assert_true(json_is_string(json_object_get(err, "message")));
	json_decref(j);
}

/* ---- handlers (loop thread) --------------------------------------------- */

static void h_sync(tsunagu_http_request *req, void *ud)
{
	tsunagu_http_add_header(req, "x-route", ud);
	tsunagu_http_respond(req, 200, "text/plain", "sync", 4);
}

static void h_echo(tsunagu_http_request *req, void *ud)
{
	size_t len;
	const char *body = tsunagu_http_request_body(req, &len);
	const char *q = tsunagu_http_request_query(req, "q");
	const char *c = tsunagu_http_request_cookie(req, "k");
	char *text = g_strdup_printf("%s|%s|%s|%zu|%s", tsunagu_http_request_method(req),
				     q ? q : "-", c ? c : "-", len, body);
	tsunagu_http_respond(req, 200, "text/plain", text, strlen(text));
	g_free(text);
}

static gboolean answer_later(gpointer p)
{
	tsunagu_http_respond(p, 200, "text/plain", "later", 5);
	F.async_answered++;
	return G_SOURCE_REMOVE;
}

static void h_async(tsunagu_http_request *req, void *ud)
{
	g_timeout_add(GPOINTER_TO_UINT(ud), answer_later, req);
}


/* ---- WebSocket routes (loop thread) and a minimal client (test thread) -- */

static gint flood_result; /* 0 running, 1 got -ENOBUFS */
static gint ws_closed_count;

static gboolean flood_tick(gpointer p)
{
	static char chunk[60000];
	for (int i = 0; i < 8; i++) {
		int r = tsunagu_ws_send(p, chunk, sizeof(chunk), true);
		if (r == -ENOBUFS) {
			g_atomic_int_set(&flood_result, 1);
			return G_SOURCE_REMOVE;
		}
		if (r < 0)
			return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static guint flood_source;

static int ws_open(tsunagu_ws_conn *conn, const tsunagu_http_request *req, void *ud)
{
	if (tsunagu_http_request_query(req, "refuse"))
		return 403;
	if (tsunagu_http_request_query(req, "flood")) {
		flood_source = g_timeout_add(1, flood_tick, conn);
		return 0;
	}
	tsunagu_ws_send(conn, "hi", 2, false);
	return 0;
}

static void ws_message(tsunagu_ws_conn *conn, const char *data, size_t len, bool binary, void *ud)
{
	char *echo = g_strdup_printf("%s:%zu:%s", binary ? "bin" : "text", len, data);
	tsunagu_ws_send(conn, echo, strlen(echo), false);
	g_free(echo);
}

static void ws_closed(tsunagu_ws_conn *conn, void *ud)
{
	if (flood_source && g_atomic_int_get(&flood_result) == 0) {
		g_source_remove(flood_source);
	}
	flood_source = 0;
	g_atomic_int_inc(&ws_closed_count);
}

static const tsunagu_ws_handlers ws_h = { ws_open, ws_message, ws_closed };

static int ws_connect(const char *query, char *status_line, size_t n)
{
	int fd = connect_loopback(F.port);
	char *req = g_strdup_printf(
		"GET /t/ws%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n", query);
	GString *head = g_string_new(NULL);
	char c;
	g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), ==, (ssize_t)strlen(req));
	g_free(req);
	/* read the answer head byte by byte: frames may follow it */
	while (!g_str_has_suffix(head->str, "\r\n\r\n") && recv(fd, &c, 1, 0) == 1)
		g_string_append_c(head, c);
	g_strlcpy(status_line, head->str, n);
	g_string_free(head, TRUE);
	return fd;
}

static void ws_send_frame(int fd, int opcode, bool fin, const char *data, size_t len)
{
	unsigned char h[8] = { (unsigned char)((fin ? 0x80 : 0) | opcode) };
	size_t hl;
	if (len < 126) {
		h[1] = 0x80 | (unsigned char)len;
		hl = 2;
	} else {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	}
	memset(h + hl, 0, 4); /* mask key 0: the payload goes as is */
	hl += 4;
	g_assert_cmpint(send(fd, h, hl, MSG_NOSIGNAL), ==, (ssize_t)hl);
	if (len)
		(void)!send(fd, data, len, MSG_NOSIGNAL);
}

static bool read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Next frame: returns its opcode (-1 at EOF); payload in *out. */
static int ws_read_frame(int fd, GByteArray *out)
{
	unsigned char h[2], ext[8];
	uint64_t len;
	g_byte_array_set_size(out, 0);
	if (!read_full(fd, h, 2))
		return -1;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (!read_full(fd, ext, 2))
			return -1;
		len = (uint64_t)ext[0] << 8 | ext[1];
	} else if (len == 127) {
		if (!read_full(fd, ext, 8))
			return -1;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | ext[i];
	}
	g_byte_array_set_size(out, (guint)len);
	if (len && !read_full(fd, out->data, len))
		return -1;
	return h[0] & 0x0f;
}

static int close_code(const GByteArray *b)
{
	return b->len >= 2 ? b->data[0] << 8 | b->data[1] : 0;
}

static void t_ws(void)
{
	char status[64];
	GByteArray *b = g_byte_array_new();
	int fd = ws_connect("", status, sizeof(status));
	g_assert_true(g_str_has_prefix(status, "HTTP/1.1 101"));
	g_assert_cmpint(ws_read_frame(fd, b), ==, 1);
	g_assert_cmpmem(b->data, b->len, "hi", 2);
	/* one message in two fragments arrives whole */
	ws_send_frame(fd, 1, false, "hello ", 6);
	ws_send_frame(fd, 0, true, "world", 5);
	g_assert_cmpint(ws_read_frame(fd, b), ==, 1);
	g_assert_cmpmem(b->data, b->len, "text:11:hello world", 19);
	/* over http.max_ws_message (4096 here): closed with 1009 */
	char *big = g_strnfill(5000, 'x');
	ws_send_frame(fd, 2, true, big, 5000);
	g_free(big);
	int op;
	while ((op = ws_read_frame(fd, b)) == 1 || op == 2)
		;
	g_assert_cmpint(op, ==, 8);
	g_assert_cmpint(close_code(b), ==, 1009);
	close(fd);

	/* refused by on_open: no upgrade */
	fd = ws_connect("?refuse=1", status, sizeof(status));
	g_assert_false(g_str_has_prefix(status, "HTTP/1.1 101"));
	close(fd);
	g_byte_array_unref(b);
}

/* A client that does not read: its queue passes the bound, the send
 * returns -ENOBUFS and the connection is closed with 1008 after what was
 * already written. */
static void t_ws_slow_consumer(void)
{
	char status[64];
	GByteArray *b = g_byte_array_new();
	int before = g_atomic_int_get(&ws_closed_count);
	int fd = ws_connect("?flood=1", status, sizeof(status));
	int op, frames = 0;
	g_assert_true(g_str_has_prefix(status, "HTTP/1.1 101"));
	for (int i = 0; i < 500 && !g_atomic_int_get(&flood_result); i++)
		g_usleep(10 * 1000);
	g_assert_cmpint(g_atomic_int_get(&flood_result), ==, 1);
	while ((op = ws_read_frame(fd, b)) == 2)
		frames++;
	g_assert_cmpint(op, ==, 8);
	g_assert_cmpint(close_code(b), ==, 1008);
	g_assert_cmpint(frames, >, 0);
	close(fd);
	for (int i = 0; i < 200 && g_atomic_int_get(&ws_closed_count) == before; i++)
		g_usleep(10 * 1000);
	g_assert_cmpint(g_atomic_int_get(&ws_closed_count), ==, before + 1);
	g_byte_array_unref(b);
}

/* ---- tests (client thread) ----------------------------------------------- */

static void t_bind_only_loopback(void)
{
	/* the listening socket is 127.0.0.1:PORT, and no IPv6 socket has it */
	char *tcp = NULL, *tcp6 = NULL;
	char *want = g_strdup_printf("0100007F:%04X 00000000:0000 0A", F.port);
	char *any = g_strdup_printf("00000000:%04X", F.port);
	char *port6 = g_strdup_printf(":%04X 0000", F.port);
	g_assert_true(g_file_get_contents("/proc/net/tcp", &tcp, NULL, NULL));
	g_assert_nonnull(strstr(tcp, want));
	g_assert_null(strstr(tcp, any));
	if (g_file_get_contents("/proc/net/tcp6", &tcp6, NULL, NULL))
		g_assert_null(strstr(tcp6, port6));
	g_free(tcp);
	g_free(tcp6);
	g_free(want);
	g_free(any);
	g_free(port6);
}

static void t_sync_and_headers(void)
{
	response *r = get("/t/sync");
	g_assert_cmpint(r->status, ==, 200);
	g_assert_cmpstr(r->body->str, ==, "sync");
	g_assert_true(has_header(r, "content-security-policy: default-src 'self'; media-src 'self'"));
	g_assert_true(has_header(r, "x-content-type-options: nosniff"));
	g_assert_true(has_header(r, "x-route: exact"));
	response_free(r);
	/* the longest route wins: a prefix route catches the rest */
	r = get("/t/other");
	g_assert_cmpint(r->status, ==, 200);
	g_assert_true(has_header(r, "x-route: prefix"));
	response_free(r);
}

static void t_echo(void)
{
	response *r = request("POST", "/t/echo?q=a%20b&z=1", "Cookie: j=1; k=v\r\n", "hello", 5);
	g_assert_cmpint(r->status, ==, 200);
	g_assert_cmpstr(r->body->str, ==, "POST|a b|v|5|hello");
	response_free(r);
	r = request("PUT", "/t/echo", NULL, "", 0);
	g_assert_cmpstr(r->body->str, ==, "PUT|-|-|0|");
	response_free(r);
}

static void t_errors(void)
{
	response *r = get("/nope");
	assert_error_shape(r, 404, "not_found");
	response_free(r);
	r = request("DELETE", "/t/sync", NULL, NULL, 0);
	assert_error_shape(r, 405, "method_not_allowed");
	response_free(r);
	r = get("/api/v1/does/not/exist");
	assert_error_shape(r, 404, "not_found");
	response_free(r);
	/* no store in this fixture: the API says so in the same shape */
	r = get("/api/v1/auth/me");
	assert_error_shape(r, 503, "unavailable");
	response_free(r);
}

static void t_body_limit(void)
{
	char *big = g_strnfill(4096, 'x');
	response *r = request("POST", "/t/echo", "Content-Type: text/plain\r\n", big, 4096);
	assert_error_shape(r, 413, "payload_too_large");
	response_free(r);
	/* exactly at the limit passes */
	r = request("POST", "/t/echo", NULL, big, 1024);
	g_assert_cmpint(r->status, ==, 200);
	g_assert_true(g_str_has_prefix(r->body->str, "POST|-|-|1024|"));
	response_free(r);
	g_free(big);
}

static void t_async(void)
{
	unsigned before = F.async_answered;
	response *r = get("/t/async");
	g_assert_cmpint(r->status, ==, 200);
	g_assert_cmpstr(r->body->str, ==, "later");
	g_assert_cmpuint(F.async_answered, ==, before + 1);
	response_free(r);

	/* the client leaves before the answer: the answer is dropped, nothing
	 * breaks, and the server keeps serving */
	int fd = connect_loopback(F.port);
	const char *req = "GET /t/slow HTTP/1.1\r\nHost: x\r\n\r\n";
	g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), ==, (ssize_t)strlen(req));
	g_usleep(50 * 1000);
	close(fd);
	while ((unsigned)g_atomic_int_get(&F.async_answered) < before + 2)
		g_usleep(10 * 1000);
	r = get("/t/sync");
	g_assert_cmpint(r->status, ==, 200);
	response_free(r);
}

static void t_static(void)
{
	response *r = get("/");
	g_assert_cmpint(r->status, ==, 200);
	g_assert_cmpstr(r->body->str, ==, "<p>inbox</p>");
	g_assert_true(has_header(r, "content-type: text/html"));
	g_assert_true(has_header(r, "content-security-policy: default-src 'self'"));
	response_free(r);
	r = get("/app.js");
	g_assert_true(has_header(r, "content-type: text/javascript"));
	response_free(r);
	r = get("/../../../../etc/passwd");
	g_assert_cmpint(r->status, ==, 404);
	response_free(r);
	r = get("/%2e%2e/%2e%2e/etc/passwd");
	g_assert_cmpint(r->status, !=, 200);
	response_free(r);
	r = get("/.secret");
	g_assert_cmpint(r->status, ==, 404);
	response_free(r);
	r = get("/missing.html");
	assert_error_shape(r, 404, "not_found");
	response_free(r);
}

static void t_health(void)
{
	response *r = get("/healthz");
	g_assert_cmpint(r->status, ==, 200);
	response_free(r);
	r = get("/readyz");
	g_assert_cmpint(r->status, ==, 503); /* no store, no rules */
	response_free(r);
}

static gint drained;

static gboolean stop_intake_on_loop(gpointer p)
{
	tsunagu_http_stop_intake(F.http);
	g_atomic_int_set(&drained, 1);
	return G_SOURCE_REMOVE;
}

/* Reads one whole answer of /t/sync ("...\r\n\r\nsync") from fd. */
static bool read_sync_answer(int fd)
{
	GString *got = g_string_new(NULL);
	char buf[512];
	ssize_t n;
	bool ok = false;
	while (!(ok = g_str_has_suffix(got->str, "\r\n\r\nsync")) &&
	       (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		g_string_append_len(got, buf, n);
	ok = ok && g_str_has_prefix(got->str, "HTTP/1.1 200");
	g_string_free(got, TRUE);
	return ok;
}

static void t_drain(void)
{
	/* a kept-alive connection, surely accepted: it answered once */
	const char *req = "GET /t/sync HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = connect_loopback(F.port);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), >, 0);
	g_assert_true(read_sync_answer(fd));
	g_main_context_invoke(NULL, stop_intake_on_loop, NULL);
	while (!g_atomic_int_get(&drained))
		g_usleep(5 * 1000);
	g_assert_cmpint(connect_loopback(F.port), ==, -ECONNREFUSED);
	/* the open connection is still served */
	g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), >, 0);
	g_assert_true(read_sync_answer(fd));
	close(fd);
}

/* Out of file descriptors, the server stops watching the listen socket for
 * a moment instead of spinning on it, and serves the waiting connection
 * once descriptors are free again. */
static void t_accept_backs_off_when_out_of_fds(void)
{
	struct rlimit saved, tight;
	struct rusage before, after;
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &saved), ==, 0);
	int lowest = dup(0);
	g_assert_cmpint(lowest, >=, 0);
	close(lowest);
	/* Our socket takes the last allowed descriptor; accept() gets EMFILE. */
	tight = saved;
	tight.rlim_cur = (rlim_t)lowest + 1;
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &tight), ==, 0);
	int fd = connect_loopback(F.port);
	g_assert_cmpint(fd, ==, lowest);
	const char *req = "GET /t/sync HTTP/1.1\r\nHost: x\r\n\r\n";
	g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), >, 0);

	getrusage(RUSAGE_SELF, &before);
	g_usleep(600 * 1000);
	getrusage(RUSAGE_SELF, &after);
	double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
		     (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
		     (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
		     (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
	/* A loop spinning on the ready listen socket burns the whole 0.6 s. */
	g_assert_cmpfloat(cpu, <, 0.15);

	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved), ==, 0);
	g_assert_true(read_sync_answer(fd));
	close(fd);
}

/* ---- harness -------------------------------------------------------------- */

typedef void (*test_fn)(void);
static test_fn current;

static gpointer client_thread(gpointer p)
{
	current();
	g_main_loop_quit(F.core.loop);
	return NULL;
}

static void run_on_client(gconstpointer data)
{
	current = (test_fn)data;
	GThread *t = g_thread_new("client", client_thread, NULL);
	g_main_loop_run(F.core.loop);
	g_thread_join(t);
}

static void setup_server(void)
{
	tsunagu_http_options o = {
		.listen = "127.0.0.1:0", .max_body = 1024, .max_ws_message = 4096,
	};
	GError *err = NULL;

	F.static_dir = g_dir_make_tmp("tsunagu-static-XXXXXX", &err);
	g_assert_no_error(err);
	char *p = g_build_filename(F.static_dir, "index.html", NULL);
	g_file_set_contents(p, "<p>inbox</p>", -1, NULL);
	g_free(p);
	p = g_build_filename(F.static_dir, "app.js", NULL);
	g_file_set_contents(p, "1;", -1, NULL);
	g_free(p);
	p = g_build_filename(F.static_dir, ".secret", NULL);
	g_file_set_contents(p, "no", -1, NULL);
	g_free(p);
	o.static_dir = F.static_dir;

	F.core.context = g_main_context_default();
	F.core.loop = g_main_loop_new(NULL, FALSE);
	F.core.state = TSUNAGU_CORE_RUNNING;
	g_assert_cmpint(tsunagu_http_start(&F.core, &o, &F.http), ==, 0);
	F.port = tsunagu_http_port(F.http);
	g_assert_cmpint(F.port, >, 0);
	g_assert_cmpint(tsunagu_http_route(F.http, "GET", "/t/sync", false, h_sync, "exact", NULL),
			==, 0);
	g_assert_cmpint(tsunagu_http_route(F.http, "GET", "/t/sync", false, h_sync, "exact", NULL),
			==, -EEXIST);
	g_assert_cmpint(tsunagu_http_route(F.http, "GET", "/t/", true, h_sync, "prefix", NULL), ==,
			0);
	g_assert_cmpint(tsunagu_http_route(F.http, NULL, "/t/echo", false, h_echo, NULL, NULL), ==,
			0);
	g_assert_cmpint(tsunagu_http_route(F.http, "GET", "/t/async", false, h_async,
					   GUINT_TO_POINTER(30), NULL), ==, 0);
	g_assert_cmpint(tsunagu_http_route(F.http, "GET", "/t/slow", false, h_async,
					   GUINT_TO_POINTER(300), NULL), ==, 0);
	g_assert_cmpint(tsunagu_http_ws_route(F.http, "/t/ws", &ws_h, NULL, NULL), ==, 0);
}

static void teardown_server(void)
{
	tsunagu_http_free(F.http);
	g_main_loop_unref(F.core.loop);
	char *names[] = { "index.html", "app.js", ".secret", NULL };
	for (int i = 0; names[i]; i++) {
		char *p = g_build_filename(F.static_dir, names[i], NULL);
		g_unlink(p);
		g_free(p);
	}
	g_rmdir(F.static_dir);
	g_free(F.static_dir);
}

static void test_bad_listen(void)
{
	tsunagu_core core = { .context = g_main_context_default() };
	tsunagu_http *h = NULL;
	tsunagu_http_options o = { .listen = "127.0.0.1" };
	core.loop = g_main_loop_new(NULL, FALSE);
	g_assert_cmpint(tsunagu_http_start(&core, &o, &h), ==, -EINVAL);
	g_assert_null(h);
	/* the port in use by the fixture's server (still bound: a second
	 * server must fail, not share it) */
	char *taken = g_strdup_printf("127.0.0.1:%d", F.port);
	o.listen = taken;
	g_assert_cmpint(tsunagu_http_start(&core, &o, &h), <, 0);
	g_assert_null(h);
	g_free(taken);
	g_main_loop_unref(core.loop);
}

static void test_ipv6(void)
{
	tsunagu_core core = { .context = g_main_context_default() };
	tsunagu_http *h = NULL;
	tsunagu_http_options o = { .listen = "[::1]:0" };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		g_test_skip("no IPv6 loopback here");
		return;
	}
	close(fd);
	core.loop = g_main_loop_new(NULL, FALSE);
	g_assert_cmpint(tsunagu_http_start(&core, &o, &h), ==, 0);
	int port = tsunagu_http_port(h);
	g_assert_cmpint(port, >, 0);
	char *tcp6 = NULL, *tcp = NULL;
	char *want = g_strdup_printf("00000000000000000000000001000000:%04X", port);
	char *port4 = g_strdup_printf(":%04X 00000000:0000 0A", port);
	g_assert_true(g_file_get_contents("/proc/net/tcp6", &tcp6, NULL, NULL));
	g_assert_nonnull(strstr(tcp6, want));
	g_assert_true(g_file_get_contents("/proc/net/tcp", &tcp, NULL, NULL));
	g_assert_null(strstr(tcp, port4));
	g_free(tcp6);
	g_free(tcp);
	g_free(want);
	g_free(port4);
	tsunagu_http_free(h);
	g_main_loop_unref(core.loop);
}

/* Every API route declares an action of the permission table, and no two
 * routes share method and pattern. */
static void test_routes_declare_actions(void)
{
	const tsunagu_api_route *tables[] = { tsunagu_api_auth_routes, tsunagu_api_staff_routes,
					      tsunagu_api_conversation_routes,
					      tsunagu_api_rules_routes, tsunagu_api_event_routes };
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	unsigned n = 0;
	for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
		for (const tsunagu_api_route *r = tables[t]; r->method; r++, n++) {
			if (!tsunagu_permission_find(r->action))
				g_error("%s %s: unknown action %s", r->method, r->pattern, r->action);
			g_assert_true(g_str_has_prefix(r->pattern, "/api/v1/"));
			char *k = g_strconcat(r->method, " ", r->pattern, NULL);
			g_assert_false(g_hash_table_contains(seen, k));
			g_hash_table_add(seen, k);
		}
	}
	g_assert_cmpuint(n, >=, 20);
	g_hash_table_unref(seen);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	setup_server();
	g_test_add_data_func("/http/server/bind-only-loopback", t_bind_only_loopback, run_on_client);
	g_test_add_data_func("/http/server/sync-and-headers", t_sync_and_headers, run_on_client);
	g_test_add_data_func("/http/server/echo", t_echo, run_on_client);
	g_test_add_data_func("/http/server/errors", t_errors, run_on_client);
	g_test_add_data_func("/http/server/body-limit", t_body_limit, run_on_client);
	g_test_add_data_func("/http/server/async", t_async, run_on_client);
	g_test_add_data_func("/http/server/static", t_static, run_on_client);
	g_test_add_data_func("/http/server/health", t_health, run_on_client);
	g_test_add_data_func("/http/server/ws", t_ws, run_on_client);
	g_test_add_data_func("/http/server/ws-slow-consumer", t_ws_slow_consumer, run_on_client);
	g_test_add_func("/http/server/bad-listen", test_bad_listen);
	g_test_add_func("/http/api/routes-declare-actions", test_routes_declare_actions);
	g_test_add_func("/http/server/ipv6", test_ipv6);
	g_test_add_data_func("/http/server/accept-backs-off-when-out-of-fds",
			     t_accept_backs_off_when_out_of_fds, run_on_client);
	g_test_add_data_func("/http/server/drain", t_drain, run_on_client);
	ret = g_test_run();
	teardown_server();
	return ret;
}
