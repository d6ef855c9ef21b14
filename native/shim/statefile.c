#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "statefile.h"
#include "buf.h"
#include "error.h"
#include "jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_fully(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Write a temp file, then rename: a reader never sees a torn file, whichever process dies.
 * No fsync: these files matter while the host runs (the engine reads the exit record when it
 * writes its own record, which it makes durable), and an fsync here costs every container a
 * millisecond or more.
 */
int statefile_write(const char *path, const char *data, size_t len, struct shim_error *e)
{
	char tmp[PATH_MAX];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return fail_errno(e, "open", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno(e, "open", tmp);
	if (write_fully(fd, data, len) < 0) {
		fail_errno(e, "write", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		fail_errno(e, "rename", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int statefile_write_pid(const char *path, pid_t pid, struct shim_error *e)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%d", (int)pid);

	return statefile_write(path, text, (size_t)n, e);
}

int exit_code_of(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

int statefile_write_exit(const char *path, int wait_status, const struct timespec *finished, const char *error,
			 struct shim_error *e)
{
	struct buf out = { 0 };
	char num[64];
	int rc;

	snprintf(num, sizeof(num), "{\"exitCode\":%d,\"signal\":", exit_code_of(wait_status));
	buf_appends(&out, num);
	if (WIFSIGNALED(wait_status)) {
		snprintf(num, sizeof(num), "%d", WTERMSIG(wait_status));
		buf_appends(&out, num);
	} else {
		buf_appends(&out, "null");
	}
	rfc3339_nano(finished, num, sizeof(num));
	buf_appends(&out, ",\"finishedAt\":\"");
	buf_appends(&out, num);
	buf_appends(&out, "\",\"error\":");
	if (error) {
		buf_appends(&out, "\"");
		json_escape(&out, error, strlen(error));
		buf_appends(&out, "\"");
	} else {
		buf_appends(&out, "null");
	}
	buf_appends(&out, "}\n");
	rc = statefile_write(path, buf_head(&out), buf_len(&out), e);
	buf_free(&out);
	return rc;
}
