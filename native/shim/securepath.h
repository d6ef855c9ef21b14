/*
 * Paths inside a container root opened before pivot_root. The image decides what its
 * directories are, so a symlink like /proc -> /host must resolve inside the root, never
 * on the host: everything goes through openat2(RESOLVE_IN_ROOT) and mounts target the
 * resulting fd (/proc/self/fd/N), as runc's securejoin does.
 */
#ifndef BERTH_SHIM_SECUREPATH_H
#define BERTH_SHIM_SECUREPATH_H

#include <sys/types.h>

/* openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; O_CLOEXEC is added. */
int root_open(int rootfd, const char *path, int flags);

/* mkdir -p inside the root; returns an O_PATH fd of the directory. */
int root_mkdirs(int rootfd, const char *path, mode_t mode);

/* Makes an empty file (and its parents) if missing; returns an O_PATH fd of it. */
int root_mkfile(int rootfd, const char *path);

/* "/proc/self/fd/N": a path that mount(2) resolves to exactly the file fd refers to. */
const char *fd_path(int fd, char buf[32]);

#endif
