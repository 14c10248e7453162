/* The tsunagu command-line tool: one table of subcommands, one file each
 * (cmd_rules.c, ...). A subcommand gets argv starting at its own name and
 * returns the process exit status. */
#pragma once

#include <stdio.h>

typedef struct {
	const char *name;
	const char *summary;                 /* one line for `tsunagu help` */
	int (*run)(int argc, char **argv);   /* argv[0] is the subcommand name */
	void (*usage)(FILE *out);
} tsunagu_cli_command;

extern const tsunagu_cli_command tsunagu_cli_rules;
extern const tsunagu_cli_command tsunagu_cli_audio;
