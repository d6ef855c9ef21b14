#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "service_socket.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * The global flags of src/cli/main.ts that take a value. The word after one of them is its
 * value, not the command word, so `--log-level debug --run-root X ps` still finds X.
 */
static const char *const long_with_value[] = { "root", "run-root", "cgroup-parent", "config", "log-level" };
static const char short_with_value[] = "l";

static bool takes_value(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(long_with_value) / sizeof(long_with_value[0]); i++)
		if (strlen(long_with_value[i]) == len && strncmp(name, long_with_value[i], len) == 0)
			return true;
	return false;
}

/*
 * The last --run-root among the global flags (those before the command word), read as the
 * CLI's pflag-like parser reads them; NULL when there is none.
 */
static const char *run_root_flag(int argc, char *const args[])
{
	static const char run_root[] = "run-root";
	const char *found = NULL;

	for (int i = 0; i < argc; i++) {
		const char *arg = args[i];

		if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0)
			break;
		if (arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			bool is_run_root = len == strlen(run_root) && strncmp(name, run_root, len) == 0;

			if (eq) {
				if (is_run_root)
					found = eq + 1;
			} else if (takes_value(name, len) && i + 1 < argc) {
				if (is_run_root)
					found = args[i + 1];
				i++;
			}
			continue;
		}
		/* A group of shorthands (-vl debug): the first that takes a value swallows the rest of the word, or the next word. */
		for (const char *c = arg + 1; *c; c++) {
			if (strchr(short_with_value, *c)) {
				if (c[1] == '\0')
					i++;
				break;
			}
		}
	}
	return found;
}

int service_connect(int argc, char *const args[])
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *root = run_root_flag(argc, args);
	int fd, n;

	/* As the CLI: an empty --run-root counts as none, while an empty BERTH_RUN_ROOT is the working directory. */
	if (!root || !*root)
		root = getenv("BERTH_RUN_ROOT");
	if (!root)
		root = "/run/berth";
	if (!*root)
		root = ".";
	/* A relative root is resolved against our working directory by connect itself. */
	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/cli.sock", root);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}
