#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "nsjoin.h"
#include "error.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

static const struct {
	const char *name;
	int type;
} joined[NSJOIN_COUNT] = {
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET },       { "mnt", CLONE_NEWNS },
};

static int open_ns(pid_t pid, const char *name, struct shim_error *e)
{
	char path[64];
	int fd;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_errno(e, "open", path);
	return fd;
}

void nsjoin_close(struct nsjoin *j)
{
	int *all[] = { &j->pid_ns, &j->own_pid_ns };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (*all[i] >= 0)
			close(*all[i]);
		*all[i] = -1;
	}
	for (int i = 0; i < NSJOIN_COUNT; i++) {
		if (j->fds[i] >= 0)
			close(j->fds[i]);
		j->fds[i] = -1;
	}
}

int nsjoin_open(pid_t pid, struct nsjoin *j, struct shim_error *e)
{
	j->pid_ns = j->own_pid_ns = -1;
	for (int i = 0; i < NSJOIN_COUNT; i++)
		j->fds[i] = -1;
	if ((j->own_pid_ns = open_ns(0, "pid", e)) < 0 || (j->pid_ns = open_ns(pid, "pid", e)) < 0)
		goto fail;
	for (int i = 0; i < NSJOIN_COUNT; i++)
		if ((j->fds[i] = open_ns(pid, joined[i].name, e)) < 0)
			goto fail;
	return 0;
fail:
	nsjoin_close(j);
	return -1;
}

int nsjoin_pid_enter(const struct nsjoin *j, struct shim_error *e)
{
	if (setns(j->pid_ns, CLONE_NEWPID) < 0)
		return fail_errno(e, "setns", "pid namespace");
	return 0;
}

int nsjoin_pid_leave(const struct nsjoin *j, struct shim_error *e)
{
	if (setns(j->own_pid_ns, CLONE_NEWPID) < 0)
		return fail_errno(e, "setns back", "own pid namespace");
	return 0;
}

int nsjoin_enter(const struct nsjoin *j, struct shim_error *e)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail_errno(e, "prctl PR_SET_DUMPABLE", NULL);
	for (int i = 0; i < NSJOIN_COUNT; i++)
		if (setns(j->fds[i], joined[i].type) < 0) {
			char what[32];

			snprintf(what, sizeof(what), "%s namespace", joined[i].name);
			return fail_errno(e, "setns", what);
		}
	return 0;
}
