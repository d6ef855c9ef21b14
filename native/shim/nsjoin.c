#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "nsjoin.h"
#include "error.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const struct {
	const char *name;
	int type;
} joined[NSJOIN_COUNT] = {
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET },       { "mnt", CLONE_NEWNS },
};

/* proc: an open /proc/PID (or /proc/self) dir. */
static int open_ns(int proc, const char *name, struct shim_error *e)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "ns/%s", name);
	fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_errno(e, "open namespace", name);
	return fd;
}

/* Field 22 of proc's stat, counted after the command name's closing parenthesis (the name may hold anything); 0 when unreadable. */
static unsigned long long read_start_time(int proc)
{
	char text[1024], *p;
	ssize_t n;
	int fd = openat(proc, "stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	p = strrchr(text, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

unsigned long long nsjoin_start_time(pid_t pid)
{
	char path[32];
	unsigned long long t;
	int proc;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	proc = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		return 0;
	t = read_start_time(proc);
	close(proc);
	return t;
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

int nsjoin_open(pid_t pid, unsigned long long start_time, struct nsjoin *j, struct shim_error *e)
{
	char path[32];
	int self = -1, proc = -1;

	j->pid_ns = j->own_pid_ns = -1;
	for (int i = 0; i < NSJOIN_COUNT; i++)
		j->fds[i] = -1;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if ((self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fail_errno(e, "open", "/proc/self");
		goto fail;
	}
	if ((proc = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fail_errno(e, "open", path);
		goto fail;
	}
	if (start_time && read_start_time(proc) != start_time) {
		fail(e, EXIT_SETUP, "container process %d is not the one recorded (it exited)", (int)pid);
		goto fail;
	}
	if ((j->own_pid_ns = open_ns(self, "pid", e)) < 0 || (j->pid_ns = open_ns(proc, "pid", e)) < 0)
		goto fail;
	for (int i = 0; i < NSJOIN_COUNT; i++)
		if ((j->fds[i] = open_ns(proc, joined[i].name, e)) < 0)
			goto fail;
	close(self);
	close(proc);
	return 0;
fail:
	if (self >= 0)
		close(self);
	if (proc >= 0)
		close(proc);
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
