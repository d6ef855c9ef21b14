/*
 * Entering a running container's namespaces (exec, health checks). The descriptors are all
 * opened first, while /proc is still the host's; the pid namespace only applies to children,
 * so the caller joins it around a fork and the child joins the rest.
 */
#ifndef BERTH_SHIM_NSJOIN_H
#define BERTH_SHIM_NSJOIN_H

#include <sys/types.h>

/* cgroup, ipc, uts, net, mnt: the order the child enters them, mnt last (it changes the root). */
#define NSJOIN_COUNT 5

struct nsjoin {
	int pid_ns;	 /* the container's pid namespace */
	int own_pid_ns;	 /* ours, to go back to after the fork */
	int fds[NSJOIN_COUNT];
};

struct shim_error;

/*
 * Opens every namespace of pid; nothing is joined yet. On failure nothing stays open.
 * start_time (field 22 of /proc/PID/stat; 0: not checked) must match: the namespaces are
 * opened through one /proc/PID dir fd, so they are those of the very process checked, never
 * of another that got its pid.
 */
int nsjoin_open(pid_t pid, unsigned long long start_time, struct nsjoin *j, struct shim_error *e);

/* Field 22 of /proc/PID/stat (0 when gone), for nsjoin_open's check. */
unsigned long long nsjoin_start_time(pid_t pid);

/* Children forked from now on are born in the container's pid namespace. */
int nsjoin_pid_enter(const struct nsjoin *j, struct shim_error *e);

/* Children forked from now on are born in our own pid namespace again. */
int nsjoin_pid_leave(const struct nsjoin *j, struct shim_error *e);

/*
 * In the forked child: becomes non-dumpable (so the container cannot ptrace or read /proc of
 * a process still holding host state, as runc does), then joins the other namespaces. The
 * mount namespace comes last; joining it makes the container's root our root and cwd.
 */
int nsjoin_enter(const struct nsjoin *j, struct shim_error *e);

void nsjoin_close(struct nsjoin *j);

#endif
