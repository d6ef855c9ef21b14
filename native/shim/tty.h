/* The container's terminal: a pty from its own devpts, the master handed to the shim. */
#ifndef BERTH_SHIM_TTY_H
#define BERTH_SHIM_TTY_H

#include <stdbool.h>
#include <sys/types.h>

struct shim_error;

/*
 * In the container after pivot_root, as a session leader: opens /dev/ptmx, sends the master
 * over sync_fd, makes the slave the controlling terminal and fds 0, 1, 2, binds it over
 * /dev/console (console: the container's first process; an exec's terminal is its own), and
 * gives it to uid so that a non-root user owns its terminal.
 */
int tty_setup(int sync_fd, uid_t uid, bool console, struct shim_error *e);

/* Shim side: TIOCSWINSZ on the master. */
int tty_set_size(int master, unsigned short rows, unsigned short cols);

#endif
