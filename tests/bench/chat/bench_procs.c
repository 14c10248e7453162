/* Processes started by the chat benchmark's driver (see bench_procs.h). */
#include "bench_procs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_ws.h"

static bench_proc *proc_new(const char *name)
{
	bench_proc *p = g_new0(bench_proc, 1);
	p->name = g_strdup(name);
	p->in_fd = p->out_fd = -1;
	p->buf = g_string_new(NULL);
	return p;
}

static void proc_free(bench_proc *p)
{
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	g_string_free(p->buf, TRUE);
	g_free(p->log_path);
	g_free(p->name);
	g_free(p);
}

bench_proc *bench_proc_server(const char *name, char **argv, const char *log_path, GError **err)
{
	bench_proc *p = proc_new(name);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid;

	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", log_path,
			    g_strerror(errno));
		proc_free(p);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], g_strerror(errno));
		_exit(127);
	}
	close(fd);
	if (pid < 0) {
		g_set_error(err, G_SPAWN_ERROR, G_SPAWN_ERROR_FORK, "fork: %s", g_strerror(errno));
		proc_free(p);
		return NULL;
	}
	p->pid = pid;
	p->log_path = g_strdup(log_path);
	return p;
}

bench_proc *bench_proc_load(const char *name, char **argv, GError **err)
{
	bench_proc *p = proc_new(name);
	GPtrArray *args = g_ptr_array_new();
	GPid pid;

	g_ptr_array_add(args, (gpointer) "/proc/self/exe");
	for (char **a = argv; *a; a++)
		g_ptr_array_add(args, *a);
	g_ptr_array_add(args, NULL);
	/* /proc/self/exe is resolved by the child after fork: this executable */
	char *self = g_file_read_link("/proc/self/exe", NULL);
	args->pdata[0] = self;
	bool ok = g_spawn_async_with_pipes(NULL, (char **)args->pdata, NULL,
					   G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &p->in_fd,
					   &p->out_fd, NULL, err);
	g_free(self);
	g_ptr_array_free(args, TRUE);
	if (!ok) {
		proc_free(p);
		return NULL;
	}
	p->pid = pid;
	fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
	return p;
}

bool bench_proc_send(bench_proc *p, const char *line)
{
	char *s = g_strconcat(line, "\n", NULL);
	size_t len = strlen(s), off = 0;

	while (p->in_fd >= 0 && off < len) {
		ssize_t w = write(p->in_fd, s + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		off += (size_t)w;
	}
	g_free(s);
	return off == len;
}

char *bench_proc_line(bench_proc *p, int timeout_ms)
{
	gint64 deadline = bench_now_us() + (gint64)timeout_ms * 1000;

	for (;;) {
		char *nl = memchr(p->buf->str, '\n', p->buf->len);
		if (nl) {
			char *line = g_strndup(p->buf->str, (gsize)(nl - p->buf->str));
			g_string_erase(p->buf, 0, nl - p->buf->str + 1);
			return line;
		}
		if (p->out_fd < 0)
			return NULL;
		int left = (int)((deadline - bench_now_us()) / 1000);
		if (left <= 0)
			return NULL;
		struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
		if (poll(&pfd, 1, left) <= 0)
			continue;
		char tmp[4096];
		ssize_t r = read(p->out_fd, tmp, sizeof(tmp));
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			close(p->out_fd);
			p->out_fd = -1;
		} else if (r > 0) {
			g_string_append_len(p->buf, tmp, r);
		}
	}
}

char *bench_proc_expect(bench_proc *p, const char *prefix, int timeout_ms)
{
	gint64 deadline = bench_now_us() + (gint64)timeout_ms * 1000;
	char *line;

	for (;;) {
		int left = (int)((deadline - bench_now_us()) / 1000);
		if (left <= 0 || !(line = bench_proc_line(p, left)))
			return NULL;
		if (g_str_has_prefix(line, prefix))
			return line;
		fprintf(stderr, "  %s: %s\n", p->name, line);
		g_free(line);
	}
}

bool bench_proc_alive(bench_proc *p)
{
	int status;

	if (!p || !p->pid)
		return false;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->pid = 0;
		return false;
	}
	return true;
}

void bench_proc_stop(bench_proc *p, int sig, int timeout_ms)
{
	gint64 deadline = bench_now_us() + (gint64)timeout_ms * 1000;

	if (!p)
		return;
	if (p->in_fd >= 0) {
		bench_proc_send(p, "quit");
		close(p->in_fd);
		p->in_fd = -1;
	} else if (p->pid && sig) {
		kill(p->pid, sig);
	}
	while (bench_proc_alive(p) && bench_now_us() < deadline)
		g_usleep(20000);
	if (p->pid && p->in_fd < 0 && p->out_fd >= 0 && sig) {
		kill(p->pid, sig); /* a load process that ignored quit */
		while (bench_proc_alive(p) && bench_now_us() < deadline + 2 * G_USEC_PER_SEC)
			g_usleep(20000);
	}
	if (p->pid) {
		fprintf(stderr, "bench-chat: %s (pid %d) did not stop; killing it\n", p->name,
			(int)p->pid);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	proc_free(p);
}

double bench_proc_cpu(pid_t pid)
{
	char path[64], *text = NULL, *rp;
	unsigned long utime, stime;
	double ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		goto out;
	/* the command name may hold spaces and parentheses: fields after the
	 * last ')' are state(3) ... utime(14) stime(15) */
	rp = strrchr(text, ')');
	if (rp && sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			 &stime) == 2)
		ret = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
out:
	g_free(text);
	return ret;
}

long bench_proc_rss_kib(pid_t pid)
{
	char path[64], *text = NULL, *l;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (g_file_get_contents(path, &text, NULL, NULL) && (l = strstr(text, "\nVmRSS:")))
		kib = strtol(l + 7, NULL, 10);
	g_free(text);
	return kib;
}

char *bench_proc_log_wait(bench_proc *p, const char *regex, int timeout_ms)
{
	gint64 deadline = bench_now_us() + (gint64)timeout_ms * 1000;
	GRegex *re = g_regex_new(regex, G_REGEX_MULTILINE, 0, NULL);
	char *found = NULL;

	while (re && !found && bench_now_us() < deadline) {
		char *text = NULL;
		GMatchInfo *mi = NULL;
		if (g_file_get_contents(p->log_path, &text, NULL, NULL) &&
		    g_regex_match(re, text, 0, &mi))
			found = g_match_info_fetch(mi, 1);
		g_match_info_free(mi);
		g_free(text);
		if (!found) {
			if (!bench_proc_alive(p))
				break;
			g_usleep(50000);
		}
	}
	if (re)
		g_regex_unref(re);
	return found;
}

int bench_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
