#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "winch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static int write_end = -1;

static void on_winch(int sig)
{
	int saved_errno = errno;
	ssize_t n;

	(void)sig;
	/* A full pipe already says "resized"; the byte can be dropped. */
	n = write(write_end, "", 1);
	(void)n;
	errno = saved_errno;
}

/*
 * A caught signal is reset to its default by execve, unlike a blocked one (signalfd), so the
 * fallback to node needs no undoing; both pipe ends are O_CLOEXEC and vanish there too.
 */
int winch_open(void)
{
	int fds[2];
	struct sigaction sa = { .sa_handler = on_winch, .sa_flags = SA_RESTART };

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	write_end = fds[1];
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGWINCH, &sa, NULL) < 0) {
		close(fds[0]);
		close(fds[1]);
		write_end = -1;
		return -1;
	}
	return fds[0];
}

void winch_drain(int fd)
{
	char bytes[64];

	while (read(fd, bytes, sizeof(bytes)) > 0)
		;
}
