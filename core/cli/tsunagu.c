/* tsunagu: the admin's command-line tool. Subcommands live in cmd_*.c and
 * are listed in the table below. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tsunagu_build_config.h"

static const tsunagu_cli_command *const commands[] = {
	&tsunagu_cli_rules,
	&tsunagu_cli_audio,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: tsunagu COMMAND [ARGS...]\n"
		     "       tsunagu --version\n"
		     "       tsunagu help [COMMAND]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

static const tsunagu_cli_command *find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("tsunagu %s\n", TSUNAGU_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		const tsunagu_cli_command *c = argc > 2 ? find(argv[2]) : NULL;
		if (argc > 2 && !c) {
			fprintf(stderr, "tsunagu: unknown command '%s'\n", argv[2]);
			usage(stderr);
			return 2;
		}
		if (c)
			c->usage(stdout);
		else
			usage(stdout);
		return 0;
	}
	const tsunagu_cli_command *c = find(cmd);
	if (!c) {
		fprintf(stderr, "tsunagu: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
