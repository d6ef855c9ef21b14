#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "container_init.h"
#include "caps.h"
#include "error.h"
#include "fdpass.h"
#include "loopback.h"
#include "lookpath.h"
#include "mounts.h"
#include "nsjoin.h"
#include "spec.h"
#include "tty.h"
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the child keeps its sync end: right above stdio, so one close_range clears everything else. */
#define SYNC_FD 3

struct exec_plan {
	struct exec_user user;
	char path[PATH_MAX];
	struct strv env;
};

/* Reports a failure to the shim on fd and exits with its code; the shim kills and reaps us anyway. */
__attribute__((noreturn)) static void die_on(int fd, const struct shim_error *e)
{
	char text[sizeof(e->msg) + 16];

	snprintf(text, sizeof(text), "%d %s", e->code, e->msg);
	fdpass_send(fd, SYNC_ERROR, text, -1);
	_exit(e->code);
}

__attribute__((noreturn)) static void die(const struct shim_error *e)
{
	die_on(SYNC_FD, e);
}

/* Waits for one message from the shim; end-of-file means the shim is gone, and so are we. */
static void await(char want)
{
	char tag, text[16];
	int fd;

	if (fdpass_recv(SYNC_FD, &tag, text, sizeof(text), &fd) != 1 || tag != want)
		_exit(EXIT_SETUP);
	if (fd >= 0)
		close(fd);
}

/*
 * The child holds nothing of the shim's: signal state back to defaults (the shim blocks
 * signals for its signalfd and ignores SIGPIPE, both inherited across execve), stdio in
 * place, the sync end at SYNC_FD, every other fd closed (the ready pipe above all: the engine
 * waits for its end-of-file).
 */
static void take_stdio(const struct child_stdio *io, int sync_fd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* main() keeps 0, 1, 2 and 3 open in the shim, so none of these sources is already in place. */
	if (dup2(io->in, 0) < 0 || dup2(io->out, 1) < 0 || dup2(io->err, 2) < 0 ||
	    dup3(sync_fd, SYNC_FD, O_CLOEXEC) < 0 || close_range(SYNC_FD + 1, ~0U, 0) < 0)
		_exit(EXIT_SETUP);
}

static int mkdir_all(const char *path, struct shim_error *e)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return fail_errno(e, "mkdir", path);
	}
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return fail_errno(e, "mkdir", buf);
		*p = c;
		if (!c)
			return 0;
	}
}

/*
 * runc's fixStdioPermissions: stdio pipes are created by root with mode 0600, so a non-root
 * process could not reopen its own /dev/stdout (nginx logging to it, say). /dev/null is shared
 * and stays as it is.
 */
static int give_stdio(uid_t uid, struct shim_error *e)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (fstat(fd, &st) < 0)
			return fail_errno(e, "fstat", "stdio");
		if (S_ISFIFO(st.st_mode) && fchown(fd, uid, (gid_t)-1) < 0)
			return fail_errno(e, "fchown", "stdio pipe");
	}
	return 0;
}

static void build_env(const struct spec *s, const struct exec_user *u, struct strv *env)
{
	bool has_home = false;

	for (size_t i = 0; i < s->env.n; i++) {
		strv_push(env, s->env.v[i]);
		has_home |= strncmp(s->env.v[i], "HOME=", 5) == 0;
	}
	if (!has_home) {
		char *home = malloc(strlen(u->home) + 6);

		if (!home)
			abort();
		sprintf(home, "HOME=%s", u->home);
		strv_push(env, home);
	}
}

/*
 * Joins the v1 hierarchies by writing 0 (this thread) into their tasks files. We are single
 * threaded, so that moves the whole process, and the kernel skips the global threadgroup lock
 * a cgroup.procs write takes (and the RCU grace period that lock waits for).
 */
