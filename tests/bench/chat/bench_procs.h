/* The processes the chat benchmark's driver starts and watches: the
 * servers (tsunagud, the mirror server) with their output in a log file, and
 * the load processes (bench-chat --role=...) spoken to over pipes. Every one
 * is ended by its own pid, nothing by name. */
#ifndef BENCH_PROCS_H
#define BENCH_PROCS_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct {
	char *name;
	pid_t pid;      /* 0 once reaped */
	int in_fd;      /* its stdin (load processes), -1 for servers */
	int out_fd;     /* its stdout (load processes), -1 for servers */
	GString *buf;   /* stdout read and not yet returned as lines */
	char *log_path; /* servers: stdout+stderr go here */
} bench_proc;

/* A server: argv[0] is a path; stdout and stderr to log_path. Loop thread of
 * the driver (it has no other). NULL with *err set on failure. */
bench_proc *bench_proc_server(const char *name, char **argv, const char *log_path, GError **err);

/* A load process: this executable with argv (after argv[0]); its stdin and
 * stdout are pipes, its stderr the driver's. */
bench_proc *bench_proc_load(const char *name, char **argv, GError **err);

/* Writes one command line (a newline is added). false if the process is gone. */
bool bench_proc_send(bench_proc *p, const char *line);
/* The next line the load process printed, waiting at most timeout_ms;
 * NULL at the timeout or if it exited. g_free the line. */
char *bench_proc_line(bench_proc *p, int timeout_ms);
/* The next line that starts with prefix (other lines are echoed to stderr
 * as "name: line"), or NULL like bench_proc_line. */
char *bench_proc_expect(bench_proc *p, const char *prefix, int timeout_ms);

/* Sends sig (load processes get "quit" and EOF first), waits up to
 * timeout_ms, then SIGKILLs it; frees p. */
void bench_proc_stop(bench_proc *p, int sig, int timeout_ms);

/* user + system CPU seconds of the whole process (every thread) from
 * /proc/PID/stat; < 0 if it cannot be read. */
double bench_proc_cpu(pid_t pid);
/* Resident set size in KiB from /proc/PID/status; < 0 if unknown. */
long bench_proc_rss_kib(pid_t pid);
/* Whether the process is still running (not a zombie either). */
bool bench_proc_alive(bench_proc *p);

/* Polls a server's log until regex matches (group 1 returned, g_free) or
 * timeout_ms passes or the process exits: NULL. */
char *bench_proc_log_wait(bench_proc *p, const char *regex, int timeout_ms);

/* A free TCP port on 127.0.0.1 (bound and released: a tiny race we accept
 * for the mirror server, which cannot report the port it picked). */
int bench_free_port(void);

#endif
