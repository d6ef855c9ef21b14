#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "lookpath.h"
#include "error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* 0 if path is a runnable file, else the errno Go's findExecutable would give. */
static int executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if ((st.st_mode & 0111) == 0)
		return EACCES;
	return 0;
}

static const char *env_path(char *const envp[])
{
	const char *path = "";

	/* The last PATH wins, as it would in the environment execve builds. */
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	return path;
}

int lookpath(const char *arg0, char *const envp[], char out[PATH_MAX], struct shim_error *e)
{
	char text[128];

	if (strchr(arg0, '/')) {
		int err = executable(arg0);

		if (err == ENOENT || err == ENOTDIR)
			return fail(e, EXIT_NOT_FOUND, "exec: \"%s\": stat %s: %s", arg0, arg0,
				    errno_text(err, text, sizeof(text)));
		if (err)
			return fail(e, EXIT_NOT_RUNNABLE, "exec: \"%s\": %s", arg0, errno_text(err, text, sizeof(text)));
		snprintf(out, PATH_MAX, "%s", arg0);
		return 0;
	}
	/* Go's SplitList: an empty PATH has no entries, while an empty entry in a non-empty PATH means ".". */
	const char *dir = env_path(envp);

	for (bool more = *dir != '\0'; more;) {
		size_t len = strcspn(dir, ":");
		int n = len ? snprintf(out, PATH_MAX, "%.*s/%s", (int)len, dir, arg0)
			    : snprintf(out, PATH_MAX, "./%s", arg0);

		if (n > 0 && n < PATH_MAX && executable(out) == 0)
			return 0;
		more = dir[len] != '\0';
		dir += len + 1;
	}
	return fail(e, EXIT_NOT_FOUND, "exec: \"%s\": executable file not found in $PATH", arg0);
}
