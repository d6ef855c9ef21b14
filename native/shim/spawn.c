#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spawn.h"
#include "container_init.h"
#include "error.h"
#include "fdpass.h"
#include "nsjoin.h"
#include "spec.h"
#include "tty.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* fds the child needs until it has placed them; the shim closes its copies once it is cloned. */
struct child_ends {
	int devnull;
	int in, out, err;
	int sync;
};

static void close_child_ends(struct child_ends *k)
{
	close_fd(&k->devnull);
	close_fd(&k->in);
	close_fd(&k->out);
	close_fd(&k->err);
	close_fd(&k->sync);
}

static int make_pipe(int *read_end, int *write_end, struct shim_error *e)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return fail_errno(e, "pipe2", NULL);
	*read_end = p[0];
	*write_end = p[1];
	return 0;
}

static int open_channels(const struct spec *s, struct container *c, struct child_ends *k, struct shim_error *e)
{
	int sp[2];

	k->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (k->devnull < 0)
		return fail_errno(e, "open", "/dev/null");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return fail_errno(e, "socketpair", NULL);
	c->sync = sp[0];
	k->sync = sp[1];
	if (s->tty)
		return 0;
	if (make_pipe(&c->out, &k->out, e) < 0 || make_pipe(&c->err, &k->err, e) < 0)
		return -1;
	if (s->open_stdin && make_pipe(&k->in, &c->in, e) < 0)
		return -1;
	return 0;
}

