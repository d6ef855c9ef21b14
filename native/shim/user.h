/* The container's user, resolved in its own /etc/passwd and /etc/group as runc resolves it. */
#ifndef BERTH_SHIM_USER_H
#define BERTH_SHIM_USER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct exec_user {
	uid_t uid;
	gid_t gid;
	/* What setgroups gets: the primary gid first, then every group listing the user. */
	gid_t *groups;
	size_t ngroups;
	char home[PATH_MAX];
};

struct shim_error;

/* spec: "", "uid", "uid:gid", "name", "name:group", "uid:group", "name:gid". Call after pivot_root. */
int user_resolve(const char *spec, struct exec_user *u, struct shim_error *e);

#endif
