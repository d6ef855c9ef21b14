#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "logrotate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

static void numbered(char *out, size_t len, const char *path, unsigned n)
{
	if (n == 0)
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%s.%u", path, n);
}

int log_rotate(const char *path, unsigned max_files)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (max_files <= 1)
		return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	/* From the top down, so each rename replaces a file whose content has already moved up (or is the oldest, dropped). */
	for (unsigned n = max_files - 1; n >= 1; n--) {
		numbered(from, sizeof(from), path, n - 1);
		numbered(to, sizeof(to), path, n);
		if (rename(from, to) < 0 && errno != ENOENT && n == 1)
			return -1;
	}
	return 0;
}