static int write_pid(const char *path, const char *text, int len, struct shim_error *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return fail_errno(e, "open", path);
	if (write(fd, text, (size_t)len) != len) {
		fail_errno(e, "write", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * An exec's process cannot write the v1 tasks files itself as a container's does: it is in
 * the container's mount namespace before it waits for its cgroups. We write its pid there;
 * it has one thread, so that moves all of it.
 */
static int join_cgroups(const struct spec *s, pid_t pid, struct shim_error *e)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%d\n", (int)pid);

	for (size_t i = 0; i < s->cgroup_procs.n; i++)
		if (write_pid(s->cgroup_procs.v[i], text, len, e) < 0)
			return -1;
	for (size_t i = 0; s->exec_pid && i < s->cgroup_tasks.n; i++)
		if (write_pid(s->cgroup_tasks.v[i], text, len, e) < 0)
			return -1;
	return 0;
}

static void set_nonblocking(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The child exited before it said ready or failed: say how it ended. */
static int child_vanished(struct container *c, struct shim_error *e)
{
	int status = 0;

	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
	if (WIFSIGNALED(status))
		return fail(e, EXIT_SETUP, "container process killed by signal %d during setup", WTERMSIG(status));
	return fail(e, EXIT_SETUP, "container process exited with status %d during setup", WEXITSTATUS(status));
}

/* Reads the child's reports until it is ready: the pty master first (tty), or its error. */
static int await_ready(const struct spec *s, struct container *c, struct shim_error *e)
{
	bool reset_seen = false;

	for (;;) {
		char tag, text[sizeof(e->msg) + 16];
		int fd;
		int rc = fdpass_recv(c->sync, &tag, text, sizeof(text), &fd);

		/*
		 * A child that failed early exits with our SYNC_CGROUPS unread, which marks this end
		 * ECONNRESET; a seqpacket socket reports that before the messages still queued, its
		 * error among them. The error is cleared by being reported: read on once.
		 */
		if (rc < 0 && errno == ECONNRESET && !reset_seen) {
			reset_seen = true;
			continue;
		}
		if (rc < 0)
			return fail_errno(e, "recvmsg from container process", NULL);
		if (rc == 0)
			return child_vanished(c, e);
		if (tag == SYNC_TTY && fd >= 0 && c->pty < 0) {
			c->pty = fd;
			if (s->has_tty_size && tty_set_size(c->pty, s->tty_rows, s->tty_cols) < 0)
				return fail_errno(e, "ioctl TIOCSWINSZ", "pty master");
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (tag == SYNC_READY)
			return 0;
		if (tag == SYNC_ERROR) {
			char *msg;
			long code = strtol(text, &msg, 10);

			return fail(e, code > 0 && code < 256 ? (int)code : EXIT_SETUP, "%s", *msg ? msg + 1 : "setup failed");
		}
		return fail(e, EXIT_SETUP, "unexpected message '%c' from container process", tag);
	}
}

void container_destroy(struct container *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
	}
	close_fd(&c->sync);
	close_fd(&c->out);
	close_fd(&c->err);
	close_fd(&c->in);
	close_fd(&c->pty);
	ports_release(&c->ports);
}

/* An exec's child is born in the container's pid namespace; the rest it joins itself (nsjoin_enter). */
static long clone_exec(struct nsjoin *j, struct shim_error *e)
{
	struct shim_error leave = { 0 };
	long pid;
	int err;

	if (nsjoin_pid_enter(j, e) < 0)
		return -1;
	pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0)
		return 0;
	err = errno;
	/* The shim's own later children (the exit command) must stay in the host's pid namespace. */
	if (nsjoin_pid_leave(j, &leave) < 0) {
		if (pid > 0) {
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, 0);
		}
		*e = leave;
		return -1;
	}
	if (pid < 0) {
		errno = err;
		return fail_errno(e, "clone", "into the container's pid namespace");
	}
	return pid;
}

int container_spawn(const struct spec *s, struct container *c, struct shim_error *e)
{
	struct child_ends k = { -1, -1, -1, -1, -1 };
	struct nsjoin join = { .pid_ns = -1, .own_pid_ns = -1, .fds = { -1, -1, -1, -1, -1 } };
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
	int netns_fd = -1;
	long pid;

	*c = (struct container){ .pid = -1, .sync = -1, .out = -1, .err = -1, .in = -1, .pty = -1 };
	if (s->new_netns)
		flags |= CLONE_NEWNET;
	if (open_channels(s, c, &k, e) < 0 || ports_reserve(s, &c->ports, e) < 0)
		goto fail;
	/* Opened here, in the host's mount namespace: the child's own no longer shows the file. */
	if (s->netns_path && (netns_fd = open(s->netns_path, O_RDONLY | O_CLOEXEC)) < 0) {
		fail_errno(e, "open netns", s->netns_path);
		goto fail;
	}
	if (s->exec_pid) {
		if (nsjoin_open(s->exec_pid, s->exec_pid_start, &join, e) < 0)
			goto fail;
		pid = clone_exec(&join, e);
	} else {
		/* Raw clone, fork-like (no new stack): the child runs on, single-threaded, in its new namespaces. */
		pid = syscall(SYS_clone, flags, 0, NULL, NULL, 0);
		if (pid < 0)
			fail_errno(e, "clone", NULL);
	}
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		struct child_stdio io = {
			.in = k.in >= 0 ? k.in : k.devnull,
			.out = k.out >= 0 ? k.out : k.devnull,
			.err = k.err >= 0 ? k.err : k.devnull,
		};

		container_init(s, &io, k.sync, s->exec_pid ? &join : NULL, netns_fd);
	}
	c->pid = (pid_t)pid;
	close_fd(&netns_fd);
	nsjoin_close(&join);
	close_child_ends(&k);
	set_nonblocking(c->out);
	set_nonblocking(c->err);
	set_nonblocking(c->in);
	if (join_cgroups(s, c->pid, e) < 0)
		goto fail;
	if (fdpass_send(c->sync, SYNC_CGROUPS, NULL, -1) < 0) {
		fail_errno(e, "send to container process", NULL);
		goto fail;
	}
	if (await_ready(s, c, e) < 0)
		goto fail;
	set_nonblocking(c->pty);
	return 0;
fail:
	close_fd(&netns_fd);
	nsjoin_close(&join);
	close_child_ends(&k);
	container_destroy(c);
	return -1;
}

int container_start(struct container *c)
{
	return fdpass_send(c->sync, SYNC_START, NULL, -1);
}