static int join_cgroup_tasks(const struct spec *s, struct shim_error *e)
{
	for (size_t i = 0; i < s->cgroup_tasks.n; i++) {
		const char *path = s->cgroup_tasks.v[i];
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		if (fd < 0)
			return fail_errno(e, "open", path);
		if (write(fd, "0", 1) != 1) {
			fail_errno(e, "write", path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* Everything that needs privileges and the host's view, in the order runc does it. */
static int prepare(const struct spec *s, struct exec_plan *plan, struct shim_error *e)
{
	if (join_cgroup_tasks(s, e) < 0)
		return -1;
	if (unshare(CLONE_NEWCGROUP) < 0)
		return fail_errno(e, "unshare", "CLONE_NEWCGROUP");
	if (setsid() < 0)
		return fail_errno(e, "setsid", NULL);
	if (mounts_build_rootfs(s, e) < 0 || mounts_pivot(s->rootfs, e) < 0)
		return -1;
	/* The cwd is made before the root may turn read-only, as runc does. */
	if (mkdir_all(s->cwd, e) < 0 || mounts_mask(&s->masks, e) < 0 || mounts_readonly(&s->readonly_paths, e) < 0)
		return -1;
	if (s->readonly_rootfs && mounts_readonly_root(e) < 0)
		return -1;
	if (s->hostname[0] && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return fail_errno(e, "sethostname", s->hostname);
	if (s->new_netns && loopback_up(e) < 0)
		return -1;
	if (user_resolve(s->user, &plan->user, e) < 0)
		return -1;
	if (s->tty ? tty_setup(SYNC_FD, plan->user.uid, true, e) < 0 : give_stdio(plan->user.uid, e) < 0)
		return -1;
	if (chdir(s->cwd) < 0)
		return fail_errno(e, "chdir to cwd", s->cwd);
	build_env(s, &plan->user, &plan->env);
	return lookpath(s->args.v[0], plan->env.v, plan->path, e);
}

/*
 * An exec's process, already in the container's namespaces: the container's root, mounts and
 * hostname are there; what is left is its session, user, terminal, cwd and command.
 */
static int prepare_exec(const struct spec *s, struct exec_plan *plan, struct shim_error *e)
{
	char text[128];

	if (setsid() < 0)
		return fail_errno(e, "setsid", NULL);
	if (user_resolve(s->user, &plan->user, e) < 0)
		return -1;
	if (s->tty ? tty_setup(SYNC_FD, plan->user.uid, false, e) < 0 : give_stdio(plan->user.uid, e) < 0)
		return -1;
	/* runc neither creates an exec's cwd nor falls back: a missing one fails the exec, in its words. */
	if (chdir(s->cwd) < 0)
		return fail(e, EXIT_NOT_RUNNABLE, "chdir to cwd (\"%s\") set in config.json failed: %s", s->cwd,
			    errno_text(errno, text, sizeof(text)));
	build_env(s, &plan->user, &plan->env);
	return lookpath(s->args.v[0], plan->env.v, plan->path, e);
}

static int become_user(const struct exec_user *u, struct shim_error *e)
{
	/* Keep the permitted set across the uid change; caps_apply then sets exactly what was asked. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail_errno(e, "prctl PR_SET_KEEPCAPS", NULL);
	if (setgroups(u->ngroups, u->groups) < 0)
		return fail_errno(e, "setgroups", NULL);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return fail_errno(e, "setresgid", NULL);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return fail_errno(e, "setresuid", NULL);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return fail_errno(e, "prctl PR_SET_KEEPCAPS", NULL);
	/* A credential change clears the parent-death signal: set it again so a killed shim still takes us along. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return fail_errno(e, "prctl PR_SET_PDEATHSIG", NULL);
	return 0;
}

static int drop_privileges(const struct spec *s, const struct exec_plan *plan, struct shim_error *e)
{
	if (caps_limit_bounding(s->caps, e) < 0 || become_user(&plan->user, e) < 0 ||
	    caps_apply(s->caps, plan->user.uid == 0, e) < 0)
		return -1;
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno(e, "prctl PR_SET_NO_NEW_PRIVS", NULL);
	return 0;
}

void container_init(const struct spec *s, const struct child_stdio *io, int sync_fd, const struct nsjoin *join, int netns_fd)
{
	struct shim_error e = { 0 };
	struct exec_plan plan = { 0 };
	char text[128];
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* The engine has set its links and addresses up already; lo too (netnsCreate), so it is left alone. */
	if (netns_fd >= 0) {
		if (setns(netns_fd, CLONE_NEWNET) < 0) {
			fail_errno(&e, "setns netns", s->netns_path);
			die_on(sync_fd, &e);
		}
		close(netns_fd);
	}
	/* Before take_stdio, which closes the namespace descriptors with everything else. */
	if (join && nsjoin_enter(join, &e) < 0)
		die_on(sync_fd, &e);
	take_stdio(io, sync_fd);
	await(SYNC_CGROUPS);
	if ((join ? prepare_exec(s, &plan, &e) : prepare(s, &plan, &e)) < 0)
		die(&e);
	if (fdpass_send(SYNC_FD, SYNC_READY, NULL, -1) < 0)
		_exit(EXIT_SETUP);
	await(SYNC_START);
	if (drop_privileges(s, &plan, &e) < 0)
		die(&e);
	/* Nothing was opened without O_CLOEXEC since take_stdio; this is the guarantee, not the cleanup. */
	close_range(SYNC_FD + 1, ~0U, 0);
	execve(plan.path, s->args.v, plan.env.v);
	err = errno;
	fail(&e, err == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_RUNNABLE, "exec: \"%s\": %s", s->args.v[0],
	     errno_text(err, text, sizeof(text)));
	die(&e);
}
