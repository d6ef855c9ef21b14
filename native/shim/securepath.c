#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "securepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int root_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

const char *fd_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

int root_mkdirs(int rootfd, const char *path, mode_t mode)
{
	char prefix[PATH_MAX];
	size_t plen = 0;
	int dir = root_open(rootfd, "/", O_PATH | O_DIRECTORY);

	if (strlen(path) >= sizeof(prefix)) {
		if (dir >= 0)
			close(dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	for (const char *p = path; dir >= 0 && *p;) {
		const char *end;
		char name[NAME_MAX + 1];
		int next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if ((size_t)(end - p) > NAME_MAX) {
			close(dir);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, p, (size_t)(end - p));
		name[end - p] = '\0';
		prefix[plen++] = '/';
		memcpy(prefix + plen, name, (size_t)(end - p));
		plen += (size_t)(end - p);
		prefix[plen] = '\0';
		p = end;

		/* The whole prefix is resolved from the root each time: a symlink met on the way stays inside. */
		next = root_open(rootfd, prefix, O_PATH | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			/* mkdirat never follows a symlink in its last component, and dir is already inside the root. */
			if (mkdirat(dir, name, mode) < 0 && errno != EEXIST) {
				int err = errno;

				close(dir);
				errno = err;
				return -1;
			}
			next = root_open(rootfd, prefix, O_PATH | O_DIRECTORY);
		}
		int err = errno;

		close(dir);
		errno = err;
		dir = next;
	}
	return dir;
}

int root_mkfile(int rootfd, const char *path)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dir, fd;

	if (!slash || strlen(path) >= sizeof(parent)) {
		errno = EINVAL;
		return -1;
	}
	fd = root_open(rootfd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	dir = root_mkdirs(rootfd, parent[0] ? parent : "/", 0755);
	if (dir < 0)
		return -1;
	/* O_NOFOLLOW: a dangling symlink in the image must not create a file somewhere else. */
	fd = openat(dir, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno != EEXIST) {
		int err = errno;

		close(dir);
		errno = err;
		return -1;
	}
	if (fd >= 0)
		close(fd);
	close(dir);
	return root_open(rootfd, path, O_PATH);
}
