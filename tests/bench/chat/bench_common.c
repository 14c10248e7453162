/* Helpers shared by the chat benchmark's processes (see bench_chat.h). */
#include "bench_chat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int bench_mark_format(char *buf, size_t size, int visitor, int n, gint64 t_us)
{
	/* padded to ~60 bytes of text: a short chat line; the whole frame
	 * stays under 128 bytes, the mirror server's receive buffer, so it
	 * echoes one frame per frame */
	return snprintf(buf, size, BENCH_MARK "%d n=%d t=%" G_GINT64_FORMAT " hello-from-load",
			visitor, n, t_us);
}

bool bench_mark_parse(const char *data, size_t len, int *visitor, int *n, gint64 *t_us)
{
	const char *p = memmem(data, len, BENCH_MARK, sizeof(BENCH_MARK) - 1);
	char *end;

	if (!p)
		return false;
	p += sizeof(BENCH_MARK) - 1;
	*visitor = (int)strtol(p, &end, 10);
	if (end == p || strncmp(end, " n=", 3) != 0)
		return false;
	p = end + 3;
	*n = (int)strtol(p, &end, 10);
	if (end == p || strncmp(end, " t=", 3) != 0)
		return false;
	p = end + 3;
	*t_us = g_ascii_strtoll(p, &end, 10);
	return end != p;
}

char *bench_stdin_line(GString *buf, bool *eof)
{
	char tmp[512];
	char *nl;

	for (;;) {
		ssize_t r = read(0, tmp, sizeof(tmp));
		if (r > 0) {
			g_string_append_len(buf, tmp, r);
			continue;
		}
		if (r == 0)
			*eof = true;
		break; /* EAGAIN or error: what we have is all there is */
	}
	nl = memchr(buf->str, '\n', buf->len);
	if (!nl)
		return NULL;
	char *line = g_strndup(buf->str, (gsize)(nl - buf->str));
	g_string_erase(buf, 0, nl - buf->str + 1);
	return line;
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

gint64 bench_percentile(GArray *us, double p)
{
	guint idx;

	if (!us->len)
		return 0;
	g_array_sort(us, cmp_i64);
	idx = (guint)((p / 100.0) * (us->len - 1) + 0.5);
	return g_array_index(us, gint64, MIN(idx, us->len - 1));
}

long bench_raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (want <= 0 || (rlim_t)want > rl.rlim_max)
		want = (long)rl.rlim_max;
	if ((rlim_t)want > rl.rlim_cur) {
		rl.rlim_cur = (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return (long)rl.rlim_cur;
}
