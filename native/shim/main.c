/*
 * berth-shim SPEC_FILE: the supervisor of one container (PROTOCOL.md). It creates the
 * container process, reports on the ready pipe (fd 3), then stays its parent until it exits.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "attach.h"
#include "diag.h"
#include "error.h"
#include "jsonlog.h"
#include "spawn.h"
#include "spec.h"
#include "statefile.h"
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_FD 3

/* Signals the shim passes on to the container, as conmon does. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void report(const char *line)
{
	size_t len = strlen(line);

	/* If the engine is gone the line has no reader; the container still waits for a START that may come later. */
	while (len) {
		ssize_t n = write(READY_FD, line, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		line += n;
		len -= (size_t)n;
	}
	close(READY_FD);
}

/*
 * fds 0, 1, 2 and 3 are taken before the shim opens anything, so none of its fds lands there
 * until the container process is cloned: the child's dup2 onto 0-2 and its dup3 onto 3 never
 * meet a source already in place. Whatever else the starter leaked to us is closed: the shim
 * outlives it and must not keep its pipes open.
 */
static int claim_low_fds(void)
{
	if (fcntl(READY_FD, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	close_range(READY_FD + 1, ~0U, 0);
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR | O_CLOEXEC) != fd)
			return -1;
	return 0;
}

/* SIGCHLD and the forwarded signals arrive through a signalfd; SIGPIPE is ignored (sends use MSG_NOSIGNAL too). */
static int take_signals(struct shim_error *e)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return fail_errno(e, "sigprocmask", NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return fail_errno(e, "signalfd", NULL);
	return fd;
}

int main(int argc, char **argv)
{
	struct shim_error e = { .code = EXIT_SETUP };
	struct spec spec;
	struct jsonlog log = { .fd = -1 };
	struct attach_server srv = { .fd = -1 };
	struct container c;
	char line[sizeof(e.msg) + 64];
	int sigfd;

	if (argc != 2) {
		fprintf(stderr, "usage: berth-shim SPEC_FILE (with fd 3 the ready pipe)\n");
		return EXIT_SETUP;
	}
	if (claim_low_fds() < 0) {
		fprintf(stderr, "berth-shim: fd 3 must be the ready pipe\n");
		return EXIT_SETUP;
	}
	/*
	 * Detach: the process that started us exits at once, so whoever spawned it reaps it now
	 * and never holds a zombie of ours; we are reparented to init (or a subreaper). Then our
	 * own session: no terminal's signals reach us.
	 */
	switch (fork()) {
	case -1:
		fail_errno(&e, "fork", NULL);
		goto fail;
	case 0:
		break;
	default:
		_exit(0);
	}
	setsid();
	umask(022);
	if (chdir("/") < 0 || (sigfd = take_signals(&e)) < 0 || spec_load(argv[1], &spec, &e) < 0)
		goto fail;
	if (diag_open(spec.file) < 0) {
		fail_errno(&e, "open shim.log beside", spec.file);
		goto fail;
	}
	if ((spec.log && jsonlog_open(&log, spec.log, spec.log_max_size, spec.log_max_files, &e) < 0) || attach_listen(&srv, spec.socket, &e) < 0)
		goto fail;
	if (container_spawn(&spec, &c, &e) < 0)
		goto fail;
	if (spec.pid_file && statefile_write_pid(spec.pid_file, c.pid, &e) < 0) {
		container_destroy(&c);
		goto fail;
	}
	snprintf(line, sizeof(line), "ok %d %d\n", (int)getpid(), (int)c.pid);
	report(line);
	return supervise(&spec, &c, &srv, &log, sigfd);
fail:
	attach_unlisten(&srv);
	diag("setup failed: %d %s", e.code, e.msg);
	snprintf(line, sizeof(line), "err %d %s\n", e.code, e.msg);
	report(line);
	return e.code;
}
