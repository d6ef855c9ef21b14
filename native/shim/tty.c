#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tty.h"
#include "error.h"
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

static int take_slave(int slave, int ptn, uid_t uid, bool console, struct shim_error *e)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/pts/%d", ptn);
	/* The group stays tty (gid=5 from the devpts options): only the owner changes. */
	if (fchown(slave, uid, (gid_t)-1) < 0)
		return fail_errno(e, "fchown", path);
	if (console && mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return fail_errno(e, "bind mount on /dev/console", path);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return fail_errno(e, "ioctl TIOCSCTTY", path);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return fail_errno(e, "dup2", path);
	return 0;
}

int tty_setup(int sync_fd, uid_t uid, bool console, struct shim_error *e)
{
	int unlock = 0, ptn, slave, rc;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return fail_errno(e, "open", "/dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0) {
		fail_errno(e, "ioctl unlock", "/dev/ptmx");
		close(master);
		return -1;
	}
	/* TIOCGPTPEER opens the slave of this very master, not whatever /dev/pts/N names by then. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		fail_errno(e, "ioctl TIOCGPTPEER", "/dev/ptmx");
		close(master);
		return -1;
	}
	rc = fdpass_send(sync_fd, SYNC_TTY, NULL, master);
	if (rc < 0)
		fail_errno(e, "send pty master", NULL);
	close(master);
	if (rc == 0)
		rc = take_slave(slave, ptn, uid, console, e);
	close(slave);
	return rc;
}

int tty_set_size(int master, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	return ioctl(master, TIOCSWINSZ, &ws);
}
