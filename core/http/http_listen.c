/* The listening socket, owned by us rather than by libwebsockets: bound to
 * exactly the configured address (never a wildcard, never dual-stack),
 * watched by a GSource on the core's context, each accepted socket adopted
 * by the lws vhost. Owning it is what makes "stop intake" possible: lws
 * 4.1's lws_context_deprecate() uses the listen wsi after freeing it under
 * the glib event lib, so we close our socket ourselves instead. */
#define TSUNAGU_LOG_TOPIC "http"
#include "http_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

static gboolean on_listen_ready(gint fd, GIOCondition cond, gpointer user_data);

static void watch_listen_fd(tsunagu_http *http)
{
	http->listen_source = g_unix_fd_source_new(http->listen_fd, G_IO_IN);
	g_source_set_callback(http->listen_source, G_SOURCE_FUNC(on_listen_ready), http, NULL);
	g_source_attach(http->listen_source, http->core->context ? http->core->context
								 : g_main_context_default());
}

/* Out of file descriptors: the pending connection stays in the backlog and
 * the level-triggered source would fire again at once, spinning the loop.
 * Stop watching for a moment instead; connections wait in the backlog. */
static gboolean resume_accepting(gpointer user_data)
{
	tsunagu_http *http = user_data;
	http->accept_pause_source = 0;
	if (http->listen_fd >= 0 && !http->listen_source)
		watch_listen_fd(http);
	return G_SOURCE_REMOVE;
}

/* Accepts everything pending. Loop thread (a GSource of core->context). */
static gboolean on_listen_ready(gint fd, GIOCondition cond, gpointer user_data)
{
	tsunagu_http *http = user_data;

	for (int i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				tlog_warn("accept: %s: not accepting for 250 ms", g_strerror(errno));
				g_source_unref(http->listen_source);
				http->listen_source = NULL;
				http->accept_pause_source = g_timeout_add(250, resume_accepting, http);
				return G_SOURCE_REMOVE;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				tlog_warn("accept: %s", g_strerror(errno));
			break;
		}
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!lws_adopt_socket_vhost(http->vhost, cfd)) {
			/* lws closes the fd itself when adoption fails */
			tlog_warn("could not take over a new connection");
		}
	}
	return G_SOURCE_CONTINUE;
}

int tsunagu_http_listen_open(tsunagu_http *http)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	char port[8];
	int fd = -1, one = 1, ret;

	hints.ai_family = http->ipv6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	g_snprintf(port, sizeof(port), "%d", http->port);
	ret = getaddrinfo(http->host, port, &hints, &res);
	if (ret != 0 || !res) {
		tlog_error("cannot resolve listen host %s: %s", http->host, gai_strerror(ret));
		ret = -EADDRNOTAVAIL;
		goto out;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 512) < 0) {
		ret = -errno;
		tlog_error("cannot listen on %s%s%s:%d: %s", http->ipv6 ? "[" : "", http->host,
			   http->ipv6 ? "]" : "", http->port, g_strerror(errno));
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
		ret = -errno;
		goto out;
	}
	http->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						       : ((struct sockaddr_in *)&bound)->sin_port);
	http->listen_fd = fd;
	watch_listen_fd(http);
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	return ret;
}

void tsunagu_http_listen_close(tsunagu_http *http)
{
	if (http->accept_pause_source) {
		g_source_remove(http->accept_pause_source);
		http->accept_pause_source = 0;
	}
	if (http->listen_source) {
		g_source_destroy(http->listen_source);
		g_source_unref(http->listen_source);
		http->listen_source = NULL;
	}
	if (http->listen_fd >= 0) {
		close(http->listen_fd);
		http->listen_fd = -1;
	}
}
